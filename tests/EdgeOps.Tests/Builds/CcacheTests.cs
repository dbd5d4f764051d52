using System.Management.Automation;
using EdgeOps.Tests.Fleet;
using EdgeOps.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace EdgeOps.Tests.Builds;

/// <summary>
/// ccache on a build host that has it (this machine's /usr, which the simulated devices share, carries it: tests/setup/builds.sh):
/// a build's compilers go through it, and its cache is kept beside the builds, so a second, fresh build of the same
/// sources in another build folder compiles from the cache (ccache's own counters on the device are the oracle).
/// </summary>
[Collection(FleetCollection.Name)]
public sealed class CcacheTests : IDisposable
{
    readonly FleetFixture _f;
    readonly ITestOutputHelper _out;
    readonly string _temp = Directory.CreateTempSubdirectory("edgeops-ccache-").FullName;

    public CcacheTests(FleetFixture f, ITestOutputHelper output) { _f = f; _out = output; }

    public void Dispose()
    {
        try { _f.Fleet.Devices[0].Exec("rm -rf /home/pi/.local/state/edgeops; true"); } catch (Exception) { }
        try { Directory.Delete(_temp, true); } catch (Exception) { }
    }

    /// <summary>ccache's counters for the builds' cache on the device (tab-separated "name value" lines).</summary>
    static Dictionary<string, long> Stats(SimulatedDevice d) =>
        d.ExecOk("su pi -c 'CCACHE_DIR=$HOME/.local/state/edgeops/builds/.ccache ccache --print-stats'")
         .Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('\t'))
         .Where(p => p.Length == 2 && long.TryParse(p[1], out _)).ToDictionary(p => p[0], p => long.Parse(p[1]));

    static long Hits(Dictionary<string, long> s) => s.GetValueOrDefault("direct_cache_hit") + s.GetValueOrDefault("preprocessed_cache_hit");

    [FleetFact]
    public void A_fresh_build_of_the_same_sources_compiles_from_the_kept_cache()
    {
        using var ps = new PowerShellSession();
        var d = _f.Fleet.Devices[0];
        const int kernels = 4;
        PSObject Build(string folder)
        {
            var src = TestProjects.CMakeNinja(Path.Combine(_temp, folder), kernels, TestProjects.Weight.Light);
            var r = ps.Run("Get-EdgeDevice -Inventory $args[0] -Name $args[1] | Start-WheelBuild -Source $args[2] -Jobs 2 | Wait-WheelBuild -Timeout 600",
                           _f.Fleet.InventoryPath, d.Name, src);
            Assert.True(r.Errors.Count == 0, string.Join("\n", r.Errors.Select(e => e.ToString())));
            var b = Assert.Single(r.Output);
            Assert.Equal("Succeeded", b.P("State"));
            Assert.Equal("True", b.P("Ccache"));
            return b;
        }

        var first = Build("first");
        var afterFirst = Stats(d);
        var second = Build("second copy");
        var afterSecond = Stats(d);
        long misses1 = afterFirst.GetValueOrDefault("cache_miss"), hits2 = Hits(afterSecond) - Hits(afterFirst),
             misses2 = afterSecond.GetValueOrDefault("cache_miss") - misses1;
        _out.WriteLine($"first build {first.P("Id")}: {misses1} misses, {Hits(afterFirst)} hits; second {second.P("Id")}: {hits2} hits, {misses2} misses");
        Assert.True(misses1 >= kernels + 1, $"the first build compiled through ccache ({misses1} misses)");
        Assert.Equal(misses1, hits2);   // every compile of the first build (module.c, the kernels, CMake's probe) from the cache
        Assert.Equal(0, misses2);
    }
}
