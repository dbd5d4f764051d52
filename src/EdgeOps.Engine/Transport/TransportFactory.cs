using System;
using System.Collections.Concurrent;
using System.Threading;

namespace EdgeOps.Transport
{
    /// <summary>
    /// Opens transports and keeps one SSH connection per device for the life of the process, so a pipeline
    /// of several cmdlets (and later commands in the session) reuse it; a dropped connection is re-opened.
    /// </summary>
    public static class TransportFactory
    {
        static readonly ConcurrentDictionary<string, Lazy<SshTransport>> s_pool = new ConcurrentDictionary<string, Lazy<SshTransport>>();

        public static IDeviceTransport Open(EdgeDevice device, ConnectionOptions options, CancellationToken ct)
        {
            if (device.IsLocal) return new LocalTransport(device, options);
            var key = string.Join("|", device.HostName, device.Port, options.Credential?.UserName ?? device.UserName,
                device.IdentityFile, Fleet.ProxyJumps.RouteKey(device), options.KnownHostsPath ?? device.KnownHostsFile, device.KexAlgorithms, device.Ciphers, device.ComputerName);
            var lazy = s_pool.GetOrAdd(key, _ => new Lazy<SshTransport>(() => new SshTransport(device), LazyThreadSafetyMode.ExecutionAndPublication));
            var t = lazy.Value;
            try { t.EnsureConnected(options, ct); }
            catch { s_pool.TryRemove(key, out _); t.Dispose(); throw; }
            return t;
        }

        /// <summary>Closes every pooled connection (tests and benchmarks; pooled connections otherwise live as long as the process).</summary>
        public static void CloseAll()
        {
            foreach (var kv in s_pool) { if (s_pool.TryRemove(kv.Key, out var l) && l.IsValueCreated) l.Value.Dispose(); }
        }

        /// <summary>Closes the pooled connections of one device (a test that restarts its sshd).</summary>
        public static void Close(string computerName)
        {
            foreach (var kv in s_pool)
                if (kv.Key.EndsWith("|" + computerName, StringComparison.Ordinal) && s_pool.TryRemove(kv.Key, out var l) && l.IsValueCreated)
                    l.Value.Dispose();
        }
    }
}
