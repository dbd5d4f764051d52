using System.Management.Automation;
using EdgeOps.Benchmark;
using EdgeOps.Tests.Backup;
using EdgeOps.Tests.Fleet;
using EdgeOps.Tests.Infrastructure;
using EdgeOps.Tests.Wheels;
using Xunit;

namespace EdgeOps.Tests.Platforms
{
    /// <summary>
    /// The boards' own platforms: a Raspberry Pi 4 with a 64-bit userland (aarch64), a Raspberry Pi 3 with a 32-bit one
    /// (armv7l, password sudo) and a Jetson Nano-like aarch64 device, each an arm64/armhf Debian tree under
    /// qemu-user-static with an SD card as the other simulated devices have.
    /// </summary>
    public sealed class ArmFleetFixture : FleetFixture
    {
        public ArmFleetFixture() : base(SimulatedKinds.Emulated) { }
    }

    /// <summary>
    /// Every area once per architecture on the emulated devices (emulation is slow: pip takes ~25 s there, so one
    /// focused test per area). Each test leaves the devices as it found them.
    /// </summary>
    public sealed class ArmPlatformTests : IClassFixture<ArmFleetFixture>, IDisposable
    {
        readonly ArmFleetFixture _f;
        readonly string _temp = Directory.CreateTempSubdirectory("edgeops-arm-").FullName;
        public ArmPlatformTests(ArmFleetFixture f) { _f = f; }
        public void Dispose() { try { Directory.Delete(_temp, true); } catch (Exception) { } }

        SimulatedFleet Fleet => _f.Fleet;
        SimulatedDevice Device(string simulatedKind) => Fleet.Devices.Single(d => d.SimulatedKind == simulatedKind);

        PowerShellSession Session()
        {
            var ps = new PowerShellSession();
            ps.Set("sudo", FleetTestKit.Credential("pi", Fleet.SudoPassword));
            return ps;
        }

        static void NoErrors(PSRun r) => Assert.True(r.Errors.Count == 0, string.Join("\n", r.Errors.Select(e => e.ToString())));

        // ------------------------------------------------------------------ the devices themselves

        [FleetTheory]
        [InlineData(SimulatedKinds.Pi4Arm64, "aarch64", "arm64", "0xd08")]
        [InlineData(SimulatedKinds.Pi3Armhf, "armv7l", "armhf", "0xd03")]
        [InlineData(SimulatedKinds.JetsonNanoArm64, "aarch64", "arm64", "0xd07")]
        public void Logins_land_in_the_boards_userland_with_its_cpuinfo_and_card(string kind, string machine, string dpkgArch, string cpuPart)
        {
            var d = Device(kind);
            using var ps = Session();
            var r = ps.Run("Get-EdgeDevice -Inventory $args[0] -Name $args[1] | Invoke-EdgeCommand -Command $args[2] -Sudo -SudoCredential $sudo",
                Fleet.InventoryPath, d.Name,
                "uname -m; dpkg --print-architecture; id -u; python3 -c 'import platform; print(platform.machine())'; " +
                "awk -F': *' '/^CPU part/ { print $2; exit }' /proc/cpuinfo; findmnt -n -o SOURCE /; head -c 4 /usr/bin/env | od -An -c | tr -d ' '");
            NoErrors(r);
            var lines = r.Output.Single().P("Stdout").Split('\n');
            Assert.Equal(machine, lines[0]);
            Assert.Equal(dpkgArch, lines[1]);
            Assert.Equal("0", lines[2]);              // sudo (setuid under qemu: binfmt's credentials flag)
            Assert.Equal(machine, lines[3]);
            Assert.Equal(cpuPart, lines[4]);
            Assert.Equal(d.RootLoopDevice, lines[5]);  // the device's / is its card
            Assert.Equal("177ELF", lines[6]);
            Assert.Equal(d.Architecture, machine);
        }

        // ------------------------------------------------------------------ -Probe

