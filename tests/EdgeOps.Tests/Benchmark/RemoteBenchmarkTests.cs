using EdgeOps.Benchmark;
using EdgeOps.Tests.Fleet;
using EdgeOps.Tests.Infrastructure;
using Xunit;

namespace EdgeOps.Tests.Benchmark
{
    /// <summary>Get-EdgeDevice | Invoke-EdgeBenchmark on the simulated fleet: the runner measures on each device.</summary>
    [Collection(FleetCollection.Name)]
    public class RemoteBenchmarkTests
    {
        readonly FleetFixture _f;
        public RemoteBenchmarkTests(FleetFixture f) { _f = f; }

        static string[] Samples() => SampleModels.Ensure();

        /// <summary>The fleet is shared with other test classes: leave the devices' disks as they were (the runner is 44 MB).</summary>
        static void Clean(EdgeOps.Tests.Fleet.SimulatedFleet fleet)
        {
            foreach (var d in fleet.Devices) d.Exec("rm -rf /home/pi/.cache/edgeops '/home/pi/edge ops'* /home/pi/whatif-cache");
        }

        [FleetFact]
        public void Runner_measures_on_every_device_and_one_without_a_usable_runner_fails_alone()
        {
            var fleet = _f.Fleet;
            var models = Samples();
            var bad = fleet.Devices[1];
            // The runner's default home on this device is a filesystem that refuses to run programs.
            bad.ExecOk("su pi -c 'mkdir -p /home/pi/.cache' && mount -t tmpfs -o noexec,size=256m,mode=0755 tmpfs /home/pi/.cache && chown 1000:1000 /home/pi/.cache");
            try
            {
                using var ps = new PowerShellSession();
                var r = ps.Run("Get-EdgeDevice -Inventory $args[0] | Invoke-EdgeBenchmark -Model $args[1] -Runs 20 -WarmupRuns 2 -MaxModelBytes 5MB -Verbose",
                               fleet.InventoryPath, models);

                var err = Assert.Single(r.Errors);
                Assert.Equal(bad.Name, err.Target());
                Assert.Equal("RunnerUnusable", err.Id());
                Assert.Contains(bad.Name, err.ToString());
                Assert.Contains("noexec", err.ToString());
                Assert.Contains("-RunnerDirectory", err.ToString());

                var good = fleet.Devices.Where(d => d != bad).ToList();
                Assert.Equal(good.Count * 2, r.Output.Count);
                foreach (var d in good)
                {
                    var rows = r.Output.Where(o => o.P("ComputerName") == d.Name).ToList();
                    Assert.Equal(new[] { "sample-mobilenet.int8.onnx", "sample-mobilenet.onnx" }, rows.Select(o => o.P("Model")).OrderBy(m => m, StringComparer.Ordinal));
                    foreach (var o in rows)
                    {
                        // It ran there: the runner read this device's board model and host name, not the controller's.
                        Assert.Equal(d.Model, o.P("BoardModel"));
                        Assert.Equal(d.Name, o.P("HostName"));
                        Assert.StartsWith("runner ", o.P("MeasuredBy"));
                        Assert.Equal("20", o.P("Runs"));
                        Assert.True(double.Parse(o.P("MedianMs")) > 0);
                        Assert.Equal(o.P("Model") == "sample-mobilenet.onnx" ? "False" : "True", o.P("Passed"));
                    }
                    // Kept on the device by content hash: the runner once, each model once.
                    var hash = rows[0].P("MeasuredBy").Substring("runner ".Length);
                    Assert.Contains(hash, d.ExecOk("ls /home/pi/.cache/edgeops/runner/"));
                    var stored = d.ExecOk("ls /home/pi/.cache/edgeops/models/");
                    foreach (var m in models) Assert.Contains(RunnerPackage.FileHash(m) + ".onnx", stored);
                }
                Assert.Contains(r.Verbose, v => v.Contains("Copying the linux-x64 runner"));

                // Again: nothing is copied, and the failing device works with -RunnerDirectory on an exec filesystem
                // (a path with spaces, quotes and $(...) that must stay a path).
                var dir = "/home/pi/edge ops '$(touch /tmp/pwned)'";
                var again = ps.Run("Get-EdgeDevice -Inventory $args[0] | Invoke-EdgeBenchmark -Model $args[1] -Runs 3 -WarmupRuns 1 -Verbose " +
                                   "-RunnerDirectory $args[2]", fleet.InventoryPath, models[1], dir);
                Assert.Empty(again.Errors);
                Assert.Equal(fleet.Devices.Count, again.Output.Count);
                Assert.Equal(bad.Model, again.Output.Single(o => o.P("ComputerName") == bad.Name).P("BoardModel"));
                Assert.True(bad.Exec("test -x \"/home/pi/edge ops '\\$(touch /tmp/pwned)'/runner/\"*/edgeops-runner").exit == 0);
                Assert.True(bad.Exec("test -e /tmp/pwned").exit != 0);
            }
            finally
            {
                bad.Exec("umount /home/pi/.cache");
                Clean(fleet);
            }
        }

        [FleetFact]
        public void Measurement_errors_on_the_device_come_back_as_the_same_errors()
        {
            var fleet = _f.Fleet;
            var dir = Path.Combine(Path.GetTempPath(), "edgeops-remote-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(dir);
            try
            {
                var model = Path.Combine(dir, "dynamic.onnx");
                new EdgeOps.Benchmark.Onnx.OnnxModelBuilder("d").Input("x", EdgeOps.Benchmark.Onnx.OnnxType.Float, "n", "width")
                    .Output("y", EdgeOps.Benchmark.Onnx.OnnxType.Float, "n", "width").Node("Identity", new[] { "x" }, new[] { "y" }).Save(model);
                using var ps = new PowerShellSession();
                var r = ps.Run("Get-EdgeDevice -Inventory $args[0] -Name $args[2] | Invoke-EdgeBenchmark -Model $args[1] -Runs 2",
                               fleet.InventoryPath, model, fleet.Devices[0].Name);
                var err = Assert.Single(r.Errors);
                Assert.Equal("UnresolvedInputDimension", err.Id());
                Assert.Contains(fleet.Devices[0].Name, err.ToString());
                Assert.Contains("'x' dimension 1 ('width')", err.ToString());
                Assert.Empty(r.Output);

                var ok = ps.Run("Get-EdgeDevice -Inventory $args[0] -Name $args[2] | Invoke-EdgeBenchmark -Model $args[1] -Runs 2 -InputShape @{ x = 2,7 }",
                                fleet.InventoryPath, model, fleet.Devices[0].Name);
                Assert.Empty(ok.Errors);
                Assert.Equal("x=2x7", Assert.Single(ok.Output).P("InputShapes"));

                // -WhatIf copies nothing to the device and measures nothing.
                var whatIf = ps.Run("Get-EdgeDevice -Inventory $args[0] -Name $args[2] | Invoke-EdgeBenchmark -Model $args[1] -Runs 2 " +
                                    "-InputShape @{ x = 2,7 } -RunnerDirectory /home/pi/whatif-cache -WhatIf", fleet.InventoryPath, model, fleet.Devices[0].Name);
                Assert.Empty(whatIf.Errors);
                Assert.Empty(whatIf.Output);
                Assert.NotEqual(0, fleet.Devices[0].Exec("test -e /home/pi/whatif-cache").exit);
            }
            finally { Directory.Delete(dir, true); Clean(fleet); }
        }
    }
}
