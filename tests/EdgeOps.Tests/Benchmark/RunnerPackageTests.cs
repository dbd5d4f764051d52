using EdgeOps.Benchmark;
using Xunit;

namespace EdgeOps.Tests.Benchmark
{
    public class RunnerPackageTests
    {
        /// <summary>ELF e_machine: 0x3E x86-64, 0xB7 AArch64.</summary>
        static int ElfMachine(string path)
        {
            var b = new byte[20];
            using (var f = File.OpenRead(path)) Assert.Equal(20, f.Read(b, 0, 20));
            Assert.Equal(new byte[] { 0x7F, (byte)'E', (byte)'L', (byte)'F' }, b[..4]);
            return b[18] | (b[19] << 8);
        }

        [Theory]
        [InlineData("linux-x64", 0x3E)]
        [InlineData("linux-arm64", 0xB7)]
        public void Runner_is_published_self_contained_for_each_device_platform(string rid, int machine)
        {
            var pkg = RunnerPackage.Get(rid, _ => { }, CancellationToken.None);
            Assert.Equal(rid, pkg.Rid);
            Assert.Equal(new[] { "edgeops-runner", "libonnxruntime.so", "libonnxruntime_providers_shared.so" }, pkg.Files);
            foreach (var f in pkg.Files) Assert.Equal(machine, ElfMachine(Path.Combine(pkg.Directory, f)));
            Assert.Matches("^[0-9a-f]{64}$", pkg.Hash);
            Assert.InRange(pkg.TotalBytes, 20L << 20, 80L << 20);
            Assert.Same(pkg, RunnerPackage.Get(rid, _ => { }, CancellationToken.None));
            // Only what runs on the device is even published: no Windows DLLs of ONNX Runtime's package (17 MB).
            Assert.Equal(pkg.Files, Directory.GetFiles(pkg.Directory).Select(Path.GetFileName).OrderBy(f => f, StringComparer.Ordinal));
        }

        [Fact]
        public void A_packaged_runner_folder_gives_devices_only_its_platforms_files()
        {
            var src = RunnerPackage.Get("linux-arm64", _ => { }, CancellationToken.None);
            var x64 = RunnerPackage.Get("linux-x64", _ => { }, CancellationToken.None);
            var module = Directory.CreateTempSubdirectory("edgeops-runners-").FullName;
            try
            {
                // a module's runners/linux-arm64 with strays: Windows DLLs, an x86-64 library, a text file
                var dir = Path.Combine(module, "runners", "linux-arm64");
                Directory.CreateDirectory(dir);
                foreach (var f in src.Files) File.Copy(Path.Combine(src.Directory, f), Path.Combine(dir, f));
                File.WriteAllBytes(Path.Combine(dir, "onnxruntime.dll"), new byte[] { (byte)'M', (byte)'Z', 0x90, 0 });
                File.Copy(Path.Combine(x64.Directory, "libonnxruntime_providers_shared.so"), Path.Combine(dir, "libx86.so"));
                File.WriteAllText(Path.Combine(dir, "README.txt"), "not for devices");
                var pkg = RunnerPackage.FromDirectory("linux-arm64", dir);
                Assert.Equal(src.Files, pkg.Files);
                Assert.Equal(src.Hash, pkg.Hash);

                // an x86-64 program where the arm64 one should be is refused, not copied
                File.Copy(Path.Combine(x64.Directory, "edgeops-runner"), Path.Combine(dir, "edgeops-runner"), overwrite: true);
                var e = Assert.Throws<EdgeOpsException>(() => RunnerPackage.FromDirectory("linux-arm64", dir));
                Assert.Equal("RunnerInvalid", e.ErrorId);
                Assert.Contains("linux-arm64", e.Message);
            }
            finally { Directory.Delete(module, true); }
        }

        [Fact]
        public void Architectures_map_to_runners()
        {
            Assert.Equal("linux-x64", RunnerPackage.RidForMachine("x86_64\n"));
            Assert.Equal("linux-arm64", RunnerPackage.RidForMachine("aarch64"));
            Assert.Null(RunnerPackage.RidForMachine("armv7l"));
            Assert.Null(RunnerPackage.RidForMachine("armv8l"));   // a 32-bit userland on a 64-bit CPU
            Assert.Null(RunnerPackage.RidForMachine(""));
        }
    }
}
