using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Text;
using System.Threading;
using EdgeOps.Transport;

namespace EdgeOps.Benchmark
{
    /// <summary>
    /// The benchmark runner for one platform (linux-x64 or linux-arm64): a self-contained single-file program plus
    /// ONNX Runtime's native library, named by the SHA-256 of its files so a device keeps one copy per version.
    /// Found in the module's runners/&lt;rid&gt;/ folder (a packaged module), else published from the source tree
    /// on first use into the cache (~/.cache/edgeops/runner-build/&lt;source hash&gt;/&lt;rid&gt;/).
    /// </summary>
    public sealed class RunnerPackage
    {
        public const string ExecutableName = "edgeops-runner";
        public static readonly string[] SupportedRids = { "linux-x64", "linux-arm64" };

        RunnerPackage(string rid, string directory, IReadOnlyList<string> files, string hash)
        {
            Rid = rid; Directory = directory; Files = files; Hash = hash;
        }

        public string Rid { get; }
        public string Directory { get; }
        /// <summary>File names (relative to <see cref="Directory"/>) to copy to a device.</summary>
        public IReadOnlyList<string> Files { get; }
        /// <summary>SHA-256 over the files' names and contents, hex.</summary>
        public string Hash { get; }
        public long TotalBytes => Files.Sum(f => new FileInfo(Path.Combine(Directory, f)).Length);

        static readonly Dictionary<string, RunnerPackage> s_cache = new Dictionary<string, RunnerPackage>();
        static readonly object s_lock = new object();

        /// <summary>
        /// `uname -m` to the runtime identifier of the runner, or null when no runner exists for it. armv7l, armv6l and
        /// armv8l (a 32-bit userland on a 64-bit CPU) have none: ONNX Runtime publishes no 32-bit ARM Linux library.
        /// </summary>
        public static string RidForMachine(string unameM)
        {
            switch ((unameM ?? "").Trim())
            {
                case "x86_64": case "amd64": return "linux-x64";
                case "aarch64": case "arm64": return "linux-arm64";
                default: return null;
            }
        }

        /// <summary>ELF e_machine of the files that run on a platform's devices.</summary>
        static int MachineOf(string rid) => rid == "linux-arm64" ? 0xB7 : 0x3E;

        /// <summary>The ELF e_machine of a file, or -1 when it is not a 64-bit little-endian ELF file.</summary>
        internal static int ElfMachine(string path)
        {
            var b = new byte[20];
            using (var f = File.OpenRead(path))
            {
                int n = 0, r;
                while (n < b.Length && (r = f.Read(b, n, b.Length - n)) > 0) n += r;
                if (n < b.Length) return -1;
            }
            if (b[0] != 0x7F || b[1] != (byte)'E' || b[2] != (byte)'L' || b[3] != (byte)'F' || b[4] != 2 || b[5] != 1) return -1;
            return b[18] | (b[19] << 8);
        }

        /// <summary>The runner for a platform; publishes it from source the first time when no packaged one exists.</summary>
        public static RunnerPackage Get(string rid, Action<string> log, CancellationToken ct)
        {
            if (!SupportedRids.Contains(rid)) throw new ArgumentException("No runner for " + rid, nameof(rid));
            lock (s_lock)
            {
                if (s_cache.TryGetValue(rid, out var cached)) return cached;
                var packaged = Path.Combine(ModuleDirectory(), "runners", rid);
                RunnerPackage pkg = FromDirectory(rid, packaged) ?? BuildFromSource(rid, log, ct);
                s_cache[rid] = pkg;
                return pkg;
            }
        }

        static string ModuleDirectory()
        {
            // The engine sits in <module>/Dependencies/, or below it (core/net10.0-linux-x64/: the ReadyToRun build), or in a
            // test's bin folder.
            var dir = Path.GetDirectoryName(typeof(RunnerPackage).Assembly.Location) ?? ".";
            var d = dir;
            for (int up = 0; up < 3 && !string.IsNullOrEmpty(d); up++, d = Path.GetDirectoryName(d))
                if (string.Equals(Path.GetFileName(d), "Dependencies", StringComparison.OrdinalIgnoreCase)) return Path.GetDirectoryName(d);
            return dir;
        }

        /// <summary>The runner in a folder (a module's runners/&lt;rid&gt;/, a publish output), or null when it has none.</summary>
        internal static RunnerPackage FromDirectory(string rid, string dir)
        {
            var exe = Path.Combine(dir, ExecutableName);
            if (!File.Exists(exe)) return null;
            int machine = MachineOf(rid);
            if (ElfMachine(exe) != machine)
                throw new EdgeOpsException("RunnerInvalid", "InvalidData",
                    $"{exe} is not a {rid} program: replace the module's runners/{rid} folder (build.ps1 publishes it) or remove it to publish from source.");
            // Only what runs on the device: the program and the shared libraries built for its platform (a publish
            // folder may hold other platforms' files, such as ONNX Runtime's Windows DLLs).
            var files = System.IO.Directory.GetFiles(dir)
                .Select(Path.GetFileName)
                .Where(f => f == ExecutableName || (f.EndsWith(".so", StringComparison.Ordinal) && ElfMachine(Path.Combine(dir, f)) == machine))
                .OrderBy(f => f, StringComparer.Ordinal).ToList();
            using (var sha = SHA256.Create())
            {
                foreach (var f in files)
                {
                    var name = Encoding.UTF8.GetBytes(f + "\n");
                    sha.TransformBlock(name, 0, name.Length, null, 0);
                    var content = File.ReadAllBytes(Path.Combine(dir, f));
                    sha.TransformBlock(content, 0, content.Length, null, 0);
                }
                sha.TransformFinalBlock(new byte[0], 0, 0);
                return new RunnerPackage(rid, dir, files, Hex.Lower(sha.Hash));
            }
        }

