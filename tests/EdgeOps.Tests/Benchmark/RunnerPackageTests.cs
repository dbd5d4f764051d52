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
        }

        [Fact]
        public void Architectures_map_to_runners()
        {
            Assert.Equal("linux-x64", RunnerPackage.RidForMachine("x86_64\n"));
            Assert.Equal("linux-arm64", RunnerPackage.RidForMachine("aarch64"));
            Assert.Null(RunnerPackage.RidForMachine("armv7l"));
            Assert.Null(RunnerPackage.RidForMachine(""));
        }
    }
}
