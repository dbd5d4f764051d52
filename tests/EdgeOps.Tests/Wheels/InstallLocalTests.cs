using System.Management.Automation;
using EdgeOps.Tests.Storage;
using Xunit;
using Spec = EdgeOps.Tests.Wheels.TestWheels.Spec;

namespace EdgeOps.Tests.Wheels
{
    /// <summary>
    /// Install-TorchWheel and Publish-TorchWheel on the local machine as the device (Transport Local): real wheels
    /// built by the test, a real pip in a real venv, each storage kind on loopback.
    /// </summary>
    [Collection("storage")]
    public sealed class InstallLocalTests : IClassFixture<WheelFixture>
    {
        readonly WheelFixture _f;
        readonly StorageServers _servers;
        public InstallLocalTests(WheelFixture f, StorageServers servers) { _f = f; _servers = servers; }

        static T P<T>(PSObject o, string name) => (T)o.Properties[name].Value;

        string NewFolder(string name) { var d = Path.Combine(_f.Temp, name + "-" + Guid.NewGuid().ToString("N")[..6]); Directory.CreateDirectory(d); return d; }

        Infrastructure.PSRun Publish(string destination, string wheel, string extra = "", params object[] args) =>
            _f.PS.Run($"Publish-TorchWheel -Path $args[0] -Destination $args[1] {extra}", new object[] { wheel, destination }.Concat(args).ToArray());

        Infrastructure.PSRun Install(string how, string venv, string extra = "", params object[] args) =>
            _f.PS.Run($"Install-TorchWheel {how} -PythonPath $args[1] -VirtualEnv $args[2] -CacheDirectory $args[3] {extra} -Verbose",
                      new object[] { args.Length > 0 ? args[0] : "", WheelFixture.Python, venv, _f.Cache }.Concat(args.Skip(1)).ToArray());

        static PSObject One(Infrastructure.PSRun r)
        {
            Assert.True(r.Errors.Count == 0, string.Join("\n", r.Errors.Select(e => e.ToString())));
            return Assert.Single(r.Output);
        }

        [Fact]
        public void Lifecycle_install_unchanged_upgrade_rollback_force_whatif_in_a_hostile_venv_path()
        {
            var store = NewFolder("store");
            var w210 = _f.Build(new Spec(Version: "2.1.0"));
            var w220 = _f.Build(new Spec(Version: "2.2.0") { Cuda = true });
            var w230 = _f.Build(new Spec(Version: "2.3.0") { Broken = true });
            foreach (var w in new[] { w210, w220, w230 })
            {
                var p = One(Publish(store, w));
                Assert.Equal("Published", P<string>(p, "Action"));
            }
            var catalog = Path.Combine(store, "catalog.yaml");
            var venv = Path.Combine(_f.Temp, "env with 'quote' $(touch pwned) `x`;");

            // 1. fresh install, venv created on request
            var r = Install("-Catalog $args[0] -Version 2.1.0 -CreateVirtualEnv", venv, "", catalog);
            var o = One(r);
            Assert.Equal("Installed", P<string>(o, "Action"));
            Assert.Equal("2.1.0", P<string>(o, "Version"));
            Assert.Null(P<string>(o, "PreviousVersion"));
            Assert.False(P<bool>(o, "CudaAvailable"));
            Assert.Equal(TestWheels.Sha256(w210), P<string>(o, "Sha256"));
            Assert.Equal(new FileInfo(w210).Length, P<long>(o, "BytesUploaded"));
            Assert.Equal("3.11.2", P<string>(o, "Python"));
            Assert.Equal("linux_x86_64", P<string>(o, "Platform"));
            Assert.Equal("2.1.0", WheelFixture.ImportedVersion(venv));
            Assert.False(File.Exists(Path.Combine(_f.Temp, "pwned")) || File.Exists("/pwned"));
            Assert.Contains(r.Progress, p => p.Activity.Contains("Downloading torch-2.1.0") && p.StatusDescription.Contains(" of ") && p.StatusDescription.Contains("/s"));
            Assert.Contains(r.Progress, p => p.Activity.Contains("Uploading torch-2.1.0"));
            foreach (var prop in o.Properties) Assert.True(prop.Value == null || prop.Value is string || prop.Value.GetType().IsPrimitive, prop.Name);

            // 2. again: nothing to do
            o = One(Install("-Catalog $args[0] -Version 2.1.0", venv, "", catalog));
            Assert.Equal("Unchanged", P<string>(o, "Action"));
            Assert.Equal(0L, P<long>(o, "BytesUploaded"));

            // 3. upgrade to the CUDA build
            o = One(Install("-Catalog $args[0] -Version 2.2.*", venv, "", catalog));
            Assert.Equal("Upgraded", P<string>(o, "Action"));
            Assert.Equal("2.2.0", P<string>(o, "Version"));
            Assert.Equal("2.1.0", P<string>(o, "PreviousVersion"));
            Assert.True(P<bool>(o, "CudaAvailable"));

            // 4. a broken wheel: installs, fails to import, 2.2.0 comes back from the wheel kept on the device
            r = Install("-Catalog $args[0] -Version 2.3.0", venv, "", catalog);
            o = One(r);
            Assert.Equal("RolledBack", P<string>(o, "Action"));
            Assert.Equal("2.2.0", P<string>(o, "Version"));
            Assert.Equal("torch-2.3.0-py3-none-any.whl", P<string>(o, "Wheel"));
            Assert.True(P<bool>(o, "CudaAvailable"));
            Assert.Contains(r.Warnings, w => w.Contains("broken") && w.Contains("2.2.0 is back in place"));
            Assert.Equal("2.2.0", WheelFixture.ImportedVersion(venv));

            // 5. the same, when the device holds no wheel of the installed version: one is rebuilt from the installed files
            foreach (var f in Directory.GetFiles(Path.Combine(_f.Home, ".cache", "edgeops", "wheels"), "torch-2.2.0*")) File.Delete(f);
            r = Install("-Catalog $args[0] -Version 2.3.0", venv, "", catalog);
            o = One(r);
            Assert.Equal("RolledBack", P<string>(o, "Action"));
            Assert.Contains(r.Verbose, v => v.Contains("rebuilt from the installed files"));
            Assert.Equal("2.2.0", WheelFixture.ImportedVersion(venv));
            Assert.Equal("True", WheelFixture.Run(Path.Combine(venv, "bin", "python"), "-c", "import torch; print(torch.cuda.is_available())").Trim());

            // 6. -Force reinstalls the same version
            o = One(Install("-Catalog $args[0] -Version 2.2.0 -Force", venv, "", catalog));
            Assert.Equal("Installed", P<string>(o, "Action"));
            Assert.Equal("2.2.0", P<string>(o, "Version"));

            // 7. -WhatIf names the wheel and changes nothing
            r = Install("-Catalog $args[0] -Version 2.1.0 -WhatIf", venv, "", catalog);
            Assert.Empty(r.Output);
            Assert.Contains("Install torch-2.1.0-py3-none-any.whl (replacing torch 2.2.0)", Assert.Single(r.WhatIf));
            Assert.Equal("2.2.0", WheelFixture.ImportedVersion(venv));
        }

