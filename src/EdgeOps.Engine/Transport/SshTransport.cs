using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using EdgeOps.Fleet;
using Renci.SshNet;
using Renci.SshNet.Common;

namespace EdgeOps.Transport
{
    /// <summary>SSH transport over SSH.NET: key or password auth, known_hosts checking, a jump host, sudo, cancellation.</summary>
    public sealed class SshTransport : IDeviceTransport
    {
        readonly object _gate = new object();
        SshClient _client;
        /// <summary>The jump hosts' connections and the ports forwarded over them, outermost first.</summary>
        readonly List<SshClient> _jumps = new List<SshClient>();
        readonly List<ForwardedPortLocal> _forwards = new List<ForwardedPortLocal>();
        ConnectionOptions _options;
        string _user;

        public SshTransport(EdgeDevice device) { Device = device; }
        public EdgeDevice Device { get; }
        public string HostKeyFingerprint { get; private set; }
        public HostKeyStatus HostKeyStatusAtConnect { get; private set; }
        /// <summary>The key exchange algorithm the device and EdgeOps agreed on, e.g. sntrup761x25519-sha512@openssh.com.</summary>
        public string KeyExchangeAlgorithm => _client?.ConnectionInfo?.CurrentKeyExchangeAlgorithm;
        /// <summary>The cipher of the device's data to us, e.g. aes128-gcm@openssh.com.</summary>
        public string Cipher => _client?.ConnectionInfo?.CurrentServerEncryption;

        /// <summary>
        /// SSH.NET's .NET builds use the runtime's AES-GCM (AES-NI, ARMv8 crypto): about twice the throughput of its
        /// default aes128-ctr + hmac-sha2-256 for backups and wheel uploads. Its netstandard2.0 build (Windows
        /// PowerShell) has only a slow managed GCM, so the order is left alone there.
        /// </summary>
        static readonly bool s_fastGcm = IsDotNetBuild(typeof(SshClient).Assembly);

        static bool IsDotNetBuild(System.Reflection.Assembly a)
        {
            foreach (var attr in a.GetCustomAttributes(typeof(System.Runtime.Versioning.TargetFrameworkAttribute), false))
                if (((System.Runtime.Versioning.TargetFrameworkAttribute)attr).FrameworkName.StartsWith(".NETCoreApp", StringComparison.Ordinal)) return true;
            return false;
        }
        public bool IsRoot => _user == "root";

        internal void EnsureConnected(ConnectionOptions options, CancellationToken ct)
        {
            lock (_gate)
            {
                _options = options;
                if (_client != null && _client.IsConnected)
                {
                    // a key accepted by an earlier cmdlet is in known_hosts now: for this one it is simply trusted
                    if (HostKeyStatusAtConnect == HostKeyStatus.Unknown) HostKeyStatusAtConnect = HostKeyStatus.Trusted;
                    return;
                }
                DisposeClients();
                Connect(ct);
            }
        }

        void Connect(CancellationToken ct)
        {
            _user = !string.IsNullOrEmpty(_options.Credential?.UserName) ? _options.Credential.UserName : Device.UserName;
            if (string.IsNullOrEmpty(_user))
                throw new EdgeOpsException("SshNoUser", "InvalidArgument", $"{Device.ComputerName}: no user name: set 'user' in the inventory or give -Credential.");
            _client = Reach(Device, _user, 0, ct);
        }