        [FleetFact]
        public void Probe_reads_board_architecture_and_detects_the_kind_an_inventory_left_out()
        {
            // the inventory names no kinds: every device is generic until probed
            var inv = Path.Combine(_temp, "nokind.yaml");
            File.WriteAllLines(inv, File.ReadAllLines(Fleet.InventoryPath).Where(l => !l.TrimStart().StartsWith("kind:")));
            using var ps = Session();
            var plain = ps.Run("Get-EdgeDevice -Inventory $args[0]", inv);
            Assert.All(plain.Output, o => Assert.Equal("generic", o.P("Kind")));

            var r = ps.Run("Get-EdgeDevice -Inventory $args[0] -Probe", inv);
            NoErrors(r);
            Assert.Equal(Fleet.Devices.Count, r.Output.Count);
            foreach (var d in Fleet.Devices)
            {
                var o = r.Output.Single(x => x.P("ComputerName") == d.Name);
                Assert.Equal(d.Model, o.P("Model"));
                Assert.Equal(d.Architecture, o.P("Architecture"));
                Assert.Equal(d.Kind, o.P("DetectedKind"));
                Assert.Equal(d.Kind, o.P("Kind"));
                Assert.Equal(d.MemTotalBytes.ToString(), o.P("MemoryBytes"));
                Assert.Equal(d.L4TVersion ?? "", o.P("L4TVersion"));
                Assert.StartsWith("3.", o.P("PythonVersion"));
            }

            // a kind the inventory names is kept, and the board's own is reported beside it
            var named = ps.Run("Get-EdgeDevice -Inventory $args[0] -Probe", Fleet.InventoryPath);
            NoErrors(named);
            Assert.All(named.Output, o => Assert.Equal(o.P("DetectedKind"), o.P("Kind")));
        }

        // ------------------------------------------------------------------ swap

        [FleetTheory]
        [InlineData(SimulatedKinds.Pi4Arm64)]
        [InlineData(SimulatedKinds.Pi3Armhf)]
        public void Swap_file_is_made_listed_and_removed(string kind)
        {
            var d = Device(kind);
            var path = "/var/swap-" + Guid.NewGuid().ToString("N")[..8];   // unique: /proc/swaps is the whole machine's
            using var ps = Session();
            try
            {
                var r = ps.Run("Get-EdgeDevice -Inventory $args[0] -Name $args[1] | New-SwapFile -Size 32MB -Path $args[2] -SudoCredential $sudo",
                    Fleet.InventoryPath, d.Name, path);
                NoErrors(r);
                var o = r.Output.Single();
                Assert.Equal("Created", o.P("Action"));
                Assert.Equal("fstab", o.P("Manager"));
                Assert.Equal(d.MemTotalBytes.ToString(), o.P("MemTotalBytes"));
                Assert.Contains(path, File.ReadAllText(d.HostPath("/etc/fstab")));
                Assert.Contains(path + " ", d.ExecOk("cat /proc/swaps"));

                var list = ps.Run("Get-EdgeDevice -Inventory $args[0] -Name $args[1] | Get-SwapFile -SudoCredential $sudo", Fleet.InventoryPath, d.Name);
                NoErrors(list);
                var area = Assert.Single(list.Output, a => a.P("Path") == path);
                Assert.Equal("file", area.P("Type"));
                Assert.Equal(((32L << 20) - 4096).ToString(), area.P("SizeBytes"));   // the kernel's count: the header page is not swap

                var removed = ps.Run("Get-EdgeDevice -Inventory $args[0] -Name $args[1] | Remove-SwapFile -Path $args[2] -SudoCredential $sudo",
                    Fleet.InventoryPath, d.Name, path);
                NoErrors(removed);
                Assert.Equal("Removed", removed.Output.Single().P("Action"));
                Assert.DoesNotContain(path + " ", d.ExecOk("cat /proc/swaps"));
                Assert.DoesNotContain(path, File.ReadAllText(d.HostPath("/etc/fstab")));
                Assert.False(File.Exists(d.HostPath(path)));
            }
            finally
            {
                d.Exec($"swapoff {path} 2>/dev/null; rm -f {path}; sed -i '\\#{path}#d' /etc/fstab");
            }
        }