        [Fact]
        public void WhatIf_on_a_new_venv_creates_and_installs_nothing()
        {
            var store = NewFolder("store");
            One(Publish(store, _f.Build(new Spec(Version: "1.13.1"))));
            var venv = Path.Combine(_f.Temp, "never-" + Guid.NewGuid().ToString("N")[..6]);
            var r = Install("-Source $args[0] -CreateVirtualEnv -WhatIf", venv, "", store);
            Assert.Empty(r.Output);
            Assert.Contains(r.WhatIf, l => l.Contains("Install torch-1.13.1"));
            Assert.Contains(r.WhatIf, l => l.Contains("Create a virtu"));
            Assert.False(Directory.Exists(venv));
        }

        [Fact]
        public void A_corrupted_download_is_deleted_and_nothing_is_installed()
        {
            var store = NewFolder("store");
            var wheel = _f.Build(new Spec(Version: "4.0.0"), NewFolder("w"));
            One(Publish(store, wheel));
            // the bytes in storage change after publishing (bit rot, a bad re-upload)
            var stored = Path.Combine(store, Path.GetFileName(wheel));
            var bytes = File.ReadAllBytes(stored);
            bytes[bytes.Length / 2] ^= 0xff;
            File.WriteAllBytes(stored, bytes);
            var before = WheelFixture.ImportedVersion(_f.Venv);
            var r = Install("-Catalog $args[0]", _f.Venv, "", Path.Combine(store, "catalog.yaml"));
            Assert.Empty(r.Output);
            var e = Assert.Single(r.Errors);
            Assert.StartsWith("WheelHashMismatch", e.FullyQualifiedErrorId);
            Assert.Contains("nothing was installed", e.ToString());
            Assert.Empty(Directory.GetFiles(_f.Cache, "torch-4.0.0*", SearchOption.AllDirectories));
            Assert.Equal(before, WheelFixture.ImportedVersion(_f.Venv));
        }

        [Fact]
        public void Missing_system_libraries_are_reported_before_anything_changes()
        {
            var store = NewFolder("store");
            One(Publish(store, _f.Build(new Spec(Version: "5.0.0"), NewFolder("w")), "-SystemLibrary libedgeops-missing.so.9, libc.so.6 -SystemPackage libedgeops9"));
            var r = Install("-Catalog $args[0]", _f.Venv, "", Path.Combine(store, "catalog.yaml"));
            var e = Assert.Single(r.Errors);
            Assert.StartsWith("SystemLibraryMissing", e.FullyQualifiedErrorId);
            Assert.Contains("libedgeops-missing.so.9", e.ToString());
            Assert.DoesNotContain("libc.so.6", e.ToString());
            Assert.Contains("-InstallSystemPackages", e.ToString());
            Assert.NotEqual("5.0.0", WheelFixture.ImportedVersion(_f.Venv));
        }