        /// <summary>
        /// A connected client to the device: directly, or through its <see cref="EdgeDevice.JumpHost"/> (itself reached
        /// the same way, for chained jumps) with a local port forwarded over the jump host's connection. Only what the
        /// device object carries is used: no registry of devices.
        /// </summary>
        SshClient Reach(EdgeDevice d, string user, int depth, CancellationToken ct)
        {
            bool isJump = depth > 0;
            string host = d.HostName;
            int port = d.Port > 0 ? d.Port : 22;
            var knownHosts = new KnownHosts(_options.KnownHostsPath ?? d.KnownHostsFile ?? KnownHosts.DefaultPath);
            var jump = d.JumpHost ?? (string.IsNullOrWhiteSpace(d.ProxyJump) ? null : ProxyJumps.FromSpec(d.ProxyJump.Trim(), d));
            SshClient client;
            if (jump != null)
            {
                if (depth >= 16)
                    throw new EdgeOpsException("ProxyJumpInvalid", "InvalidData",
                        $"{Device.ComputerName}: more than 16 jump hosts in a row: correct 'proxyJump' in the inventory, then run the command again.") { Device = Device.ComputerName };
                var via = Reach(jump, jump.UserName, depth + 1, ct);
                var forward = new ForwardedPortLocal("127.0.0.1", 0, host, (uint)port);
                via.AddForwardedPort(forward);
                forward.Start();
                _forwards.Add(forward);
                client = CreateClient(d, "127.0.0.1", (int)forward.BoundPort, user, knownHosts, isJump, keyHost: host, keyPort: port);
            }
            else client = CreateClient(d, host, port, user, knownHosts, isJump);
            if (isJump) _jumps.Add(client);
            ConnectClient(client, d, ct);
            InlineSocketEvents.Apply(client);
            return client;
        }

        SshClient CreateClient(EdgeDevice d, string connectHost, int connectPort, string user, KnownHosts knownHosts, bool isJump,
                               string keyHost = null, int keyPort = 0)
        {
            var methods = new List<AuthenticationMethod>();
            // the key's passphrase opens the key and nothing else; a password goes only to the device -Credential is
            // for (not to a jump host), and only when -Credential gives one: nothing doubles as the other
            var passphrase = _options.KeyPassphrase;
            var password = isJump ? null : _options.Credential?.Password;
            var keyFiles = new List<string>();
            if (!string.IsNullOrEmpty(d.IdentityFile)) keyFiles.Add(d.IdentityFile);
            else
            {
                var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
                foreach (var n in new[] { "id_ed25519", "id_ecdsa", "id_rsa" })
                {
                    var p = Path.Combine(home, ".ssh", n);
                    if (File.Exists(p)) keyFiles.Add(p);
                }
            }
            var keys = new List<IPrivateKeySource>();
            foreach (var f in keyFiles)
            {
                if (!File.Exists(f))
                    throw new EdgeOpsException("SshIdentityNotFound", "ObjectNotFound", $"{d.ComputerName}: identity file '{f}' does not exist: correct 'identityFile' in the inventory or give -IdentityFile.");
                try { keys.Add(string.IsNullOrEmpty(passphrase) ? new PrivateKeyFile(f) : new PrivateKeyFile(f, passphrase)); }
                catch (SshPassPhraseNullOrEmptyException)
                {
                    throw new EdgeOpsException("SshKeyPassphraseRequired", "AuthenticationError",
                        $"{d.ComputerName}: identity file '{f}' is protected by a passphrase: give it with -KeyPassphrase (-Credential's password is for password login only).");
                }
                catch (SshException) when (!string.IsNullOrEmpty(passphrase))
                {
                    throw new EdgeOpsException("SshKeyPassphraseIncorrect", "AuthenticationError",
                        $"{d.ComputerName}: could not open identity file '{f}' with the passphrase given in -KeyPassphrase: give the key's passphrase in -KeyPassphrase.");
                }
            }
            if (keys.Count > 0) methods.Add(new PrivateKeyAuthenticationMethod(user, keys.ToArray()));
            if (!string.IsNullOrEmpty(password)) methods.Add(new PasswordAuthenticationMethod(user, password));
            if (methods.Count == 0) methods.Add(new NoneAuthenticationMethod(user));

            var info = new ConnectionInfo(connectHost, connectPort, user, methods.ToArray()) { Timeout = _options.ConnectTimeout };
            OfferAlgorithms(info, d);
            if (s_fastGcm && string.IsNullOrWhiteSpace(d.Ciphers))
            {
                int at = 0;
                foreach (var c in new[] { "aes128-gcm@openssh.com", "aes256-gcm@openssh.com" })
                    if (info.Encryptions.ContainsKey(c)) info.Encryptions.SetPosition(c, at++);
            }
            string kh = keyHost ?? connectHost; int kp = keyHost != null ? keyPort : connectPort;
            var recorded = OfferOnlyRecordedHostKeyTypes(info, knownHosts, kh, kp);
            var client = new SshClient(info);
            _recordedHostKeyTypes.Add(client, recorded);
            client.HostKeyReceived += (s, e) =>
            {
                var fp = KnownHosts.Fingerprint(e.HostKey);
                var type = KnownHosts.KeyTypeOf(e.HostKey);
                var entry = KnownHosts.HostEntryName(kh, kp);
                var status = knownHosts.Check(kh, kp, e.HostKey, out var knownFp);
                if (status == HostKeyStatus.Unknown && _options.AcceptNewHostKey)
                {
                    // -AcceptNewHostKey records a key only for a host with nothing at all recorded (OpenSSH's accept-new)
                    if (knownHosts.AddIfUnknown(kh, kp, e.HostKey)) { SetStatus(isJump, fp, status); e.CanTrust = true; return; }
                    status = knownHosts.Check(kh, kp, e.HostKey, out knownFp);   // recorded meanwhile by another connection
                }
                SetStatus(isJump, fp, status);
                e.CanTrust = status == HostKeyStatus.Trusted;
                switch (status)
                {
                    case HostKeyStatus.Trusted: break;
                    case HostKeyStatus.Unknown:
                        _pendingError = new EdgeOpsException("SshHostKeyUnknown", "SecurityError",
                            $"{d.ComputerName}: host key of {entry} is not in '{knownHosts.Path}' ({type} {fp}). " +
                            "Check the fingerprint on the device (ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub), then run again with -AcceptNewHostKey to record it.");
                        break;
                    case HostKeyStatus.Changed:
                        _pendingError = HostKeyChanged(d, entry, knownHosts.Path, knownFp, $"now offers {type} {fp}");
                        break;
                    case HostKeyStatus.CertificateAuthority:
                        _pendingError = new EdgeOpsException("SshHostCertificateUnsupported", "SecurityError",
                            $"{d.ComputerName}: '{knownHosts.Path}' vouches for {entry} only by a @cert-authority line, and EdgeOps does not verify host certificates; " +
                            $"the device offered a plain key ({type} {fp}), which is not accepted in its place. Record the device's own host key instead " +
                            $"(ssh-keyscan on a trusted network, or the .pub files from the device) in '{knownHosts.Path}'.");
                        break;
                    default:
                        _pendingError = new EdgeOpsException("SshHostKeyRevoked", "SecurityError",
                            $"{d.ComputerName}: host key {fp} is marked @revoked in '{knownHosts.Path}': do not connect; check the device, and re-install its host keys if it was compromised.");
                        break;
                }
            };
            return client;
        }

