using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;

namespace EdgeOps.Tests.Wheels
{
    /// <summary>
    /// Builds real wheel archives that a real pip installs: {pkg}/__init__.py with __version__ and a cuda.is_available()
    /// returning the given flag, a .dist-info with METADATA, WHEEL (Tag lines) and RECORD (sha256 lines).
    /// </summary>
    public static class TestWheels
    {
        public sealed record Spec(string Package = "torch", string Version = "2.1.0", string Tag = "py3-none-any")
        {
            public bool Cuda { get; init; }
            /// <summary>__init__ raises: installs fine, fails to import.</summary>
            public bool Broken { get; init; }
            /// <summary>Bytes of incompressible payload (a big wheel for the benchmark).</summary>
            public long PadBytes { get; init; }
            /// <summary>Requires-Dist: torch==this (companions).</summary>
            public string? RequiresTorch { get; init; }
            /// <summary>A marker written into the package so tests can tell builds of one version apart.</summary>
            public string Build { get; init; } = "";
        }

        public static string FileName(Spec s) => $"{Dist(s.Package)}-{s.Version}-{s.Tag}.whl";
        static string Dist(string package) => package.Replace('-', '_');

        public static string Build(string dir, Spec s)
        {
            Directory.CreateDirectory(dir);
            var path = Path.Combine(dir, FileName(s));
            var module = Dist(s.Package);
            var distInfo = $"{Dist(s.Package)}-{s.Version}.dist-info";
            var files = new List<(string Name, byte[] Data)>();
            var init = new StringBuilder();
            if (s.Broken) init.Append("raise ImportError('this build of " + s.Package + " is broken (test wheel)')\n");
            init.Append($"__version__ = '{s.Version}'\nBUILD = '{s.Build}'\nfrom . import cuda\n");
            files.Add(($"{module}/__init__.py", Encoding.UTF8.GetBytes(init.ToString())));
            files.Add(($"{module}/cuda.py", Encoding.UTF8.GetBytes($"def is_available():\n    return {(s.Cuda ? "True" : "False")}\n")));
            var meta = new StringBuilder($"Metadata-Version: 2.1\nName: {s.Package}\nVersion: {s.Version}\nSummary: EdgeOps test wheel\n");
            if (s.RequiresTorch != null) meta.Append($"Requires-Dist: torch (=={s.RequiresTorch})\n");
            files.Add(($"{distInfo}/METADATA", Encoding.UTF8.GetBytes(meta.ToString())));
            var wheel = new StringBuilder("Wheel-Version: 1.0\nGenerator: edgeops-tests\nRoot-Is-Purelib: true\n");
            var parts = s.Tag.Split('-');
            foreach (var py in parts[0].Split('.')) foreach (var abi in parts[1].Split('.')) foreach (var plat in parts[2].Split('.'))
                wheel.Append($"Tag: {py}-{abi}-{plat}\n");
            files.Add(($"{distInfo}/WHEEL", Encoding.UTF8.GetBytes(wheel.ToString())));

            using (var fs = new FileStream(path, FileMode.Create))
            using (var zip = new ZipArchive(fs, ZipArchiveMode.Create))
            {
                var record = new StringBuilder();
                foreach (var (name, data) in files)
                {
                    var e = zip.CreateEntry(name, CompressionLevel.Optimal);
                    using (var z = e.Open()) z.Write(data);
                    record.Append($"{name},sha256={B64(SHA256.HashData(data))},{data.Length}\n");
                }
                if (s.PadBytes > 0)
                {
                    var name = $"{module}/lib/payload.bin";
                    var e = zip.CreateEntry(name, CompressionLevel.NoCompression);
                    using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
                    var rng = new Random(s.Version.GetHashCode());
                    var buf = new byte[1 << 20];
                    using (var z = e.Open())
                        for (long left = s.PadBytes; left > 0; left -= buf.Length)
                        {
                            rng.NextBytes(buf);
                            int n = (int)Math.Min(buf.Length, left);
                            z.Write(buf, 0, n);
                            sha.AppendData(buf, 0, n);
                        }
                    record.Append($"{name},sha256={B64(sha.GetHashAndReset())},{s.PadBytes}\n");
                }
                record.Append($"{distInfo}/RECORD,,\n");
                var r = zip.CreateEntry($"{distInfo}/RECORD");
                using (var z = r.Open()) z.Write(Encoding.UTF8.GetBytes(record.ToString()));
            }
            return path;
        }

        static string B64(byte[] h) => Convert.ToBase64String(h).TrimEnd('=').Replace('+', '-').Replace('/', '_');

        public static string Sha256(string path) => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path))).ToLowerInvariant();
    }
}
