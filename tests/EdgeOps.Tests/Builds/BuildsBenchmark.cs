using System.Diagnostics;
using System.Globalization;
using EdgeOps.Tests.Fleet;
using EdgeOps.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace EdgeOps.Tests.Builds;

/// <summary>
/// Start-to-Receive wall time of a CMake + Ninja wheel build through EdgeOps (Start-WheelBuild | Wait-WheelBuild |
/// Receive-WheelBuild) against the same build by hand over OpenSSH (tar over ssh, the same pip command with the same
/// jobs, the wheel copied back), on one simulated device; runs alternate, ccache off in both.
/// Target: EdgeOps' overhead at most 5% + 3 s.
/// </summary>
public sealed class BuildsBenchmark
{
    readonly ITestOutputHelper _out;
    public BuildsBenchmark(ITestOutputHelper output) { _out = output; }

    void Say(string line) { _out.WriteLine(line); Console.WriteLine(line); }

    [BenchFact("bench/builds/run.sh")]
    public void Start_to_Receive_against_a_build_by_hand_over_ssh()
    {
        int kernels = int.Parse(Environment.GetEnvironmentVariable("EDGEOPS_BENCH_KERNELS") ?? "24", CultureInfo.InvariantCulture);
        int jobs = int.Parse(Environment.GetEnvironmentVariable("EDGEOPS_BENCH_JOBS") ?? "2", CultureInfo.InvariantCulture);
        int rounds = int.Parse(Environment.GetEnvironmentVariable("EDGEOPS_BENCH_ROUNDS") ?? "3", CultureInfo.InvariantCulture);
        var temp = Directory.CreateTempSubdirectory("edgeops-buildbench-").FullName;
        using var fleet = SimulatedFleet.Start(1, 1L << 30);
        try
        {
            var d = fleet.Devices[0];
            var src = TestProjects.CMakeNinja(Path.Combine(temp, "edgevec"), kernels);
            Say($"project: CMake + Ninja, {kernels + 1} C files; {jobs} jobs; device {d.Name}; {rounds} rounds, alternating; ccache off");
            using var ps = new PowerShellSession();
            Assert.Empty(ps.Run("Get-EdgeDevice -Inventory $args[0] | Test-EdgeDevice", fleet.InventoryPath).Errors);   // connection open, as a user's session

            var ssh = new[] { "-i", fleet.KeyPath("ed25519"), "-o", "UserKnownHostsFile=" + fleet.KnownHostsPath, "-o", "StrictHostKeyChecking=yes",
                              "-o", "BatchMode=yes", "-p", d.Port.ToString(CultureInfo.InvariantCulture), "pi@" + d.Address };
            double ByHand(int round)
            {
                var dest = Path.Combine(temp, "byhand" + round);
                Directory.CreateDirectory(dest);
                var sw = Stopwatch.StartNew();
                var remote = $"set -e; rm -rf ~/byhand; mkdir -p ~/byhand && tar -xzf - -C ~/byhand && cd ~/byhand/edgevec && " +
                             $"CMAKE_BUILD_PARALLEL_LEVEL={jobs} MAX_JOBS={jobs} MAKEFLAGS=-j{jobs} python3 -m pip wheel -v --no-build-isolation --no-deps --wheel-dir dist . > build.log 2>&1 && ls dist";
                var tar = $"tar -czf - -C {Q(temp)} edgevec | ssh {string.Join(" ", ssh.Select(Q))} {Q(remote)}";
                var r = HostProcess.Run("/bin/sh", new[] { "-c", tar }, timeout: TimeSpan.FromMinutes(20)).EnsureOk("build by hand");
                var wheel = r.stdout.Trim().Split('\n').Last();
                HostProcess.Run("/bin/sh", new[] { "-c", $"ssh {string.Join(" ", ssh.Select(Q))} {Q("cat ~/byhand/edgevec/dist/" + wheel)} > {Q(Path.Combine(dest, wheel))}" })
                    .EnsureOk("copying the wheel back");
                var s = sw.Elapsed.TotalSeconds;
                Assert.True(new FileInfo(Path.Combine(dest, wheel)).Length > 1000);
                return s;
            }
            double EdgeOps(int round)
            {
                var dest = Path.Combine(temp, "edgeops" + round);
                var sw = Stopwatch.StartNew();
                var r = ps.Run("Get-EdgeDevice -Inventory $args[0] | Start-WheelBuild -Source $args[1] -Jobs $args[2] -Environment @{ EDGEOPS_CCACHE = '0' } | " +
                               "Wait-WheelBuild | Receive-WheelBuild -Destination $args[3]", fleet.InventoryPath, src, jobs, dest);
                var s = sw.Elapsed.TotalSeconds;
                Assert.Empty(r.Errors);
                Assert.Equal("Received", Assert.Single(r.Output).Properties["Action"].Value);
                return s;
            }

            static string Load() => string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
            var loadBefore = Load();
            ByHand(-1);   // warm the page cache (compiler, headers) for both
            var a = new List<double>(); var b = new List<double>();
            for (int i = 0; i < rounds; i++)
            {
                b.Add(ByHand(i));
                a.Add(EdgeOps(i));
                Say($"round {i + 1}: EdgeOps {a[^1]:0.0} s, by hand over ssh {b[^1]:0.0} s");
            }
            var loadAfter = Load();
            Say($"load average (1/5/15 min): {loadBefore} before, {loadAfter} after");
            double ma = Median(a), mb = Median(b);
            double overhead = ma - mb, allowed = mb * 0.05 + 3;
            Say($"median: EdgeOps Start-to-Receive {ma:0.0} s, by hand {mb:0.0} s, overhead {overhead:0.0} s ({overhead / mb * 100:0.0}%); target <= {allowed:0.0} s (5% + 3 s): {(overhead <= allowed ? "met" : "missed")}");
            File.WriteAllText(Path.Combine(Repo.Root, "bench", "builds", "last-run.txt"),
                $"{DateTime.UtcNow:yyyy-MM-dd HH:mm}Z, {Environment.ProcessorCount} CPUs, load average {loadBefore} before and {loadAfter} after: {kernels + 1} C files, {jobs} jobs, {rounds} rounds\n" +
                string.Join("\n", a.Select((x, i) => $"round {i + 1}: EdgeOps {x:0.0} s, by hand {b[i]:0.0} s")) +
                $"\nmedian: EdgeOps {ma:0.0} s, by hand {mb:0.0} s, overhead {overhead:0.0} s ({overhead / mb * 100:0.0}%); target <= {allowed:0.0} s: {(overhead <= allowed ? "met" : "missed")}\n");
        }
        finally
        {
            try { Directory.Delete(temp, true); } catch (Exception) { }
        }
    }

    static double Median(List<double> v) { var s = v.OrderBy(x => x).ToList(); return s.Count % 2 == 1 ? s[s.Count / 2] : (s[s.Count / 2 - 1] + s[s.Count / 2]) / 2; }

    static string Q(string s) => "'" + s.Replace("'", "'\"'\"'") + "'";
}