        /// <summary>
        /// The key exchanges and ciphers the inventory asks for (default: SSH.NET's without the legacy ones). SHA-1 MACs and
        /// ssh-rsa/ssh-dss signatures stay off too, unless the inventory names a legacy key exchange or cipher (an old device).
        /// </summary>
        static void OfferAlgorithms(ConnectionInfo info, EdgeDevice d)
        {
            IReadOnlyList<string> kex, ciphers;
            try { kex = AlgorithmPreference.Kex.Resolve(d.KexAlgorithms); }
            catch (ArgumentException e)
            {
                throw new EdgeOpsException("SshKexAlgorithmsInvalid", "InvalidArgument",
                    $"{d.ComputerName}: -KexAlgorithms (inventory key 'kexAlgorithms'): {e.Message}") { Device = d.ComputerName };
            }
            try { ciphers = AlgorithmPreference.Ciphers.Resolve(d.Ciphers); }
            catch (ArgumentException e)
            {
                throw new EdgeOpsException("SshCiphersInvalid", "InvalidArgument", $"{d.ComputerName}: inventory key 'ciphers': {e.Message}") { Device = d.ComputerName };
            }
            AlgorithmPreference.Kex.Apply(info, kex);
            AlgorithmPreference.Ciphers.Apply(info, ciphers);
            if (kex.Any(AlgorithmPreference.Kex.IsLegacy) || ciphers.Any(AlgorithmPreference.Ciphers.IsLegacy)) return;
            foreach (var mac in info.HmacAlgorithms.Keys.ToList())
                if (mac.StartsWith("hmac-sha1", StringComparison.Ordinal) || mac.StartsWith("hmac-md5", StringComparison.Ordinal) || mac.StartsWith("hmac-ripemd", StringComparison.Ordinal))
                    info.HmacAlgorithms.Remove(mac);
            foreach (var alg in new[] { "ssh-rsa", "ssh-dss" }) info.HostKeyAlgorithms.Remove(alg);
        }