        [Fact]
        public void Nothing_fits_names_what_the_device_needs_and_what_the_catalog_has()
        {
            var store = NewFolder("store");
            One(Publish(store, _f.Build(new Spec(Version: "1.0.0", Tag: "cp36-cp36m-linux_aarch64"), NewFolder("w")), "-L4T 32.7.*"));
            var r = Install("-Catalog $args[0]", _f.Venv, "", Path.Combine(store, "catalog.yaml"));
            var e = Assert.Single(r.Errors);
            Assert.StartsWith("WheelNotFound", e.FullyQualifiedErrorId);
            var text = e.ToString();
            Assert.Contains("Python 3.11.2 (linux_x86_64)", text);
            Assert.Contains("torch-1.0.0-cp36-cp36m-linux_aarch64.whl (tags cp36-cp36m-linux_aarch64 are not supported", text);
        }

        [Fact]
        public void Without_a_catalog_the_folder_listing_is_chosen_by_tags_and_hashed_on_download()
        {
            var dir = NewFolder("plain");
            _f.Build(new Spec(Version: "6.0.0"), dir);
            _f.Build(new Spec(Version: "6.5.0", Tag: "cp311-cp311-linux_aarch64"), dir);
            var w = _f.Build(new Spec(Version: "6.1.0", Tag: "cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64"), dir);
            File.WriteAllText(Path.Combine(dir, "README.txt"), "not a wheel");
            var r = Install("-Source $args[0]", _f.Venv, "", dir);
            var o = One(r);
            Assert.Equal("6.1.0", P<string>(o, "Version"));
            Assert.Equal(TestWheels.Sha256(w), P<string>(o, "Sha256"));
            Assert.Contains(r.Verbose, v => v.Contains("No catalog"));
        }

        [Fact]
        public void Companions_follow_the_torch_version_and_pinned_requirements_come_from_the_catalog()
        {
            var store = NewFolder("store");
            var built = NewFolder("w");
            One(Publish(store, _f.Build(new Spec(Version: "7.0.0"), built), "-Requires 'numpy<2'"));
            One(Publish(store, _f.Build(new Spec(Version: "8.0.0"), built)));
            var tv = One(Publish(store, _f.Build(new Spec("torchvision", "0.70.0") { RequiresTorch = "7.0.0" }, built)));
            Assert.Equal("7.0.0", P<string>(tv, "Torch"));   // read from Requires-Dist
            One(Publish(store, _f.Build(new Spec("torchvision", "0.80.0") { RequiresTorch = "8.0.0" }, built)));
            One(Publish(store, _f.Build(new Spec("numpy", "1.26.4"), built)));
            One(Publish(store, _f.Build(new Spec("numpy", "2.0.0"), built)));
            var venv = Path.Combine(_f.Temp, "companions");
            var o = One(Install("-Catalog $args[0] -Version 7.0.0 -Companion torchvision -CreateVirtualEnv", venv, "", Path.Combine(store, "catalog.yaml")));
            Assert.Equal("torchvision 0.70.0", P<string>(o, "Companions"));
            Assert.Equal("0.70.0", WheelFixture.ImportedVersion(venv, "torchvision"));
            Assert.Equal("1.26.4", WheelFixture.ImportedVersion(venv, "numpy"));
        }

        [Fact]
        public void Publish_is_idempotent_and_refuses_other_content_without_force()
        {
            var store = NewFolder("store");
            var a = _f.Build(new Spec(Version: "9.0.0") { Build = "a" }, NewFolder("a"));
            Assert.Equal("Published", P<string>(One(Publish(store, a, "-Cuda 10.2 -L4T 32.7.1 -DeviceKind jetson-nano")), "Action"));
            Assert.Equal("Unchanged", P<string>(One(Publish(store, a, "-Cuda 10.2 -L4T 32.7.1 -DeviceKind jetson-nano")), "Action"));
            Assert.Equal("Updated", P<string>(One(Publish(store, a, "-Cuda 10.2 -L4T 32.7.*")), "Action"));
            var b = _f.Build(new Spec(Version: "9.0.0") { Build = "b" }, NewFolder("b"));
            var r = Publish(store, b);
            Assert.StartsWith("WheelAlreadyPublished", Assert.Single(r.Errors).FullyQualifiedErrorId);
            var o = One(Publish(store, b, "-Force"));
            Assert.Equal("Replaced", P<string>(o, "Action"));
            var yaml = File.ReadAllText(Path.Combine(store, "catalog.yaml"));
            Assert.Contains(TestWheels.Sha256(b), yaml);
            Assert.DoesNotContain(TestWheels.Sha256(a), yaml);
            Assert.DoesNotContain("l4t:", yaml);   // a publish states the whole entry: constraints not given are gone
            var bad = Path.Combine(NewFolder("bad"), "torch-1.0-py3-none-any.whl");
            File.WriteAllText(bad, "not a zip");
            Assert.StartsWith("WheelInvalid", Assert.Single(Publish(store, bad).Errors).FullyQualifiedErrorId);
            var ro = _f.PS.Run("try { Publish-TorchWheel -Path $args[0] -Destination http://127.0.0.1:9/x -ErrorAction Stop; 'went on' } catch { $_.FullyQualifiedErrorId }", a);
            Assert.StartsWith("StorageReadOnly", Assert.Single(ro.Output).ToString());
        }
    }
}
