using System.Management.Automation;
using EdgeOps.Tests.Fleet;
using EdgeOps.Tests.Infrastructure;
using EdgeOps.Tests.Storage;
using Xunit;
using Spec = EdgeOps.Tests.Wheels.TestWheels.Spec;

namespace EdgeOps.Tests.Wheels
{
    /// <summary>
    /// Install-TorchWheel on the simulated fleet (Raspberry Pi 4, Raspberry Pi 5 with password sudo, Jetson Nano with
    /// L4T 32.7.1) over SSH, from each storage kind on loopback. The devices run Debian's python3 (x86_64 here), so
    /// the kinds differ by constraints: the Jetson wheels carry the same tags and are told apart by L4T alone.
    /// </summary>
    [Collection(FleetCollection.Name)]
    public sealed class FleetInstallTests : IClassFixture<StorageServers>, IDisposable
    {
        readonly FleetFixture _f;
        readonly StorageServers _servers;
        readonly string _temp = Directory.CreateTempSubdirectory("edgeops-fleetwheels-").FullName;
        public FleetInstallTests(FleetFixture f, StorageServers servers) { _f = f; _servers = servers; }
        public void Dispose() { try { Directory.Delete(_temp, true); } catch (Exception) { } }

        string Built => Path.Combine(_temp, "built");
        string Cache => Path.Combine(_temp, "cache");

        /// <summary>A generic build and two Jetson builds (L4T 32.7 with CUDA, L4T 35) of one version.</summary>
        List<string> Trio(string version) => new()
        {
            TestWheels.Build(Path.Combine(Built, version, "generic"), new Spec(Version: version, Tag: "cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64")),
            TestWheels.Build(Path.Combine(Built, version, "jp46"), new Spec(Version: version + "+l4t32", Tag: "cp311-cp311-linux_x86_64") { Cuda = true }),
            TestWheels.Build(Path.Combine(Built, version, "jp5"), new Spec(Version: version + "+l4t35", Tag: "cp311-cp311-linux_x86_64") { Cuda = true }),
        };

        void PublishTrio(PowerShellSession ps, string destination, string version, string extra = "", params object[] more)
        {
            var t = Trio(version);
            var args = new object[] { "", destination }.Concat(more).ToArray();
            foreach (var (wheel, constraint) in new[] { (t[0], ""), (t[1], "-L4T 32.7.* -DeviceKind jetson-nano"), (t[2], "-L4T 35.*") })
            {
                args[0] = wheel;
                var r = ps.Run($"Publish-TorchWheel -Path $args[0] -Destination $args[1] {constraint} {extra}", args);
                Assert.True(r.Errors.Count == 0, string.Join("\n", r.Errors));
            }
        }

        PSRun Install(PowerShellSession ps, string how, string extra = "", params object[] more)
        {
            ps.Set("sudo", FleetTestKit.Credential("pi", _f.Fleet.SudoPassword));
            var args = new object[] { _f.Fleet.InventoryPath, Cache }.Concat(more).ToArray();
            return ps.Run($"Get-EdgeDevice -Inventory $args[0] | Install-TorchWheel {how} -VirtualEnv '~/torch env' -CacheDirectory $args[1] -SudoCredential $sudo {extra} -Verbose", args);
        }

        Dictionary<string, PSObject> ByDevice(PSRun r)
        {
            Assert.True(r.Errors.Count == 0, string.Join("\n", r.Errors.Select(e => e.ToString())));
            Assert.Equal(_f.Fleet.Devices.Count, r.Output.Count);
            return r.Output.ToDictionary(o => o.P("ComputerName"));
        }

        void AssertPerDevice(Dictionary<string, PSObject> results, string version, string action)
        {
            foreach (var d in _f.Fleet.Devices)
            {
                var o = results[d.Name];
                Assert.Equal(action, o.P("Action"));
                bool jetson = d.Kind == "jetson-nano";
                Assert.Equal(jetson ? version + "+l4t32" : version, o.P("Version"));
                Assert.Equal(jetson ? "True" : "False", o.P("CudaAvailable"));
                Assert.Equal(jetson ? "32.7.1" : "", o.P("L4T"));
                Assert.Equal("/home/pi/torch env", o.P("Environment"));
                var imported = d.ExecOk("su pi -c \"cd / && '/home/pi/torch env/bin/python' -c 'import torch; print(torch.__version__, torch.cuda.is_available())'\"").Trim();
                Assert.Equal($"{(jetson ? version + "+l4t32" : version)} {(jetson ? "True" : "False")}", imported);
            }
        }

        static int Fetched(PSRun r) =>
            int.Parse(r.Verbose.Single(v => v.StartsWith("Fetched ")).Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);

