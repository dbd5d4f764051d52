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

        /// <summary>`uname -m` to the runtime identifier of the runner, or null when no runner exists for it.</summary>
        public static string RidForMachine(string unameM)
        {
            switch ((unameM ?? "").Trim())
            {
                case "x86_64": case "amd64": return "linux-x64";
                case "aarch64": case "arm64": case "armv8l": return "linux-arm64";
                default: return null;
            }
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
            // The engine sits in <module>/Dependencies/ (or a test's bin folder).
            var dir = Path.GetDirectoryName(typeof(RunnerPackage).Assembly.Location) ?? ".";
            return string.Equals(Path.GetFileName(dir), "Dependencies", StringComparison.OrdinalIgnoreCase) ? Path.GetDirectoryName(dir) : dir;
        }

        static RunnerPackage FromDirectory(string rid, string dir)
        {
            if (!File.Exists(Path.Combine(dir, ExecutableName))) return null;
            // The executable and the Linux shared libraries; nothing else of the publish folder is needed on a device.
            var files = System.IO.Directory.GetFiles(dir)
                .Select(Path.GetFileName)
                .Where(f => f == ExecutableName || f.EndsWith(".so", StringComparison.Ordinal))
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
