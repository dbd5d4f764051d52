using System;
using System.Collections.Generic;
using System.Linq;

namespace EdgeOps.Fleet
{
    /// <summary>A 'proxyJump' that cannot be resolved: a loop of devices, or a jump host that is not reached over SSH.</summary>
    public sealed class ProxyJumpException : EdgeOpsException
    {
        public ProxyJumpException(string device, string what)
            : base("ProxyJumpInvalid", "InvalidData", $"{device}: {what} Correct 'proxyJump' in the inventory, then run the command again.")
        { Device = device; What = what; }
        /// <summary>The problem, without the device and next step.</summary>
        public string What { get; }
    }

    /// <summary>
    /// Resolves a device's ProxyJump into <see cref="EdgeDevice.JumpHost"/>: the jump host's full connection data
    /// (host, port, user, key, known_hosts file, key exchanges, ciphers), recursively for chained jumps. A name is
    /// looked up with the lookup the caller gives (the inventory's devices); anything else is user@host:port, which
    /// takes the device's own key, known_hosts file and algorithms, as OpenSSH's -J does. A comma list (a,b) goes
    /// through a, then b. Done by the fleet layer; the transport only follows JumpHost.
    /// </summary>
    public static class ProxyJumps
    {
        /// <summary>Sets JumpHost on the device (null when it has no ProxyJump). Throws <see cref="ProxyJumpException"/> on a loop.</summary>
        public static void Resolve(EdgeDevice device, Func<string, EdgeDevice> lookup) =>
            device.JumpHost = Chain(device, lookup, new List<string> { device.ComputerName ?? device.HostName });

        static EdgeDevice Chain(EdgeDevice device, Func<string, EdgeDevice> lookup, List<string> path)
        {
            if (string.IsNullOrWhiteSpace(device.ProxyJump)) return null;
            EdgeDevice previous = null;
            var hops = device.ProxyJump.Split(new[] { ',' }, StringSplitOptions.RemoveEmptyEntries).Select(h => h.Trim()).Where(h => h.Length > 0).ToList();
            for (int i = 0; i < hops.Count; i++)
            {
                var hop = hops[i];
                var named = lookup?.Invoke(hop);
                EdgeDevice jump;
                if (named != null)
                {
                    if (path.Contains(named.ComputerName, StringComparer.OrdinalIgnoreCase))
                        throw new ProxyJumpException(path[0],
                            $"'proxyJump' goes round in a loop: {string.Join(" -> ", path)} -> {named.ComputerName}.");
                    if (named.IsLocal)
                        throw new ProxyJumpException(path[path.Count - 1],
                            $"'proxyJump' names '{named.ComputerName}', which has 'transport: local'; a jump host must be reached over SSH.");
                    jump = ConnectionOf(named);
                    // the first hop of a list (or a single hop) keeps its own jump; later hops go through the one before
                    if (i == 0) jump.JumpHost = Chain(named, lookup, new List<string>(path) { named.ComputerName });
                }
                else jump = FromSpec(hop, device);
                if (i > 0) jump.JumpHost = previous;
                previous = jump;
            }
            return previous;
        }

        /// <summary>The connection data of a device, without its live facts.</summary>
        static EdgeDevice ConnectionOf(EdgeDevice d) => new EdgeDevice
        {
            ComputerName = d.ComputerName, HostName = d.HostName, Port = d.Port, UserName = d.UserName, IdentityFile = d.IdentityFile,
            KnownHostsFile = d.KnownHostsFile, KexAlgorithms = d.KexAlgorithms, Ciphers = d.Ciphers, ProxyJump = d.ProxyJump,
            Kind = d.Kind, Inventory = d.Inventory,
        };

        /// <summary>user@host:port (user and port optional): the device's own user, key, known_hosts file and algorithms fill the rest.</summary>
        public static EdgeDevice FromSpec(string spec, EdgeDevice from)
        {
            string user = from.UserName, host = spec; int port = 22;
            int at = host.IndexOf('@');
            if (at >= 0) { user = host.Substring(0, at); host = host.Substring(at + 1); }
            int colon = host.LastIndexOf(':');
            if (colon > 0 && int.TryParse(host.Substring(colon + 1), out var p)) { port = p; host = host.Substring(0, colon); }
            return new EdgeDevice
            {
                ComputerName = spec, HostName = host, Port = port, UserName = user, IdentityFile = from.IdentityFile,
                KnownHostsFile = from.KnownHostsFile, KexAlgorithms = from.KexAlgorithms, Ciphers = from.Ciphers,
            };
        }

        /// <summary>Whether the jump host is the one a ProxyJump names (its last hop), so it can be used as it is.</summary>
        public static bool Leads(EdgeDevice jump, string proxyJump)
        {
            if (jump == null || string.IsNullOrWhiteSpace(proxyJump)) return jump == null && string.IsNullOrWhiteSpace(proxyJump);
            var last = proxyJump.Split(new[] { ',' }, StringSplitOptions.RemoveEmptyEntries).Select(h => h.Trim()).LastOrDefault(h => h.Length > 0);
            return string.Equals(jump.ComputerName, last, StringComparison.OrdinalIgnoreCase);
        }

        /// <summary>What identifies the route to a device (its jump hosts' connection data), for the connection pool's key.</summary>
        public static string RouteKey(EdgeDevice d)
        {
            var parts = new List<string> { d.ProxyJump };
            for (var j = d.JumpHost; j != null && parts.Count < 33; j = j.JumpHost)
                parts.Add(string.Join("|", j.UserName, j.HostName, j.Port, j.IdentityFile, j.KnownHostsFile, j.KexAlgorithms, j.Ciphers));
            return string.Join(">", parts);
        }
    }
}
