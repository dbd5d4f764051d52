using System.Diagnostics;
using System.Globalization;
using EdgeOps.Tests.Fleet;
using EdgeOps.Tests.Infrastructure;
using EdgeOps.Tests.Storage;
using Xunit;
using Xunit.Abstractions;
using Spec = EdgeOps.Tests.Wheels.TestWheels.Spec;

namespace EdgeOps.Tests.Wheels
{
    /// <summary>
    /// One ~100 MB wheel from S3 (s3rver) to 8 simulated devices: once as one fleet run, once as 8 runs one after
    /// another (same cache state at the start of each: empty local cache, no wheel and no torch on the devices).
    /// </summary>
    public sealed class WheelsBenchmark
    {
        readonly ITestOutputHelper _out;
        public WheelsBenchmark(ITestOutputHelper output) { _out = output; }

        void Say(string line) { _out.WriteLine(line); Console.WriteLine(line); }

        [BenchFact("bench/wheels/run.sh")]
        public void Fleet_install_of_a_100MB_wheel_on_8_devices()
        {
            int devices = int.Parse(Environment.GetEnvironmentVariable("EDGEOPS_BENCH_DEVICES") ?? "8", CultureInfo.InvariantCulture);
            long mb = long.Parse(Environment.GetEnvironmentVariable("EDGEOPS_BENCH_MB") ?? "100", CultureInfo.InvariantCulture);
            var temp = Directory.CreateTempSubdirectory("edgeops-wheelbench-").FullName;
            using var servers = new StorageServers();
            using var fleet = SimulatedFleet.Start(devices, 1L << 30);
            try
            {
                Say($"fleet of {devices} started in {fleet.StartupTime.TotalSeconds:0.0} s");
                var wheel = TestWheels.Build(Path.Combine(temp, "built"), new Spec(Version: "2.1.0", Tag: "cp311-cp311-linux_x86_64") { PadBytes = mb << 20 });
                Say($"wheel {Path.GetFileName(wheel)}: {new FileInfo(wheel).Length / 1e6:0.0} MB");
                var s3 = servers.NewS3Location("torch");
                using var ps = new PowerShellSession();
                ps.Set("keys", FleetTestKit.Credential(StorageServers.S3Key, StorageServers.S3Secret));
                ps.Set("sudo", FleetTestKit.Credential("pi", fleet.SudoPassword));
                var pub = ps.Run("Publish-TorchWheel -Path $args[0] -Destination $args[1] -Endpoint $args[2] -StorageCredential $keys", wheel, s3, servers.S3Endpoint);
                Assert.Empty(pub.Errors);
                // venvs made beforehand, in parallel: the benchmark times the wheel rollout
                Parallel.ForEach(fleet.Devices, d => d.ExecOk("su pi -c 'python3 -m venv /home/pi/bench'"));
                Assert.Empty(ps.Run("Get-EdgeDevice -Inventory $args[0] | Test-EdgeDevice -SudoCredential $sudo", fleet.InventoryPath).Errors);   // connections open

                const string install = "Install-TorchWheel -Catalog $args[1] -Endpoint $args[2] -StorageCredential $keys -VirtualEnv /home/pi/bench -CacheDirectory $args[3] -Verbose";
                var catalog = s3 + "/catalog.yaml";

                void Reset(string cache)
                {
                    Parallel.ForEach(fleet.Devices, d => d.ExecOk("su pi -c '/home/pi/bench/bin/python -m pip uninstall -q -y torch; rm -rf /home/pi/.cache/edgeops'"));
                    if (Directory.Exists(cache)) Directory.Delete(cache, true);
                }

                // fleet run
                var cacheA = Path.Combine(temp, "cache-fleet");
                Reset(cacheA);
                var sw = Stopwatch.StartNew();
                var r = ps.Run("Get-EdgeDevice -Inventory $args[0] | " + install + " -ThrottleLimit $args[4]", fleet.InventoryPath, catalog, servers.S3Endpoint, cacheA, devices);
                var fleetSeconds = sw.Elapsed.TotalSeconds;
                Assert.True(r.Errors.Count == 0, string.Join("\n", r.Errors));
                Assert.Equal(devices, r.Output.Count(o => o.P("Action") == "Installed"));
                var fetched = r.Verbose.Single(v => v.StartsWith("Fetched "));
                Say($"fleet run: {fleetSeconds:0.0} s ({fetched})");
                foreach (var o in r.Output.OrderBy(o => o.P("ComputerName")))
                    Say($"  {o.P("ComputerName")}: {o.P("Action")} {o.P("Version")} in {o.P("Seconds")} s, uploaded {long.Parse(o.P("BytesUploaded")) / 1e6:0.0} MB");

                // the same installs one after another
                var cacheB = Path.Combine(temp, "cache-seq");
                Reset(cacheB);
                var per = new List<double>();
                int downloads = 0;
                sw.Restart();
                foreach (var d in fleet.Devices)
                {
                    var one = Stopwatch.StartNew();
                    var s = ps.Run("Get-EdgeDevice -Inventory $args[0] -Name $args[5] | " + install, fleet.InventoryPath, catalog, servers.S3Endpoint, cacheB, devices, d.Name);
                    Assert.True(s.Errors.Count == 0, string.Join("\n", s.Errors));
                    Assert.Equal("Installed", Assert.Single(s.Output).P("Action"));
                    downloads += int.Parse(s.Verbose.Single(v => v.StartsWith("Fetched ")).Split(' ')[1], CultureInfo.InvariantCulture);
                    per.Add(one.Elapsed.TotalSeconds);
                }
                var seqSeconds = sw.Elapsed.TotalSeconds;
                Say($"sequential: {seqSeconds:0.0} s ({downloads} download(s) from storage; per device {string.Join(", ", per.Select(p => p.ToString("0.0", CultureInfo.InvariantCulture)))} s)");
                var ratio = fleetSeconds / seqSeconds;
                Say($"fleet / sequential = {ratio:0.00} (target <= 0.50); {Environment.ProcessorCount} cores");
                File.WriteAllText(Path.Combine(Repo.Root, "bench", "wheels", "last-run.txt"),
                    $"{DateTime.UtcNow:u} devices={devices} wheelMB={mb} fleet={fleetSeconds:0.0}s sequential={seqSeconds:0.0}s ratio={ratio:0.00} fleetFetched='{fetched}'\n");
                Assert.Contains("Fetched 1 object(s)", fetched);
                Assert.True(ratio <= 0.5, $"fleet {fleetSeconds:0.0} s is more than half of sequential {seqSeconds:0.0} s");
            }
            finally
            {
                try { Directory.Delete(temp, true); } catch (Exception) { }
            }
        }
    }
}