        void SetStatus(bool isJump, string fp, HostKeyStatus status)
        {
            if (!isJump) { HostKeyFingerprint = fp; HostKeyStatusAtConnect = status; }
        }

        static EdgeOpsException HostKeyChanged(EdgeDevice d, string entry, string path, string known, string offered) =>
            new EdgeOpsException("SshHostKeyChanged", "SecurityError",
                $"{d.ComputerName}: HOST KEY CHANGED for {entry}: '{path}' has {known}, the device {offered}. " +
                $"This may be an attack. If the device was re-installed, remove the old entry (ssh-keygen -R '{entry}' -f '{path}') and run again with -AcceptNewHostKey.")
            { Device = d.ComputerName };

        /// <summary>Host key types recorded per client (null: none, every type offered), for the error when the device offers none of them.</summary>
        readonly System.Runtime.CompilerServices.ConditionalWeakTable<SshClient, IReadOnlyList<string>> _recordedHostKeyTypes =
            new System.Runtime.CompilerServices.ConditionalWeakTable<SshClient, IReadOnlyList<string>>();

        /// <summary>
        /// As OpenSSH: for a host with recorded keys, offer only the host-key algorithms that can prove one of them, so a
        /// device cannot switch to a key type nobody recorded. Host certificates are never offered (not verified).
        /// </summary>
        static IReadOnlyList<string> OfferOnlyRecordedHostKeyTypes(ConnectionInfo info, KnownHosts knownHosts, string host, int port)
        {
            foreach (var name in info.HostKeyAlgorithms.Keys.ToList())
                if (name.IndexOf("-cert-", StringComparison.Ordinal) >= 0) info.HostKeyAlgorithms.Remove(name);
            var recorded = knownHosts.RecordedKeyTypes(host, port);
            if (recorded.Count == 0) return null;
            var allowed = new HashSet<string>(recorded.SelectMany(KnownHosts.SignatureAlgorithmsFor), StringComparer.Ordinal);
            foreach (var name in info.HostKeyAlgorithms.Keys.ToList())
                if (!allowed.Contains(name)) info.HostKeyAlgorithms.Remove(name);
            return recorded;
        }

        EdgeOpsException _pendingError;