        /// <summary>The repository's src folder above the engine's location, or null for an installed module.</summary>
        static string FindSourceTree()
        {
            for (var d = new DirectoryInfo(ModuleDirectory()); d != null; d = d.Parent)
                if (File.Exists(Path.Combine(d.FullName, "src", "EdgeOps.Runner", "EdgeOps.Runner.csproj"))) return d.FullName;
            return null;
        }

        static RunnerPackage BuildFromSource(string rid, Action<string> log, CancellationToken ct)
        {
            var root = FindSourceTree();
            if (root == null)
                throw new EdgeOpsException("RunnerMissing", "ObjectNotFound",
                    $"This EdgeOps module has no benchmark runner for {rid} (expected in {Path.Combine(ModuleDirectory(), "runners", rid)}). " +
                    "Install a module package that includes runners, or build EdgeOps from source with the .NET SDK.");
            var sources = new[] { "src/EdgeOps.Runner", "src/EdgeOps.Engine/Benchmark/Measure", "src/EdgeOps.Engine/Benchmark/Onnx" }
                .SelectMany(d => System.IO.Directory.GetFiles(Path.Combine(root, d), "*.cs*", SearchOption.TopDirectoryOnly))
                .Concat(new[] { Path.Combine(root, "src/EdgeOps.Engine/Transport/Errors.cs"), Path.Combine(root, "Directory.Build.props") })
                .Where(File.Exists).OrderBy(p => p, StringComparer.Ordinal).ToList();
            string sourceHash;
            using (var sha = SHA256.Create())
            {
                foreach (var f in sources)
                {
                    var b = Encoding.UTF8.GetBytes(f.Substring(root.Length) + "\n" + File.ReadAllText(f));
                    sha.TransformBlock(b, 0, b.Length, null, 0);
                }
                sha.TransformFinalBlock(new byte[0], 0, 0);
                sourceHash = Hex.Lower(sha.Hash).Substring(0, 16);
            }
            var target = Path.Combine(CacheRoot(), "runner-build", sourceHash, rid);
            var existing = FromDirectory(rid, target);
            if (existing != null) return existing;

            var staging = target + ".tmp-" + Guid.NewGuid().ToString("N").Substring(0, 8);
            log?.Invoke($"Publishing the benchmark runner for {rid} from {root} (first use; cached in {target}).");
            var project = Path.Combine(root, "src", "EdgeOps.Runner", "EdgeOps.Runner.csproj");
            var publish = Sh.Script(
                // A dotnet started from inside a test or build inherits MSBuild's variables; the publish must not.
                "unset MSBuildExtensionsPath MSBuildSDKsPath MSBUILD_EXE_PATH MSBuildLoadMicrosoftTargetsReadOnly DOTNET_HOST_PATH; " +
                "dotnet publish {0} -c Release -r {1} -o {2} -nologo -v quiet",
                project, rid, staging);
            using (var local = new LocalTransport(EdgeDevice.Local(), new ConnectionOptions { CommandTimeout = TimeSpan.FromMinutes(10) }))
            {
                var r = local.Run(publish, CommandOptions.Default, ct);
                if (r.ExitCode != 0)
                {
                    TryDelete(staging);
                    throw new EdgeOpsException("RunnerBuildFailed", "InvalidResult",
                        $"Publishing the benchmark runner for {rid} failed (exit code {r.ExitCode}): {(r.Stdout + r.Stderr).Trim()}");
                }
            }
            if (System.IO.Directory.Exists(target)) TryDelete(staging);
            else System.IO.Directory.Move(staging, target);
            return FromDirectory(rid, target) ?? throw new EdgeOpsException("RunnerBuildFailed", "InvalidResult",
                $"Publishing the benchmark runner for {rid} produced no {ExecutableName} in {target}.");
        }

        internal static string CacheRoot() => Path.GetDirectoryName(Path.GetDirectoryName(SampleModels.CacheDirectory()));

        static void TryDelete(string dir)
        {
            try { if (System.IO.Directory.Exists(dir)) System.IO.Directory.Delete(dir, true); }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }

        /// <summary>SHA-256 of a file, hex.</summary>
        public static string FileHash(string path)
        {
            using (var sha = SHA256.Create())
            using (var f = File.OpenRead(path)) return Hex.Lower(sha.ComputeHash(f));
        }
    }
}