        [FleetFact]
        public void Jetson_zram_of_its_nvzramconfig_is_reported_and_left_alone()
        {
            Assert.True(Swap.ZramSwap.Available, "this kernel has no zram-control: the Jetson's zram can't be real");
            var d = Device(SimulatedKinds.JetsonNanoArm64);
            Assert.True(File.Exists(d.HostPath("/etc/systemd/nvzramconfig.sh")));
            var path = "/var/swap-" + Guid.NewGuid().ToString("N")[..8];
            using var ps = Session();
            // L4T's set-up, run by the device itself: one zram swap per CPU (small here: it is this machine's swap too)
            d.ExecOk("ZRAM_TOTAL_KB=65536 /etc/systemd/nvzramconfig.sh start");
            try
            {
                var zram = d.ExecOk("cat /run/nvzramconfig.devices").Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(n => "/dev/zram" + n).ToList();
                Assert.NotEmpty(zram);
                var areas = ps.Run("Get-EdgeDevice -Inventory $args[0] -Name $args[1] | Get-SwapFile", Fleet.InventoryPath, d.Name);
                NoErrors(areas);
                foreach (var z in zram)
                {
                    var a = Assert.Single(areas.Output, x => x.P("Path") == z);
                    Assert.Equal("zram", a.P("Type"));
                    Assert.Equal("nvzramconfig", a.P("Manager"));
                }
                var r = ps.Run("Get-EdgeDevice -Inventory $args[0] -Name $args[1] | New-SwapFile -Size 32MB -Path $args[2]", Fleet.InventoryPath, d.Name, path);
                NoErrors(r);
                Assert.Contains("zram swap from nvzramconfig left in place", r.Output.Single().P("Note"));
                NoErrors(ps.Run("Get-EdgeDevice -Inventory $args[0] -Name $args[1] | Remove-SwapFile -Path $args[2]", Fleet.InventoryPath, d.Name, path));
                var swaps = d.ExecOk("cat /proc/swaps");
                Assert.All(zram, z => Assert.Contains(z + " ", swaps));
            }
            finally
            {
                d.Exec($"/etc/systemd/nvzramconfig.sh stop; swapoff {path} 2>/dev/null; rm -f {path}; sed -i '\\#{path}#d' /etc/fstab");
            }
        }

        // ------------------------------------------------------------------ wheels

        [FleetTheory]
        [InlineData(SimulatedKinds.Pi4Arm64, "cp311-cp311-manylinux_2_17_aarch64.manylinux2014_aarch64")]
        [InlineData(SimulatedKinds.Pi3Armhf, "cp311-cp311-manylinux_2_17_armv7l.manylinux2014_armv7l")]
        public void Wheel_choice_is_the_devices_own_pips(string kind, string expectedTag)
        {
            var d = Device(kind);
            // Candidates of one version: the device's own platform in several forms, other machines, other Pythons.
            var source = Path.Combine(_temp, "wheels");
            foreach (var tag in new[]
            {
                "cp311-cp311-manylinux_2_17_aarch64.manylinux2014_aarch64", "cp311-cp311-linux_aarch64", "cp311-cp311-musllinux_1_1_aarch64",
                "cp311-cp311-manylinux_2_17_armv7l.manylinux2014_armv7l", "cp311-cp311-linux_armv7l", "cp311-cp311-musllinux_1_2_armv7l",
                "cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64", "cp38-cp38-manylinux2014_aarch64", "cp38-cp38-linux_armv7l",
            })
                TestWheels.Build(source, new TestWheels.Spec(Version: "2.1.0", Tag: tag));

            // pip's own choice on the device, from the same files
            var onDevice = "/home/pi/wheel-candidates";
            Directory.CreateDirectory(d.HostPath(onDevice));
            foreach (var f in Directory.GetFiles(source)) File.Copy(f, Path.Combine(d.HostPath(onDevice), Path.GetFileName(f)));
            using var ps = Session();
            try
            {
                d.ExecOk($"chown -R 1000:1000 {onDevice}");
                var pip = d.ExecOk($"su pi -c 'cd /tmp && python3 -m pip download --no-index --no-deps --find-links {onDevice} -d {onDevice}/chosen torch==2.1.0 >/dev/null && ls {onDevice}/chosen'").Trim();
                Assert.Equal($"torch-2.1.0-{expectedTag}.whl", pip);

                var r = ps.Run("Get-EdgeDevice -Inventory $args[0] -Name $args[1] | Install-TorchWheel -Source $args[2] -VirtualEnv '~/torch env' -CreateVirtualEnv -SudoCredential $sudo",
                    Fleet.InventoryPath, d.Name, source);
                NoErrors(r);
                var o = r.Output.Single();
                Assert.Equal(pip, o.P("Wheel"));
                Assert.Equal("Installed", o.P("Action"));
                Assert.Equal("2.1.0", d.ExecOk("su pi -c \"cd / && '/home/pi/torch env/bin/python' -c 'import torch; print(torch.__version__)'\"").Trim());
            }
            finally
            {
                d.Exec($"rm -rf {onDevice} '/home/pi/torch env' /home/pi/.cache/edgeops");
            }
        }