        [FleetFact]
        public void Rollout_from_each_source_chooses_per_device_and_is_idempotent()
        {
            using var ps = new PowerShellSession();

            // folder catalog: WhatIf first, then the install, then nothing to do
            var folder = Path.Combine(_temp, "store");
            PublishTrio(ps, folder, "2.1.0");
            var catalog = Path.Combine(folder, "catalog.yaml");
            var whatIf = Install(ps, "-Catalog $args[2] -Version 2.1.0 -CreateVirtualEnv -WhatIf", "", catalog);
            Assert.Empty(whatIf.Output);
            var plan = whatIf.WhatIf.Where(l => l.Contains("\"Install ")).ToList();
            Assert.Equal(_f.Fleet.Devices.Count, plan.Count);
            Assert.Contains(plan, l => l.Contains("jetson-02:") && l.Contains("torch-2.1.0+l4t32-cp311-cp311-linux_x86_64.whl"));
            Assert.All(_f.Fleet.Devices, d => Assert.NotEqual(0, d.Exec("test -e '/home/pi/torch env'").exit));

            var r = Install(ps, "-Catalog $args[2] -Version 2.1.0 -CreateVirtualEnv", "", catalog);
            AssertPerDevice(ByDevice(r), "2.1.0", "Installed");
            Assert.Equal(2, Fetched(r));   // two distinct wheels for three devices, each fetched once
            r = Install(ps, "-Catalog $args[2] -Version 2.1.0", "", catalog);
            var same = ByDevice(r);
            Assert.All(same.Values, o => { Assert.Equal("Unchanged", o.P("Action")); Assert.Equal("0", o.P("BytesUploaded")); });
            Assert.Equal(0, Fetched(r));

            // HTTP, with the Jetson wheel's transfer cut half-way
            var (httpFolder, url) = _servers.NewHttpFolder();
            PublishTrio(ps, httpFolder, "2.2.0");
            var jetsonKey = new Uri(url).AbsolutePath + "torch-2.2.0%2Bl4t32-cp311-cp311-linux_x86_64.whl";
            var jetsonFile = Path.Combine(httpFolder, "torch-2.2.0+l4t32-cp311-cp311-linux_x86_64.whl");
            var cutPath = jetsonKey;   // as it appears on the wire (+ escaped)
            _servers.Http.CutNextTransfer(cutPath, new FileInfo(jetsonFile).Length / 2);
            r = Install(ps, "-Catalog $args[2]", "", url + "catalog.yaml");
            AssertPerDevice(ByDevice(r), "2.2.0", "Upgraded");
            Assert.Contains(_servers.Http.Requests, q => q.Path == cutPath && q.Range != null);
            Assert.Contains(r.Verbose, v => v.Contains("resuming"));

            // S3 (s3rver)
            var s3 = _servers.NewS3Location("torch");
            var keys = FleetTestKit.Credential(StorageServers.S3Key, StorageServers.S3Secret);
            PublishTrio(ps, s3, "2.3.0", "-Endpoint $args[2] -StorageCredential $args[3]", _servers.S3Endpoint, keys);
            r = Install(ps, "-Catalog $args[2] -Version 2.3.* -Endpoint $args[3] -StorageCredential $args[4]", "", s3 + "/catalog.yaml", _servers.S3Endpoint, keys);
            AssertPerDevice(ByDevice(r), "2.3.0", "Upgraded");

            // Azure Blob (Azurite), published and read through a container SAS URL
            var sas = _servers.NewAzureSasLocation("torch");
            PublishTrio(ps, sas, "2.4.0");
            r = Install(ps, "-Catalog $args[2] -Version 2.4.0", "", InsertPath(sas, "catalog.yaml"));
            AssertPerDevice(ByDevice(r), "2.4.0", "Upgraded");
        }

        [FleetFact]
        public void Broken_wheel_rolls_back_corrupted_download_is_refused_everywhere()
        {
            using var ps = new PowerShellSession();
            var folder = Path.Combine(_temp, "store2");
            var good = TestWheels.Build(Path.Combine(Built, "g"), new Spec(Version: "3.0.0"));
            var broken = TestWheels.Build(Path.Combine(Built, "b"), new Spec(Version: "3.1.0") { Broken = true });
            var later = TestWheels.Build(Path.Combine(Built, "c"), new Spec(Version: "3.2.0"));
            foreach (var w in new[] { good, broken, later })
                Assert.Empty(ps.Run("Publish-TorchWheel -Path $args[0] -Destination $args[1]", w, folder).Errors);
            var catalog = Path.Combine(folder, "catalog.yaml");
            var installed = ByDevice(Install(ps, "-Catalog $args[2] -Version 3.0.0 -CreateVirtualEnv", "", catalog));
            Assert.All(installed.Values, o => Assert.Contains(o.P("Action"), new[] { "Installed", "Upgraded" }));

            var r = Install(ps, "-Catalog $args[2] -Version 3.1.0", "", catalog);
            var back = ByDevice(r);
            Assert.All(back.Values, o => { Assert.Equal("RolledBack", o.P("Action")); Assert.Equal("3.0.0", o.P("Version")); });
            Assert.Equal(_f.Fleet.Devices.Count, r.Warnings.Count(w => w.Contains("3.0.0 is back in place")));
            foreach (var d in _f.Fleet.Devices)
                Assert.Equal("3.0.0", d.ExecOk("cd / && '/home/pi/torch env/bin/python' -c 'import torch; print(torch.__version__)'").Trim());

            // 3.2.0's bytes change in storage after publishing: every device refuses it, the download happened once
            var stored = Path.Combine(folder, Path.GetFileName(later));
            var bytes = File.ReadAllBytes(stored);
            bytes[100] ^= 0x55;
            File.WriteAllBytes(stored, bytes);
            r = Install(ps, "-Catalog $args[2] -Version 3.2.0", "", catalog);
            Assert.Empty(r.Output);
            Assert.Equal(_f.Fleet.Devices.Count, r.Errors.Count);
            Assert.All(r.Errors, e => Assert.Equal("WheelHashMismatch", e.Id()));
            Assert.Single(r.Verbose, v => v.Contains("Downloading torch-3.2.0"));
            foreach (var d in _f.Fleet.Devices)
            {
                Assert.Equal("3.0.0", d.ExecOk("cd / && '/home/pi/torch env/bin/python' -c 'import torch; print(torch.__version__)'").Trim());
                Assert.NotEqual(0, d.Exec("ls /home/pi/.cache/edgeops/wheels/torch-3.2.0*").exit);
            }
        }

        static string InsertPath(string sasUrl, string name)
        {
            var b = new UriBuilder(sasUrl);
            b.Path = b.Path.TrimEnd('/') + "/" + name;
            return b.Uri.ToString();
        }
    }
}