        void ConnectClient(SshClient client, EdgeDevice d, CancellationToken ct)
        {
            _pendingError = null;
            try
            {
                var task = client.ConnectAsync(ct);
                task.GetAwaiter().GetResult();
                client.KeepAliveInterval = TimeSpan.FromSeconds(20);
            }
            catch (OperationCanceledException) { throw; }
            catch (Exception e) when (_pendingError != null) { throw new EdgeOpsException(_pendingError.ErrorId, _pendingError.Category, _pendingError.Message, e) { Device = d.ComputerName }; }
            catch (SshAuthenticationException e)
            {
                throw new EdgeOpsException("SshAuthenticationFailed", "AuthenticationError",
                    $"{d.ComputerName}: authentication failed for '{client.ConnectionInfo.Username}' ({e.Message}). Check 'identityFile'/'user' in the inventory or -Credential.", e) { Device = d.ComputerName };
            }
            catch (SshOperationTimeoutException e)
            {
                throw new EdgeOpsException("SshConnectTimeout", "OperationTimeout",
                    $"{d.ComputerName}: no SSH answer from {d.HostName}:{d.Port} within {_options.ConnectTimeout.TotalSeconds:0} s: check that the device is on and reachable, or raise -ConnectTimeout.", e) { Device = d.ComputerName };
            }
            catch (SocketException e)
            {
                throw new EdgeOpsException("SshUnreachable", "ConnectionError",
                    $"{d.ComputerName}: cannot reach {d.HostName}:{d.Port} ({e.Message.TrimEnd('.').ToLowerInvariant()}). Check that the device is on and its sshd listens there, or correct 'host'/'port' in the inventory.", e) { Device = d.ComputerName };
            }
            catch (SshConnectionException e) when (_recordedHostKeyTypes.TryGetValue(client, out var recorded) && recorded != null &&
                                                   e.Message.IndexOf("host key", StringComparison.OrdinalIgnoreCase) >= 0)
            {
                throw new EdgeOpsException("SshHostKeyChanged", "SecurityError",
                    $"{d.ComputerName}: HOST KEY CHANGED for {KnownHosts.HostEntryName(d.HostName, d.Port > 0 ? d.Port : 22)}: the known_hosts file records only {string.Join(", ", recorded)} keys for it, " +
                    $"and the device offers none of them ({e.Message.TrimEnd('.')}). This may be an attack. If the device was re-installed, remove the old entry " +
                    "(ssh-keygen -R) and run again with -AcceptNewHostKey.", e) { Device = d.ComputerName };
            }
            catch (SshConnectionException e)
            {
                var hint = !string.IsNullOrWhiteSpace(d.KexAlgorithms) && e.Message.IndexOf("key exchange", StringComparison.OrdinalIgnoreCase) >= 0
                    ? $" The device accepts none of the key exchange algorithms that 'kexAlgorithms' ({d.KexAlgorithms}) allows: remove it or add one the device offers."
                    : "";
                throw new EdgeOpsException("SshConnectionFailed", "ConnectionError",
                    $"{d.ComputerName}: SSH connection to {d.HostName}:{d.Port} failed ({e.Message.TrimEnd('.')}).{(hint.Length > 0 ? hint : " Check that sshd runs on the device and accepts this client, then run the command again.")}", e) { Device = d.ComputerName };
            }
        }

        public CommandResult Run(ShellCommand command, CommandOptions options, CancellationToken ct) =>
            CommandResult.Collected(this, command, options, ct);