        // ------------------------------------------------------------------ backup and restore

        [FleetFact]
        public void Card_backup_and_restore_on_aarch64()
        {
            var d = Device(SimulatedKinds.Pi4Arm64);
            var dest = Path.Combine(_temp, "backups");
            using var ps = Session();
            var r = ps.Run("Get-EdgeDevice -Inventory $args[0] -Name $args[1] | Backup-SdCard -Destination $args[2] -SudoCredential $sudo", Fleet.InventoryPath, d.Name, dest);
            NoErrors(r);
            var o = r.Output.Single();
            Assert.Equal("True", o.P("Verified"));
            var path = o.P("Path");
            var manifest = File.ReadAllText(path.Replace(".img.zst", ".json"));
            Assert.Contains(d.Model, manifest);
            Assert.Contains("aarch64", manifest);

            // written back to a card in a reader attached to the device, by the device's own (emulated) tools
            using var target = new CardImage(600L << 20, "label: dos\ntype=83\n", "arm-restore.img");
            Run.Cmd("wipefs", "-a", target.Loop!);
            var rr = ps.Run("Get-EdgeDevice -Inventory $args[0] -Name $args[1] | Restore-SdCard -Path $args[2] -DevicePath $args[3] -SudoCredential $sudo -Confirm:$false",
                Fleet.InventoryPath, d.Name, path, target.Loop!);
            NoErrors(rr);
            Assert.Equal("True", rr.Output.Single().P("Verified"));
            Run.Try("partx", "-a", target.Loop!);
            Thread.Sleep(300);
            Assert.Equal(0, Run.Try("e2fsck", "-fn", target.Loop + "p2").code);
            var m = Path.Combine(_temp, "m");
            Directory.CreateDirectory(m);
            Run.Cmd("mount", "-o", "ro", target.Loop + "p2", m);
            try
            {
                Assert.Equal(File.ReadAllText(d.HostPath("/home/pi/notes.txt")), File.ReadAllText(Path.Combine(m, "home/pi/notes.txt")));
                Assert.Equal(CardImage.HashTree(d.HostPath("/home/pi/data")), CardImage.HashTree(Path.Combine(m, "home/pi/data")));
                Assert.Equal(File.ReadAllText(d.HostPath("/etc/fstab")), File.ReadAllText(Path.Combine(m, "etc/fstab")));
            }
            finally { Run.Cmd("umount", m); }
        }

        // ------------------------------------------------------------------ native wheel build

        [FleetFact]
        public void C_extension_builds_natively_on_aarch64_and_its_wheel_is_tagged_aarch64()
        {
            var d = Device(SimulatedKinds.Pi4Arm64);
            // setuptools and gcc of the arm64 tree, emulated: the project stays one small C file
            var src = Builds.TestProjects.CExtension(Path.Combine(_temp, "edge calc"));
            var received = Path.Combine(_temp, "received");
            using var ps = Session();
            try
            {
                var r = ps.Run("Get-EdgeDevice -Inventory $args[0] -Name $args[1] | Start-WheelBuild -Source $args[2] -Jobs 1 | " +
                               "Wait-WheelBuild -Timeout 900 | Receive-WheelBuild -Destination $args[3]", Fleet.InventoryPath, d.Name, src, received);
                NoErrors(r);
                var entry = r.Output.Single();
                Assert.Equal(d.Name, entry.P("ComputerName"));
                Assert.Equal("Received", entry.P("Action"));
                Assert.Equal("edgecalc-1.2.0-cp311-cp311-linux_aarch64.whl", entry.P("Wheel"));   // built natively: aarch64, not the controller's x86_64
                Assert.Contains("linux_aarch64", entry.P("Tags"));
                var wheel = Path.Combine(received, entry.P("Wheel"));
                Assert.Equal(entry.P("Sha256"), Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(wheel))).ToLowerInvariant());

