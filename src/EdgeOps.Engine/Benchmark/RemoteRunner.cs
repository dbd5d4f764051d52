using System;
using System.IO;
using System.Linq;
using System.Text;
using EdgeOps.Benchmark.Measure;
using EdgeOps.Fleet;
using EdgeOps.Transport;

namespace EdgeOps.Benchmark
{
    /// <summary>
    /// Measures on a device: picks the runner for the device's architecture, copies it once into
    /// &lt;dir&gt;/runner/&lt;sha256&gt;/ (default dir: ~/.cache/edgeops), copies each model once into
    /// &lt;dir&gt;/models/&lt;sha256&gt;.onnx, runs the runner with the request on stdin and reads back raw latencies.
    /// </summary>
    public static class RemoteRunner
    {
        // Machine, home, and the userland's word size: a 32-bit Raspberry Pi OS on a 64-bit kernel says aarch64.
        const string ProbeScript = "uname -m; printf '%s\\n' \"$HOME\"; getconf LONG_BIT 2>/dev/null || echo 64";
        const string HasRunnerScript = "test -x {0}/edgeops-runner && test -f {0}/.complete";
        const string PrepareScript = "mkdir -p {0} && rm -rf {1} && mkdir -p {1}";
        const string SealScript = "chmod 755 {0}/edgeops-runner && : > {0}/.complete && " +
                                  "if test -f {1}/.complete; then rm -rf {0}; else rm -rf {1} && mv {0} {1}; fi";
        const string HasFileScript = "test -s {0}";
        const string PlaceModelScript = "mkdir -p {0}";
        const string MoveScript = "mv -f {0} {1}";
        /// <summary>Checks the runner's folder and files before each use (Scripts/benchmark-runner-verify.sh).</summary>
        static string VerifyScript => EmbeddedScripts.Text("benchmark-runner-verify.sh");

        static readonly System.Collections.Concurrent.ConcurrentDictionary<string, System.Collections.Generic.Dictionary<string, string>> s_fileHashes =
            new System.Collections.Concurrent.ConcurrentDictionary<string, System.Collections.Generic.Dictionary<string, string>>();

        static System.Collections.Generic.Dictionary<string, string> FileHashes(RunnerPackage pkg) =>
            s_fileHashes.GetOrAdd(pkg.Hash, _ =>
            {
                var d = new System.Collections.Generic.Dictionary<string, string>(StringComparer.Ordinal);
                using (var sha = System.Security.Cryptography.SHA256.Create())
                    foreach (var f in pkg.Files)
                        using (var s = File.OpenRead(Path.Combine(pkg.Directory, f)))
                            d[f] = string.Concat(sha.ComputeHash(s).Select(b => b.ToString("x2")));
                return d;
            });

        /// <summary>Refuses a runner folder that others could have written, or whose files are not EdgeOps' own (RunnerTampered).</summary>
        static void Verify(IDeviceContext ctx, RunnerPackage pkg, string runnerDir)
        {
            var dev = ctx.Device.ComputerName;
            var args = new[] { "-c", VerifyScript, "sh", runnerDir }.Concat(pkg.Files).ToArray();
            var r = ctx.Transport.Run(Sh.Cmd("sh", args), CommandOptions.Default, ctx.Cancellation);
            var unsafeLine = r.Stdout.Split('\n').FirstOrDefault(l => l.StartsWith("unsafe=", StringComparison.Ordinal));
            if (unsafeLine != null)
                throw new EdgeOpsException("RunnerDirectoryUnsafe", "SecurityError",
                    $"{dev}: the benchmark runner in {runnerDir} was not run: {unsafeLine.Substring(7).Trim()}, so someone else could have put or changed it. " +
                    "Give -RunnerDirectory a folder only the login user can write.") { Device = dev };
            var found = new System.Collections.Generic.Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var line in r.Stdout.Split('\n'))
            {
                var parts = line.Trim().Split(new[] { ' ' }, 2, StringSplitOptions.RemoveEmptyEntries);
                if (parts.Length == 2) found[parts[1].TrimStart('*', ' ')] = parts[0];
            }
            foreach (var kv in FileHashes(pkg))
                if (!found.TryGetValue(kv.Key, out var h) || h != kv.Value)
                    throw new EdgeOpsException("RunnerTampered", "SecurityError",
                        $"{dev}: {runnerDir}/{kv.Key} is not EdgeOps' own runner file (sha256 {(h ?? "missing")}, expected {kv.Value}): it was changed after it was copied, and was not run. " +
                        $"Remove {runnerDir} and run again.") { Device = dev };
        }