        public CommandResult RunStreaming(ShellCommand command, Stream stdin, Stream stdout, CommandOptions options, CancellationToken ct)
        {
            options = options ?? CommandOptions.Default;
            bool passwordless = SudoWithoutPassword(options, ct);
            // Where input surely goes (a sudo password, or bytes in a stream that knows its length) the command waits for its
            // end before it ends (Privilege.WaitForInputEnd). Not for an input that may turn out empty: SSH.NET sends no EOF
            // for an input stream closed before anything was written, and the command would wait forever.
            var text = Privilege.Build(command, options, Device, IsRoot, _options.SudoCredential, out var prefix, passwordless,
                inputHasBytes: stdin != null && stdin.CanSeek && stdin.Length > stdin.Position);
            // No input: the command reads end-of-file, as with `ssh -n`, instead of waiting forever on a stdin nobody
            // writes (SSH.NET sends no EOF for an input stream closed before anything was written).
            if (prefix == null && stdin == null) text = "exec </dev/null; " + text;
            var sw = Stopwatch.StartNew();
            SshCommand cmd = null;
            IAsyncResult ar = null;
            for (int attempt = 0; ar == null; attempt++)
            {
                SshClient client;
                lock (_gate)
                {
                    if (_client == null || !_client.IsConnected) { DisposeClients(); Connect(ct); }
                    client = _client;
                }
                cmd = client.CreateCommand(text);
                cmd.CommandTimeout = Timeout.InfiniteTimeSpan;
                try { ar = cmd.BeginExecute(); }
                catch (Exception e) when (attempt == 0 && !(e is OperationCanceledException))
                {
                    // A pooled connection that died since its last use (device rebooted, sshd restarted):
                    // the command never started, so open a new connection and send it once more.
                    cmd.Dispose();
                    lock (_gate) { if (ReferenceEquals(_client, client)) DisposeClients(); }
                }
                catch (Exception e) when (!(e is OperationCanceledException))
                {
                    cmd.Dispose();
                    throw new EdgeOpsException("SshConnectionLost", "ConnectionError",
                        $"{Device.ComputerName}: could not start a command over SSH ({e.Message.TrimEnd('.')}). Check the device's network and sshd, then run the command again.", e) { Device = Device.ComputerName };
                }
            }
            using (cmd)
            {
                var errBuffer = new LockedBuffer();
                var output = cmd.OutputStream;
                var errors = cmd.ExtendedOutputStream;
                // A bulk stream (a backup: minutes of data, decoded and hashed by the sink as it passes) gets a named thread of
                // its own instead of a pool thread for minutes; its CPU shows by name in `top -H` and the benchmark.
                Action pump = () => StreamPump.Copy(output, stdout ?? Stream.Null, null, CancellationToken.None, options.BulkOutput ? 1 << 20 : 256 * 1024, options.BulkOutput ? 20 : 0);
                var outTask = OwnThread.Run(pump, options.BulkOutput ? "EdgeOps stream" : "EdgeOps stdout");
                var errTask = OwnThread.Run(() => errBuffer.CopyFrom(errors), "EdgeOps stderr");
                Task inTask = Task.CompletedTask;
                if (prefix != null || stdin != null)
                {
                    // Opened here, while the command surely runs: SSH.NET refuses an input stream once it has ended.
                    Stream input = null;
                    try { input = cmd.CreateInputStream(); }
                    catch (InvalidOperationException) when (ar.IsCompleted) { }
                    if (input != null)
                    {
                        inTask = OwnThread.Run(() =>
                        {
                            using (input)
                            {
                                try
                                {
                                    if (prefix != null) input.Write(prefix, 0, prefix.Length);
                                    if (stdin != null) StreamPump.Copy(stdin, input, null, ct);
                                }
                                catch (Exception) when (ar.IsCompleted || ct.IsCancellationRequested) { }
                            }
                        }, "EdgeOps stdin");
                    }
                }
                var timeout = options.Timeout ?? _options.CommandTimeout;
                using (var linked = CancellationTokenSource.CreateLinkedTokenSource(ct))
                {
                    linked.CancelAfter(timeout);
                    while (!ar.AsyncWaitHandle.WaitOne(100))
                    {
                        if (!linked.IsCancellationRequested) continue;
                        CancelRemote(errBuffer, options);
                        try { cmd.CancelAsync(forceKill: false, millisecondsTimeout: 1000); } catch (Exception) { }
                        if (ct.IsCancellationRequested) throw new OperationCanceledException(ct);
                        throw new TimeoutException($"{Device.ComputerName}: the command did not finish within {timeout.TotalSeconds:0} s (-CommandTimeout).");
                    }
                }
                // Drain both streams before EndExecute: SSH.NET's EndExecute reads what is left of the
                // output stream into its Result string, which would race with (and steal from) outTask.
                outTask.Wait(); errTask.Wait();
                try { inTask.Wait(5000); } catch (AggregateException) { /* the command ended without reading all its input */ }
                Exception endError = null;
                try { cmd.EndExecute(ar); } catch (Exception e) { endError = e; }
                var stderr = errBuffer.Text();
                Privilege.TakePid(ref stderr);
                if (cmd.ExitStatus == null && cmd.ExitSignal == null)
                    throw new EdgeOpsException("SshConnectionLost", "ConnectionError",
                        $"{Device.ComputerName}: the SSH connection dropped while a command ran{(endError != null ? " (" + endError.Message + ")" : "")}; its outcome is unknown. Check the device's network, then run the command again (EdgeOps' steps are safe to repeat).", endError) { Device = Device.ComputerName };
                int exit = cmd.ExitStatus ?? 128 + SignalNumber(cmd.ExitSignal);
                Privilege.ThrowOnSudoFailure(Device, options, exit, stderr);
                return new CommandResult { ExitCode = exit, Stderr = stderr, Elapsed = sw.Elapsed };
            }
        }

        bool? _sudoWithoutPassword;

        /// <summary>
        /// With a -SudoCredential, asks once per device (this pooled transport) whether `sudo -n` already works (NOPASSWD):
        /// then the password is not sent at all.
        /// </summary>
        bool SudoWithoutPassword(CommandOptions options, CancellationToken ct) =>
            Privilege.SudoWithoutPassword(ref _sudoWithoutPassword, options, IsRoot, _options.SudoCredential,
                () => RunStreaming(Sh.Cmd("sudo", "-n", "true"), null, null, CommandOptions.Default, ct).ExitCode == 0);