                var build = ps.Run("Get-EdgeDevice -Inventory $args[0] -Name $args[1] | Get-WheelBuild -State Succeeded", Fleet.InventoryPath, d.Name).Output.Single();
                Assert.Equal("0", build.P("ExitCode"));
                // the extension is an aarch64 ELF object, and it imports and computes there (unpacked from the received wheel)
                var unpacked = "/home/pi/edgecalc-unpacked";
                Directory.CreateDirectory(d.HostPath(unpacked));
                File.Copy(wheel, Path.Combine(d.HostPath(unpacked), entry.P("Wheel")));
                File.WriteAllText(Path.Combine(d.HostPath(unpacked), "check.sh"),
                    "cd \"$(dirname \"$0\")\" || exit 1\n" +
                    "python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(\".\")' \"$1\"\n" +
                    "od -An -tx1 -j18 -N2 edgecalc*.so | tr -d ' \\n'; echo\n" +
                    "python3 -c 'import edgecalc, platform; print(edgecalc.calc(6, 7), platform.machine())'\n");
                d.ExecOk($"chown -R 1000:1000 {unpacked}");
                var ran = d.ExecOk($"su pi -c 'sh {unpacked}/check.sh {entry.P("Wheel")}'").Trim().Split('\n');
                Assert.Equal("b700", ran[0]);   // e_machine 0xb7: EM_AARCH64
                Assert.Equal("49 aarch64", ran[1]);
            }
            finally
            {
                d.Exec("rm -rf /home/pi/.local/state/edgeops /home/pi/edgecalc-unpacked");
            }
        }

        // ------------------------------------------------------------------ benchmark

        [FleetFact]
        public void Benchmark_runs_through_the_arm64_runner_and_stops_clearly_on_armv7l()
        {
            var pi4 = Device(SimulatedKinds.Pi4Arm64);
            var pi3 = Device(SimulatedKinds.Pi3Armhf);
            var models = SampleModels.Ensure();
            using var ps = Session();
            try
            {
                var r = ps.Run("Get-EdgeDevice -Inventory $args[0] -Name $args[1], $args[2] | Invoke-EdgeBenchmark -Model $args[3] -Runs 5 -WarmupRuns 1 -MaxModelBytes 5MB -Verbose",
                    Fleet.InventoryPath, pi4.Name, pi3.Name, models);

                var err = Assert.Single(r.Errors);
                Assert.Equal(pi3.Name, err.Target());
                Assert.Equal("RunnerUnsupportedArchitecture", err.Id());
                Assert.Contains(pi3.Name, err.ToString());
                Assert.Contains("armv7l", err.ToString());
                Assert.Contains("64-bit OS", err.ToString());
                Assert.Equal(1, pi3.Exec("test -e /home/pi/.cache/edgeops").exit);   // nothing copied there

                Assert.Equal(2, r.Output.Count);
                foreach (var o in r.Output)
                {
                    Assert.Equal(pi4.Name, o.P("ComputerName"));
                    Assert.Equal(pi4.Model, o.P("BoardModel"));   // read by the runner on the device
                    Assert.Equal(pi4.Name, o.P("HostName"));
                    Assert.Equal("5", o.P("Runs"));
                    Assert.True(double.Parse(o.P("MedianMs")) > 0);
                }
                Assert.Contains(r.Verbose, v => v.Contains("Copying the linux-arm64 runner"));
                // only what runs there: the arm64 program and its Linux libraries
                var pkg = RunnerPackage.Get("linux-arm64", _ => { }, CancellationToken.None);
                var hash = r.Output[0].P("MeasuredBy").Substring("runner ".Length);   // the hash's first characters
                Assert.StartsWith(hash, pkg.Hash);
                var onDevice = pi4.ExecOk($"cd /home/pi/.cache/edgeops/runner/{pkg.Hash} && ls -A").Split('\n', StringSplitOptions.RemoveEmptyEntries);
                Assert.Equal(pkg.Files.Append(".complete").OrderBy(f => f, StringComparer.Ordinal), onDevice.OrderBy(f => f, StringComparer.Ordinal));
                Assert.DoesNotContain(onDevice, f => f.EndsWith(".dll", StringComparison.OrdinalIgnoreCase));
            }
            finally
            {
                foreach (var d in new[] { pi4, pi3 }) d.Exec("rm -rf /home/pi/.cache/edgeops");
            }
        }
    }
}
