using System;
using System.Collections.ObjectModel;
using System.Diagnostics;
using System.IO;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace EdgeOps.Transport
{
    /// <summary>The module running on the device itself: commands run through /bin/sh in a new session.</summary>
    public sealed class LocalTransport : IDeviceTransport
    {
        readonly ConnectionOptions _options;
        public LocalTransport(EdgeDevice device, ConnectionOptions options) { Device = device; _options = options ?? new ConnectionOptions(); }
        public EdgeDevice Device { get; }
        static readonly bool s_isRoot = Environment.UserName == "root";

        public CommandResult Run(ShellCommand command, CommandOptions options, CancellationToken ct) =>
            CommandResult.Collected(this, command, options, ct);

        public CommandResult RunStreaming(ShellCommand command, Stream stdin, Stream stdout, CommandOptions options, CancellationToken ct)
        {
            options = options ?? CommandOptions.Default;
            var text = Privilege.Build(command, options, Device, s_isRoot, _options.SudoCredential, out var prefix, SudoWithoutPassword(options, ct));
            var psi = new ProcessStartInfo("setsid")
            {
                UseShellExecute = false, RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true,
                CreateNoWindow = true,
            };
            AddArguments(psi, "/bin/sh", "-c", text);
            var sw = Stopwatch.StartNew();
            using (var p = Process.Start(psi))
            {
                // blocking reads and writes on threads of their own, as SshTransport's (see OwnThread)
                string stderrText = null;
                var err = OwnThread.Run(() => stderrText = p.StandardError.ReadToEnd(), "EdgeOps stderr");
                var outTask = OwnThread.Run(() =>
                {
                    if (stdout != null) p.StandardOutput.BaseStream.CopyTo(stdout, 256 * 1024);
                    else p.StandardOutput.BaseStream.CopyTo(Stream.Null);
                }, "EdgeOps stdout");
                var inTask = OwnThread.Run(() =>
                {
                    try
                    {
                        var s = p.StandardInput.BaseStream;
                        if (prefix != null) s.Write(prefix, 0, prefix.Length);
                        stdin?.CopyTo(s, 256 * 1024);
                        s.Flush();
                    }
                    catch (IOException) { /* the command stopped reading */ }
                    finally { try { p.StandardInput.Close(); } catch (IOException) { } }
                }, "EdgeOps stdin");
                var timeout = options.Timeout ?? _options.CommandTimeout;
                using (var linked = CancellationTokenSource.CreateLinkedTokenSource(ct))
                {
                    linked.CancelAfter(timeout);
                    while (!p.WaitForExit(100))
                    {
                        if (linked.IsCancellationRequested)
                        {
                            KillGroup(p.Id, options);
                            p.WaitForExit(5000);
                            if (ct.IsCancellationRequested) throw new OperationCanceledException(ct);
                            throw new TimeoutException($"{Device.ComputerName}: the command did not finish within {timeout.TotalSeconds:0} s (-CommandTimeout).");
                        }
                    }
                }
                p.WaitForExit();
                Task.WaitAll(outTask, err);
                inTask.Wait(1000);
                var stderr = stderrText;
                Privilege.TakePid(ref stderr);
                Privilege.ThrowOnSudoFailure(Device, options, p.ExitCode, stderr);
                return new CommandResult { ExitCode = p.ExitCode, Stderr = stderr, Elapsed = sw.Elapsed };
            }
        }

        bool? _sudoWithoutPassword;

        /// <summary>With a -SudoCredential, asks once whether `sudo -n` already works: then the password is not sent.</summary>
        bool SudoWithoutPassword(CommandOptions options, CancellationToken ct) =>
            Privilege.SudoWithoutPassword(ref _sudoWithoutPassword, options, s_isRoot, _options.SudoCredential,
                () => RunStreaming(Sh.Cmd("sudo", "-n", "true"), null, null, CommandOptions.Default, ct).ExitCode == 0);

        void KillGroup(int pgid, CommandOptions options)
        {
            var kill = Privilege.KillGroup(pgid, options.Sudo, s_isRoot, _sudoWithoutPassword == true ? null : _options.SudoCredential, out var prefix);
            var psi = new ProcessStartInfo("/bin/sh") { UseShellExecute = false, RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
            AddArguments(psi, "-c", kill);
            using (var p = Process.Start(psi))
            {
                if (prefix != null) p.StandardInput.BaseStream.Write(prefix, 0, prefix.Length);
                p.StandardInput.Close();
                p.WaitForExit(5000);
            }
        }

        /// <summary>ProcessStartInfo.ArgumentList where the runtime has it (.NET Core 2.1+), so no argument is re-parsed.</summary>
        internal static void AddArguments(ProcessStartInfo psi, params string[] args)
        {
            if (psi.GetType().GetProperty("ArgumentList")?.GetValue(psi) is Collection<string> list)
            {
                foreach (var a in args) list.Add(a);
                return;
            }
            var sb = new StringBuilder();
            foreach (var a in args)
            {
                if (sb.Length > 0) sb.Append(' ');
                sb.Append('"');
                int slashes = 0;
                foreach (var c in a)
                {
                    if (c == '\\') { slashes++; continue; }
                    if (c == '"') { sb.Append('\\', slashes * 2 + 1); sb.Append('"'); }
                    else { sb.Append('\\', slashes); sb.Append(c); }
                    slashes = 0;
                }
                sb.Append('\\', slashes * 2).Append('"');
            }
            psi.Arguments = sb.ToString();
        }

        public void Upload(Stream content, string remotePath, IProgress<long> progress, CancellationToken ct)
        {
            using (var f = new FileStream(remotePath, FileMode.Create, FileAccess.Write))
                StreamPump.Copy(content, f, progress, ct);
        }

        public void Download(string remotePath, Stream destination, IProgress<long> progress, CancellationToken ct)
        {
            using (var f = new FileStream(remotePath, FileMode.Open, FileAccess.Read))
                StreamPump.Copy(f, destination, progress, ct);
        }

        public void Dispose() { }
    }
}