        public static MeasureResponse Measure(IDeviceContext ctx, MeasureRequest request, string runnerDirectory, out string runnerHash)
        {
            var dev = ctx.Device.ComputerName;
            var t = ctx.Transport;
            var ct = ctx.Cancellation;
            var probe = t.Run(Sh.Script(ProbeScript), CommandOptions.Default, ct).EnsureSuccess(dev, "reading the architecture");
            var lines = probe.Stdout.Split('\n').Select(l => l.Trim()).ToArray();
            var arch = lines.ElementAtOrDefault(0) ?? "";
            var home = lines.ElementAtOrDefault(1) ?? "";
            var bits = lines.ElementAtOrDefault(2) ?? "64";
            var rid = bits == "32" ? null : RunnerPackage.RidForMachine(arch);
            if (rid == null)
                throw new EdgeOpsException("RunnerUnsupportedArchitecture", "NotImplemented",
                    $"{dev}: no benchmark runner for its {(bits == "32" ? "32-bit " : "")}'{arch}' userland: ONNX Runtime publishes no Linux library for it, " +
                    $"so Invoke-EdgeBenchmark measures on 64-bit Linux devices only ({string.Join(", ", RunnerPackage.SupportedRids)}). " +
                    $"Install a 64-bit OS on {dev} (64-bit Raspberry Pi OS runs on a Raspberry Pi 3, 4, 5 and Zero 2), " +
                    "or measure the model on this machine: Invoke-EdgeBenchmark without devices.") { Device = dev };
            var baseDir = string.IsNullOrEmpty(runnerDirectory) ? (home.StartsWith("/", StringComparison.Ordinal) ? home.TrimEnd('/') + "/.cache/edgeops" : null) : runnerDirectory.TrimEnd('/');
            if (string.IsNullOrEmpty(baseDir) || !baseDir.StartsWith("/", StringComparison.Ordinal))
                throw new EdgeOpsException("RunnerDirectoryInvalid", "InvalidArgument",
                    $"{dev}: " + (string.IsNullOrEmpty(runnerDirectory) ? $"the login user has no home folder ('{home}'), so the runner has nowhere to go"
                                                                         : $"-RunnerDirectory '{runnerDirectory}' is not an absolute path") +
                    ". Give -RunnerDirectory an absolute folder on the device.");

            var pkg = RunnerPackage.Get(rid, ctx.Verbose, ct);
            runnerHash = pkg.Hash;
            var runnerDir = baseDir + "/runner/" + pkg.Hash;
            var exe = runnerDir + "/" + RunnerPackage.ExecutableName;
            if (t.Run(Sh.Script(HasRunnerScript, runnerDir), CommandOptions.Default, ct).ExitCode != 0)
                Deploy(ctx, pkg, baseDir, runnerDir);
            else ctx.Verbose($"Runner {pkg.Hash.Substring(0, 12)} ({rid}) already on the device.");

            Verify(ctx, pkg, runnerDir);
            var smoke = t.Run(Sh.Cmd(exe, "--version"), CommandOptions.Default, ct);
            if (smoke.ExitCode != 0 || !smoke.Stdout.StartsWith("edgeops-runner", StringComparison.Ordinal))
                throw Unusable(dev, runnerDir, smoke);
            ctx.Verbose("Runner: " + smoke.Stdout.Trim());

            var remote = new MeasureRequest
            {
                BatchSize = request.BatchSize, WarmupRuns = request.WarmupRuns, Runs = request.Runs, DurationSeconds = request.DurationSeconds,
                Threads = request.Threads, GraphOptimization = request.GraphOptimization, ExecutionProvider = request.ExecutionProvider, Seed = request.Seed,
            };
            foreach (var kv in request.InputShapes) remote.InputShapes[kv.Key] = kv.Value;
            foreach (var model in request.Models) remote.Models.Add(PlaceModel(ctx, model, baseDir + "/models"));

            ctx.Verbose($"Measuring {request.Models.Count} model(s) on the device.");
            ctx.Progress("Benchmarking", "runner measuring on the device", 0, 0);
            using (var stdin = new MemoryStream(Encoding.UTF8.GetBytes(remote.ToWire())))
            using (var stdout = new MemoryStream())
            {
                var r = t.RunStreaming(Sh.Cmd(exe, "--measure"), stdin, stdout, CommandOptions.Default, ct);
                var text = Encoding.UTF8.GetString(stdout.ToArray());
                if (r.ExitCode == 3)
                {
                    try { MeasureResponse.FromWire(text); }
                    catch (EdgeOpsException e) { throw new EdgeOpsException(e.ErrorId, e.Category, $"{dev}: {e.Message}") { Device = dev }; }
                }
                if (r.ExitCode != 0) throw new DeviceCommandException(dev, "the benchmark runner", r.ExitCode, (r.Stderr + "\n" + text).Trim());
                try { return MeasureResponse.FromWire(text); }
                catch (InvalidDataException e)
                {
                    throw new EdgeOpsException("RunnerProtocolError", "InvalidResult", $"{dev}: the runner's answer could not be read ({e.Message.TrimEnd('.')}). Delete the device's runner folder (~/.cache/edgeops/runner or -RunnerDirectory) and run again.", e) { Device = dev };
                }
            }
        }