        static int SignalNumber(string name)
        {
            switch (name)
            {
                case "HUP": return 1; case "INT": return 2; case "QUIT": return 3; case "ABRT": return 6;
                case "KILL": return 9; case "SEGV": return 11; case "PIPE": return 13; case "ALRM": return 14;
                default: return 15;
            }
        }

        void CancelRemote(LockedBuffer errBuffer, CommandOptions options)
        {
            string err = errBuffer.Text();
            int pgid = Privilege.TakePid(ref err);
            if (pgid <= 1) return;
            try
            {
                var kill = Privilege.KillGroup(pgid, options.Sudo, IsRoot, _sudoWithoutPassword == true ? null : _options.SudoCredential, out var prefix);
                using (var k = _client.CreateCommand(kill))
                {
                    var ar = k.BeginExecute();
                    if (prefix != null) using (var input = k.CreateInputStream()) input.Write(prefix, 0, prefix.Length);
                    ar.AsyncWaitHandle.WaitOne(5000);
                }
            }
            catch (Exception) { /* best effort: the channel close also ends the command */ }
        }

        public void Upload(Stream content, string remotePath, IProgress<long> progress, CancellationToken ct)
        {
            var counting = new ProgressStream(content, progress);
            var r = RunStreaming(Sh.Script("cat > {0}", remotePath), counting, null, CommandOptions.Default, ct);
            r.EnsureSuccess(Device.ComputerName, $"writing '{remotePath}'");
        }

        public void Download(string remotePath, Stream destination, IProgress<long> progress, CancellationToken ct)
        {
            var counting = new ProgressStream(destination, progress);
            var r = RunStreaming(Sh.Cmd("cat", remotePath), null, counting, CommandOptions.Default, ct);
            r.EnsureSuccess(Device.ComputerName, $"reading '{remotePath}'");
        }

        void DisposeClients()
        {
            // inner first: the device, then each forward and the jump host it runs over
            _client?.Dispose(); _client = null;
            for (int i = _forwards.Count - 1; i >= 0; i--)
            {
                try { _forwards[i].Stop(); } catch (Exception) { }
                _forwards[i].Dispose();
            }
            _forwards.Clear();
            for (int i = _jumps.Count - 1; i >= 0; i--) _jumps[i].Dispose();
            _jumps.Clear();
        }

        public void Dispose() { lock (_gate) DisposeClients(); }
    }

    /// <summary>stderr collected on one thread and read (for the process-group marker) on another.</summary>
    sealed class LockedBuffer
    {
        readonly MemoryStream _buffer = new MemoryStream();

        public void CopyFrom(Stream from)
        {
            var chunk = new byte[16 * 1024];
            int n;
            while ((n = from.Read(chunk, 0, chunk.Length)) > 0)
                lock (_buffer) _buffer.Write(chunk, 0, n);
        }

        public string Text() { lock (_buffer) return Encoding.UTF8.GetString(_buffer.ToArray()); }
    }

    /// <summary>Counts bytes passing through (either direction) and reports them.</summary>
    sealed class ProgressStream : Stream
    {
        readonly Stream _inner; readonly IProgress<long> _progress; long _count, _last;
        public ProgressStream(Stream inner, IProgress<long> progress) { _inner = inner; _progress = progress; }
        void Tick(int n) { _count += n; if (_progress != null && _count - _last >= (1 << 20)) { _last = _count; _progress.Report(_count); } }
        public override int Read(byte[] buffer, int offset, int count) { int n = _inner.Read(buffer, offset, count); Tick(n); if (n == 0) _progress?.Report(_count); return n; }
        public override void Write(byte[] buffer, int offset, int count) { _inner.Write(buffer, offset, count); Tick(count); }
        public override void Flush() { _inner.Flush(); _progress?.Report(_count); }
        public override bool CanRead => _inner.CanRead;
        public override bool CanSeek => false;
        public override bool CanWrite => _inner.CanWrite;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => _count; set => throw new NotSupportedException(); }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