        static void Deploy(IDeviceContext ctx, RunnerPackage pkg, string baseDir, string runnerDir)
        {
            var dev = ctx.Device.ComputerName;
            var t = ctx.Transport;
            var ct = ctx.Cancellation;
            var staging = runnerDir + ".tmp-" + Guid.NewGuid().ToString("N").Substring(0, 8);
            ctx.Verbose($"Copying the {pkg.Rid} runner ({RateMeter.Human(pkg.TotalBytes)}) to {runnerDir}.");
            var prep = t.Run(Sh.Script(PrepareScript, baseDir + "/runner", staging), CommandOptions.Default, ct);
            if (prep.ExitCode != 0)
                throw new EdgeOpsException("RunnerDeployFailed", "WriteError",
                    $"{dev}: cannot create {staging}: {prep.Stderr.Trim()}. Give -RunnerDirectory a folder the login user can write.") { Device = dev };
            long total = pkg.TotalBytes, before = 0;
            try
            {
                foreach (var f in pkg.Files)
                {
                    long offset = before;
                    using (var s = File.OpenRead(Path.Combine(pkg.Directory, f)))
                        t.Upload(s, staging + "/" + f, new Progress(p => ctx.Progress("Copying the benchmark runner", f, offset + p, total)), ct);
                    before += new FileInfo(Path.Combine(pkg.Directory, f)).Length;
                }
            }
            catch (Exception e) when (!(e is OperationCanceledException))
            {
                t.Run(Sh.Cmd("rm", "-rf", staging), CommandOptions.Default, ct);
                throw new EdgeOpsException("RunnerDeployFailed", "WriteError",
                    $"{dev}: copying the benchmark runner ({RateMeter.Human(total)}) to {staging} failed: {e.Message}. " +
                    "Free some space there or give -RunnerDirectory another folder.", e) { Device = dev };
            }
            ctx.ProgressDone("Copying the benchmark runner");
            t.Run(Sh.Script(SealScript, staging, runnerDir), CommandOptions.Default, ct).EnsureSuccess(dev, "installing the benchmark runner");
        }

        static string PlaceModel(IDeviceContext ctx, string localPath, string modelsDir)
        {
            var t = ctx.Transport;
            var ct = ctx.Cancellation;
            var hash = RunnerPackage.FileHash(localPath);
            var remote = modelsDir + "/" + hash + ".onnx";
            if (t.Run(Sh.Script(HasFileScript, remote), CommandOptions.Default, ct).ExitCode == 0) return remote;
            ctx.Verbose($"Copying {Path.GetFileName(localPath)} to {remote}.");
            t.Run(Sh.Script(PlaceModelScript, modelsDir), CommandOptions.Default, ct).EnsureSuccess(ctx.Device.ComputerName, "creating " + modelsDir);
            var tmp = remote + ".tmp-" + Guid.NewGuid().ToString("N").Substring(0, 8);
            var size = new FileInfo(localPath).Length;
            try
            {
                using (var s = File.OpenRead(localPath))
                    t.Upload(s, tmp, new Progress(p => ctx.Progress("Copying the model", Path.GetFileName(localPath), p, size)), ct);
            }
            catch (Exception e) when (!(e is OperationCanceledException))
            {
                t.Run(Sh.Cmd("rm", "-f", tmp), CommandOptions.Default, ct);
                throw new EdgeOpsException("ModelUploadFailed", "WriteError",
                    $"{ctx.Device.ComputerName}: copying '{Path.GetFileName(localPath)}' ({RateMeter.Human(size)}) to {modelsDir} failed: {e.Message}. " +
                    "Free some space there or give -RunnerDirectory another folder.", e) { Device = ctx.Device.ComputerName };
            }
            ctx.ProgressDone("Copying the model");
            t.Run(Sh.Script(MoveScript, tmp, remote), CommandOptions.Default, ct).EnsureSuccess(ctx.Device.ComputerName, "storing the model");
            return remote;
        }

        static EdgeOpsException Unusable(string dev, string dir, CommandResult r)
        {
            var err = (r.Stderr + " " + r.Stdout).Trim();
            string why;
            if (r.ExitCode == 126) why = "it cannot be executed there (the filesystem is mounted noexec, or the file lost its execute permission)";
            else if (r.ExitCode == 127) why = "it or a library it needs was not found (EdgeOps runners need glibc-based 64-bit Linux)";
            else why = $"it exited with code {r.ExitCode}";
            if (err.Length > 400) err = err.Substring(0, 400) + "...";
            return new EdgeOpsException("RunnerUnusable", "ResourceUnavailable",
                $"{dev}: the benchmark runner in {dir} cannot run: {why}{(err.Length > 0 ? " (" + err + ")" : "")}. " +
                "Give -RunnerDirectory a folder on a filesystem that allows programs to run, with about 50 MB free.") { Device = dev };
        }

        sealed class Progress : IProgress<long>
        {
            readonly Action<long> _a;
            public Progress(Action<long> a) { _a = a; }
            public void Report(long value) => _a(value);
        }
    }
}
