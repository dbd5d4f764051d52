using System.Management.Automation;
using EdgeOps.Fleet;
using EdgeOps.Swap;
using EdgeOps.Tests.Fleet;
using EdgeOps.Tests.Infrastructure;
using EdgeOps.Transport;
using Xunit;

namespace EdgeOps.Tests.Swap
{
    /// <summary>Three simulated devices with 8 GiB SD cards (sparse), so build-sized swap files fit.</summary>
    public sealed class SwapFleetFixture : FleetFixture
    {
        public SwapFleetFixture() : base(3, 8L << 30) { }
    }

    /// <summary>
    /// The swap cmdlets against the simulated fleet over SSH: real fallocate, mkswap, swapon on each device's
    /// own SD-card root; each device's /etc is private. Every test turns off and removes its swap, and puts
    /// each device's /etc back, in Dispose (also after a failure).
    /// </summary>
    public class SwapFleetTests : IClassFixture<SwapFleetFixture>, IDisposable
    {
        const long MiB = BuildMath.MiB, GiB = BuildMath.GiB;
        static readonly string[] s_swapPaths = { "/swapfile", "/var/swap", "/opt/dphys swap" };
        static readonly string[] s_managerFiles =
        {
            "/etc/dphys-swapfile", "/etc/systemd/system/dphys-swapfile.service", "/etc/systemd/system/multi-user.target.wants",
            "/etc/rpi", "/etc/systemd/nvzramconfig.sh", "/etc/systemd/system/nvzramconfig.service", "/etc/sysctl.d/99-edgeops-swappiness.conf",
            "/opt/dphys-swapfile",
        };

        readonly SimulatedFleet _fleet;
        readonly PowerShellSession _ps = new();
        readonly Dictionary<string, string> _fstab = new();
        readonly Dictionary<string, string> _meminfo = new();
        readonly string _swappiness = File.ReadAllText("/proc/sys/vm/swappiness").Trim();

        public SwapFleetTests(SwapFleetFixture f)
        {
            _fleet = f.Fleet;
            foreach (var d in _fleet.Devices)
            {
                _fstab[d.Name] = File.ReadAllText(d.HostPath("/etc/fstab"));
                _meminfo[d.Name] = File.ReadAllText(Path.Combine(d.Dir, "host", "meminfo"));
            }
            _ps.Set("cred", FleetTestKit.Credential("pi", _fleet.SudoPassword));
            _ps.Set("inv", _fleet.InventoryPath);
        }

        public void Dispose()
        {
            DeviceScripts.StepHook = null;
            foreach (var d in _fleet.Devices)
            {
                foreach (var p in s_swapPaths) d.Exec($"swapoff -- {Q(p)} 2>/dev/null; rm -f -- {Q(p)}");
                foreach (var m in s_managerFiles) d.Exec($"rm -rf -- {Q(m)}");
                File.WriteAllText(d.HostPath("/etc/fstab"), _fstab[d.Name]);
                File.WriteAllText(Path.Combine(d.Dir, "host", "meminfo"), _meminfo[d.Name]);
            }
            File.WriteAllText("/proc/sys/vm/swappiness", _swappiness);
            _ps.Dispose();
        }

        static string Q(string s) => Sh.Quote(s);
        SimulatedDevice Pi4 => _fleet.Devices[0];
        SimulatedDevice Pi5 => _fleet.Devices[1];
        SimulatedDevice Jetson => _fleet.Devices[2];

        /// <summary>
        /// Size in KiB of the device's own active swap file at <paramref name="path"/>, or -1, asked inside the device:
        /// the file is busy as swap and /proc/swaps has a row of that name whose size fits the file (other devices'
        /// files of the same name are listed too: one kernel).
        /// </summary>
        internal static long ActiveKiB(SimulatedDevice d, string path)
        {
            var p = Q(path);
            var r = d.Exec($"[ -f {p} ] && ! truncate -c -s \"$(stat -c %s {p})\" {p} 2>/dev/null && k=$(( ($(stat -c %s {p}) / 4096 - 1) * 4 )) && " +
                           $"awk -v p={Q(path.Replace(" ", "\\\\040"))} -v k=\"$k\" '$1 == p && $3 == k {{ print $3; exit }}' /proc/swaps");
            return long.TryParse(r.stdout.Trim(), out var kib) ? kib : -1;
        }

        PSRun Run(string script, params object[] args)
        {
            var r = _ps.Run(script, args);
            return r;
        }

        static void NoErrors(PSRun r) => Assert.True(r.Errors.Count == 0, string.Join("\n", r.Errors.Select(e => e.ToString())));

        // ------------------------------------------------------------------ the pipeline of the issue

        [FleetFact]
        public void Fleet_pipeline_for_4_build_jobs_gives_one_clean_row_per_device()
        {
            var r = Run("Get-EdgeDevice -Inventory $inv | New-SwapFile -ForBuildJobs 4 -MemoryPerJob 2GB -SudoCredential $cred");
            NoErrors(r);
            Assert.Equal(_fleet.Devices.Select(d => d.Name).OrderBy(n => n), r.Output.Select(o => o.P("ComputerName")).OrderBy(n => n));
            var expectedProps = typeof(SwapFileResult).GetProperties().Select(p => p.Name).ToList();
            foreach (var o in r.Output)
            {
                var d = _fleet.Devices.Single(x => x.Name == o.P("ComputerName"));
                Assert.Equal("EdgeOps.SwapFileResult", o.TypeNames[0]);
                // the contract Export-Csv relies on: the same flat properties on every row, primitive values
                var props = o.Properties.Where(p => p.MemberType == PSMemberTypes.Property).ToList();
                Assert.Equal(expectedProps, props.Select(p => p.Name).ToList());
                Assert.All(props, p => Assert.True(p.Value is string or int or long or bool, p.Name + " is " + p.Value?.GetType()));
                Assert.All(props, p => Assert.DoesNotContain('\n', p.Value?.ToString() ?? ""));
                long size = BuildMath.SwapForJobs(4, 2 * GiB, d.MemTotalBytes, 0, 4096);
                Assert.Equal("Created", o.P("Action"));
                Assert.Equal(size.ToString(), o.P("SizeBytes"));
                Assert.Equal("/swapfile", o.P("Path"));
                Assert.Equal("fstab", o.P("Manager"));
                Assert.Equal(d.MemTotalBytes.ToString(), o.P("MemTotalBytes"));
                Assert.Equal("4", o.P("BuildJobs"));
                Assert.Equal((size - 4096) / 1024, ActiveKiB(d, "/swapfile"));
                Assert.Equal(1, FstabText.CountEntries(File.ReadAllText(d.HostPath("/etc/fstab")), "/swapfile"));
            }
            // 4 GB boards get 4.5 GiB (+ the header page, in MiB), the 8 GB board 1 GiB
            Assert.Equal((8 * GiB + 512 * MiB - Pi4.MemTotalBytes + 4096 + MiB - 1) / MiB * MiB, BuildMath.SwapForJobs(4, 2 * GiB, Pi4.MemTotalBytes, 0, 4096));

            var plans = Run("Get-EdgeDevice -Inventory $inv | Get-EdgeBuildPlan -MemoryPerJob 2GB -Jobs 4 -SudoCredential $cred");
            NoErrors(plans);
            Assert.Equal(3, plans.Output.Count);
            Assert.All(plans.Output, p =>
            {
                Assert.True(int.Parse(p.P("MemoryJobs")) >= 4, p.P("ComputerName") + " plans " + p.P("MemoryJobs"));
                Assert.Equal("0", p.P("AdditionalSwapBytes"));
                Assert.Equal(Math.Min(4, Environment.ProcessorCount).ToString(), p.P("MaxJobs"));
            });

            var again = Run("Get-EdgeDevice -Inventory $inv | New-SwapFile -ForBuildJobs 4 -MemoryPerJob 2GB -SudoCredential $cred");
            NoErrors(again);
            Assert.All(again.Output, o => Assert.Equal("Unchanged", o.P("Action")));
            var removed = Run("Get-EdgeDevice -Inventory $inv | Remove-SwapFile -SudoCredential $cred");
            NoErrors(removed);
            Assert.All(removed.Output, o => Assert.Equal("Removed", o.P("Action")));
            foreach (var d in _fleet.Devices)
            {
                Assert.Equal(-1, ActiveKiB(d, "/swapfile"));
                Assert.False(File.Exists(d.HostPath("/swapfile")));
                Assert.Equal(0, FstabText.CountEntries(File.ReadAllText(d.HostPath("/etc/fstab")), "/swapfile"));
            }
        }

        // ------------------------------------------------------------------ create, rerun, resize, remove

        [FleetFact]
        public void Create_rerun_resize_and_remove_on_one_device_keep_exactly_one_fstab_entry()
        {
            var d = Pi5; // password sudo: every root step goes through sudo -S
            var fstab = d.HostPath("/etc/fstab");
            var r1 = Run("Get-EdgeDevice -Inventory $inv -Name $args[0] | New-SwapFile -Size 32MB -Swappiness 15 -SudoCredential $cred", d.Name);
            NoErrors(r1);
            Assert.Equal("Created", r1.Output.Single().P("Action"));
            Assert.Equal(32 * 1024 - 4, ActiveKiB(d, "/swapfile"));
            Assert.Equal("600 0", d.ExecOk("stat -c '%a %u' /swapfile").Trim());
            Assert.Equal("15", File.ReadAllText("/proc/sys/vm/swappiness").Trim());
            Assert.Contains("vm.swappiness = 15", File.ReadAllText(d.HostPath("/etc/sysctl.d/99-edgeops-swappiness.conf")));
            var afterFirst = File.ReadAllText(fstab);
            Assert.Equal(_fstab[d.Name] + (_fstab[d.Name].EndsWith("\n") || _fstab[d.Name].Length == 0 ? "" : "\n") + "/swapfile none swap sw 0 0\n", afterFirst);
            Assert.Equal(_fstab[d.Name], File.ReadAllText(fstab + ".edgeops.bak"));

            var r2 = Run("Get-EdgeDevice -Inventory $inv -Name $args[0] | New-SwapFile -Size 32MB -Swappiness 15 -SudoCredential $cred -Verbose", d.Name);
            NoErrors(r2);
            Assert.Equal("Unchanged", r2.Output.Single().P("Action"));
            Assert.Contains(r2.Verbose, v => v.Contains("nothing changed"));
            Assert.Equal(afterFirst, File.ReadAllText(fstab));

            var r3 = Run("Get-EdgeDevice -Inventory $inv -Name $args[0] | New-SwapFile -Size 48MB -Priority 4 -SudoCredential $cred", d.Name);
            NoErrors(r3);
            Assert.Equal("Resized", r3.Output.Single().P("Action"));
            Assert.Equal("4", r3.Output.Single().P("Priority"));
            Assert.Equal(48 * 1024 - 4, ActiveKiB(d, "/swapfile"));
            Assert.Equal(1, FstabText.CountEntries(File.ReadAllText(fstab), "/swapfile"));

            var areas = Run("Get-EdgeDevice -Inventory $inv -Name $args[0] | Get-SwapFile -SudoCredential $cred", d.Name);
            NoErrors(areas);
            var a = Assert.Single(areas.Output, o => o.P("Path") == "/swapfile");
            Assert.Equal("True", a.P("Active"));
            Assert.Equal("/etc/fstab", a.P("PersistedIn"));
            Assert.Equal("4", a.P("Priority"));
            // other devices' swap (same kernel) is not reported as this device's
            Assert.DoesNotContain(areas.Output, o => o.P("Type") == "file" && o.P("Path") != "/swapfile");

            var rm = Run("Get-EdgeDevice -Inventory $inv -Name $args[0] | Remove-SwapFile -SudoCredential $cred", d.Name);
            NoErrors(rm);
            Assert.Equal("Removed", rm.Output.Single().P("Action"));
            Assert.Equal(-1, ActiveKiB(d, "/swapfile"));
            Assert.Equal(_fstab[d.Name].TrimEnd('\n'), File.ReadAllText(fstab).TrimEnd('\n'));
        }

        [FleetFact]
        public void WhatIf_on_the_fleet_changes_no_file_and_adds_no_swap()
        {
            foreach (var d in _fleet.Devices) File.WriteAllText(d.HostPath("/etc/dphys-swapfile"), "CONF_SWAPSIZE=100\n");
            string Snapshot() => string.Join("\n", _fleet.Devices.SelectMany(d =>
                new[] { "/etc/fstab", "/etc/dphys-swapfile", "/etc/sysctl.d/99-edgeops-swappiness.conf", "/swapfile", "/var/swap" }
                    .Select(p => d.Name + p + "=" + HostShell.Hash(d.HostPath(p)))));
            var before = Snapshot();
            var swaps = File.ReadAllText("/proc/swaps");
            var r = Run("Get-EdgeDevice -Inventory $inv | New-SwapFile -Size 64MB -Swappiness 7 -Priority 9 -SudoCredential $cred -WhatIf");
            NoErrors(r);
            // Nothing is written to the pipeline under -WhatIf (so nothing downstream acts); the plan is in the WhatIf messages.
            Assert.Empty(r.Output);
            var plans = r.WhatIf.ToList();
            Assert.Equal(3, plans.Count);
            Assert.All(_fleet.Devices, d => Assert.Contains(plans, l => l.Contains(d.Name + ":") && l.Contains("swap file")));
            Assert.Equal(before, Snapshot());
            Assert.Equal(swaps, File.ReadAllText("/proc/swaps"));
            Assert.NotEqual("7", File.ReadAllText("/proc/sys/vm/swappiness").Trim());
        }

        [FleetFact]
        public void Not_enough_disk_is_refused_on_that_device_only_and_nothing_changes()
        {
            var fstab = HostShell.Hash(Pi4.HostPath("/etc/fstab"));
            var free = long.Parse(Pi4.ExecOk("df -P -B1 / | awk 'NR==2 { print $4 }'").Trim());
            var r = Run("Get-EdgeDevice -Inventory $inv -Name $args[0] | New-SwapFile -Size $args[1]", Pi4.Name, free - 100 * MiB);
            var e = Assert.Single(r.Errors);
            Assert.Equal("SwapNotEnoughDisk", e.Id());
            Assert.Equal(Pi4.Name, e.Target());
            Assert.Contains("256 MiB or 5% of the filesystem", e.ToString());
            Assert.Empty(r.Output);
            Assert.False(File.Exists(Pi4.HostPath("/swapfile")));
            Assert.Equal(fstab, HostShell.Hash(Pi4.HostPath("/etc/fstab")));
        }

        [FleetFact]
        public void Resize_and_remove_are_refused_while_used_swap_would_not_fit_in_free_RAM()
        {
            var d = Pi4;
            // highest priority, so the pages pushed out below land in this device's file
            NoErrors(Run("Get-EdgeDevice -Inventory $inv -Name $args[0] | New-SwapFile -Size 64MB -Priority 32767", d.Name));
            var cg = "/sys/fs/cgroup/memory/edgeops-swaptest-" + Guid.NewGuid().ToString("n")[..8];
            Directory.CreateDirectory(cg);
            Task<(int, string, string)>? hog = null;
            try
            {
                File.WriteAllText(Path.Combine(cg, "memory.limit_in_bytes"), (16 * MiB).ToString());
                // a program in the device holding 40 MiB under a 16 MiB memory limit: the kernel swaps out real pages
                hog = Task.Run(() => d.Exec($"echo $$ > {cg}/cgroup.procs && exec python3 -c 'import time; b = bytearray(40 << 20); b[::4096] = b\"\\1\" * len(b[::4096]); print(1, flush=True); time.sleep(60)'", TimeSpan.FromSeconds(90)));
                long used = 0;
                FleetTestKit.Eventually(() =>
                {
                    var row = Run("Get-EdgeDevice -Inventory $inv -Name $args[0] | Get-SwapFile", d.Name).Output.SingleOrDefault(o => o.P("Path") == "/swapfile");
                    used = row == null ? 0 : long.Parse(row.P("UsedBytes"));
                    return used > 16 * MiB;
                }, TimeSpan.FromSeconds(30), "no pages reached the device's swap file");

                // the device reports less available RAM than the used pages plus 128 MiB
                SetMemAvailable(d, used + 64 * MiB);
                var r = Run("Get-EdgeDevice -Inventory $inv -Name $args[0] | New-SwapFile -Size 48MB -Priority 32767", d.Name);
                var e = Assert.Single(r.Errors);
                Assert.Equal("SwapInUse", e.Id());
                Assert.Contains("nothing was changed", e.ToString());
                Assert.Equal(64 * 1024 - 4, ActiveKiB(d, "/swapfile"));
                var rm = Run("Get-EdgeDevice -Inventory $inv -Name $args[0] | Remove-SwapFile", d.Name);
                Assert.Equal("SwapInUse", Assert.Single(rm.Errors).Id());
                Assert.True(File.Exists(d.HostPath("/swapfile")));
                Assert.Equal(1, FstabText.CountEntries(File.ReadAllText(d.HostPath("/etc/fstab")), "/swapfile"));

                // with room in RAM (limit lifted, available RAM back), removal turns it off: the pages come back
                File.WriteAllText(Path.Combine(cg, "memory.limit_in_bytes"), "-1");
                SetMemAvailable(d, 3 * GiB);
                var ok = Run("Get-EdgeDevice -Inventory $inv -Name $args[0] | Remove-SwapFile", d.Name);
                NoErrors(ok);
                var o = ok.Output.Single();
                Assert.Equal("Removed", o.P("Action"));
                Assert.Equal("True", o.P("WasActive"));
                Assert.Equal(-1, ActiveKiB(d, "/swapfile"));
                Assert.False(hog.IsCompleted); // the program kept running
            }
            finally
            {
                foreach (var pid in File.ReadAllText(Path.Combine(cg, "cgroup.procs")).Split('\n', StringSplitOptions.RemoveEmptyEntries))
                    HostShell.TryRun("kill", "-KILL", pid);
                hog?.Wait(TimeSpan.FromSeconds(10));
                FleetTestKit.Eventually(() => File.ReadAllText(Path.Combine(cg, "cgroup.procs")).Trim().Length == 0, TimeSpan.FromSeconds(10), "hog did not exit");
                Directory.Delete(cg);
            }
        }

        static void SetMemAvailable(SimulatedDevice d, long bytes)
        {
            var meminfo = Path.Combine(d.Dir, "host", "meminfo");
            var lines = File.ReadAllLines(meminfo).Select(l => l.StartsWith("MemAvailable:") ? $"MemAvailable:   {bytes / 1024,10} kB" : l);
            File.WriteAllText(meminfo, string.Join("\n", lines) + "\n");
        }

        // ------------------------------------------------------------------ the swap managers

        [FleetFact]
        public void Dphys_swapfile_config_is_edited_so_the_real_dphys_swapfile_keeps_the_file_at_boot()
        {
            const string script = "/opt/edgeops-test/dphys-swapfile/sbin/dphys-swapfile";
            Assert.True(File.Exists(script), "run tests/setup/swap.sh (unpacks the real dphys-swapfile)");
            var d = Pi4;
            Directory.CreateDirectory(d.HostPath("/opt/dphys-swapfile"));
            File.Copy(script, d.HostPath("/opt/dphys-swapfile/dphys-swapfile"));
            d.ExecOk("chmod 755 /opt/dphys-swapfile/dphys-swapfile");
            File.Copy("/opt/edgeops-test/dphys-swapfile/lib/systemd/system/dphys-swapfile.service", d.HostPath("/etc/systemd/system/dphys-swapfile.service"));
            // Raspberry Pi OS' config with a small cap: dphys-swapfile would silently cut a 64 MiB file to 32
            File.WriteAllText(d.HostPath("/etc/dphys-swapfile"), "# /etc/dphys-swapfile\nCONF_SWAPFILE='/opt/dphys swap'\nCONF_SWAPSIZE=100\nCONF_MAXSWAP=32\n");
            var fstab = HostShell.Hash(d.HostPath("/etc/fstab"));

            var r = Run("Get-EdgeDevice -Inventory $inv -Name $args[0] | New-SwapFile -Size 64MB", d.Name);
            NoErrors(r);
            var o = r.Output.Single();
            Assert.Equal("dphys-swapfile", o.P("Manager"));
            Assert.Equal("/opt/dphys swap", o.P("Path"));
            Assert.Equal("/etc/dphys-swapfile", o.P("PersistedIn"));
            var conf = File.ReadAllText(d.HostPath("/etc/dphys-swapfile"));
            Assert.Equal("64", ShellConfigText.Get(conf, "CONF_SWAPSIZE"));
            Assert.Equal("64", ShellConfigText.Get(conf, "CONF_MAXSWAP"));
            Assert.Equal(fstab, HostShell.Hash(d.HostPath("/etc/fstab")));
            Assert.Equal(64 * 1024 - 4, ActiveKiB(d, "/opt/dphys swap"));
            Assert.Equal("/etc/systemd/system/dphys-swapfile.service", d.ExecOk("readlink /etc/systemd/system/multi-user.target.wants/dphys-swapfile.service").Trim());

            // what the service does at boot: the real script keeps EdgeOps' file as it is, then turns it on
            var setup = d.Exec("/opt/dphys-swapfile/dphys-swapfile setup");
            Assert.True(setup.exit == 0, setup.stderr + setup.stdout);
            Assert.Contains("keeping it", setup.stdout);
            Assert.DoesNotContain("restricting", setup.stdout);
            Assert.Equal(-1, ActiveKiB(d, "/opt/dphys swap")); // setup turned it off first
            d.ExecOk("/opt/dphys-swapfile/dphys-swapfile swapon");
            Assert.Equal(64 * 1024 - 4, ActiveKiB(d, "/opt/dphys swap"));

            var again = Run("Get-EdgeDevice -Inventory $inv -Name $args[0] | New-SwapFile -Size 64MB", d.Name);
            Assert.Equal("Unchanged", again.Output.Single().P("Action"));

            var rm = Run("Get-EdgeDevice -Inventory $inv -Name $args[0] | Remove-SwapFile", d.Name);
            NoErrors(rm);
            Assert.Equal("Removed", rm.Output.Single().P("Action"));
            Assert.Equal(-1, ActiveKiB(d, "/opt/dphys swap"));
            Assert.False(File.Exists(d.HostPath("/opt/dphys swap")));
            Assert.Equal(1, d.Exec("test -e /etc/systemd/system/multi-user.target.wants/dphys-swapfile.service").exit);
        }

        [FleetFact]
        public void Rpi_swap_gets_a_drop_in_and_a_later_override_is_refused()
        {
            var d = Pi5;
            Directory.CreateDirectory(d.HostPath("/etc/rpi/swap.conf.d"));
            File.WriteAllText(d.HostPath("/etc/rpi/swap.conf"), "[Main]\n#Mechanism=auto\n\n[File]\n#Path=/var/swap\n#MaxSizeMiB=2048\n");
            var r = Run("Get-EdgeDevice -Inventory $inv -Name $args[0] | New-SwapFile -Size 40MB -SudoCredential $cred", d.Name);
            NoErrors(r);
            var o = r.Output.Single();
            Assert.Equal("rpi-swap", o.P("Manager"));
            Assert.Equal("/var/swap", o.P("Path"));
            Assert.Equal("/etc/rpi/swap.conf.d/90-edgeops-swap.conf", o.P("PersistedIn"));
            Assert.Contains(r.Warnings, w => w.Contains("'auto'"));
            Assert.Equal(RpiSwapText.DropIn("/var/swap", 40), File.ReadAllText(d.HostPath("/etc/rpi/swap.conf.d/90-edgeops-swap.conf")));
            Assert.Equal(40 * 1024 - 4, ActiveKiB(d, "/var/swap"));
            Assert.Equal(_fstab[d.Name], File.ReadAllText(d.HostPath("/etc/fstab")));

            File.WriteAllText(d.HostPath("/etc/rpi/swap.conf.d/95-local.conf"), "[File]\nFixedSizeMiB=100\n");
            var refused = Run("Get-EdgeDevice -Inventory $inv -Name $args[0] | New-SwapFile -Size 48MB -SudoCredential $cred", d.Name);
            var e = Assert.Single(refused.Errors);
            Assert.Equal("RpiSwapOverridden", e.Id());
            Assert.Contains("95-local.conf", e.ToString());
            Assert.Equal(40 * 1024 - 4, ActiveKiB(d, "/var/swap"));
            File.Delete(d.HostPath("/etc/rpi/swap.conf.d/95-local.conf"));

            NoErrors(Run("Get-EdgeDevice -Inventory $inv -Name $args[0] | Remove-SwapFile -SudoCredential $cred", d.Name));
            Assert.False(File.Exists(d.HostPath("/etc/rpi/swap.conf.d/90-edgeops-swap.conf")));
            Assert.Equal(-1, ActiveKiB(d, "/var/swap"));
        }

        [FleetFact]
        public void Jetson_zram_from_nvzramconfig_is_left_alone_and_reported()
        {
            Assert.True(ZramSwap.Available, "this kernel has no zram-control: the Jetson's zram can't be real");
            var d = Jetson;
            File.WriteAllText(d.HostPath("/etc/systemd/nvzramconfig.sh"), "#!/bin/bash\n# NVIDIA zram configuration (simulated file; the zram device is real)\n");
            File.WriteAllText(d.HostPath("/etc/systemd/system/nvzramconfig.service"), "[Service]\nType=oneshot\nExecStart=/etc/systemd/nvzramconfig.sh\n");
            using var zram = new ZramSwap(64 * MiB);
            var r = Run("Get-EdgeDevice -Inventory $inv -Name $args[0] | New-SwapFile -Size 32MB", d.Name);
            NoErrors(r);
            var o = r.Output.Single();
            Assert.Equal("fstab", o.P("Manager"));
            Assert.Contains("zram swap from nvzramconfig left in place", o.P("Note"));
            Assert.True(long.Parse(o.P("ZramBytes")) >= 64 * MiB - 4096);
            Assert.True(int.Parse(o.P("Priority")) < ZramSwap.Priority);
            Assert.Contains(HostShell.Swaps(), s => s.path == zram.Device);
            Assert.DoesNotContain("zram", File.ReadAllText(d.HostPath("/etc/fstab")));

            var areas = Run("Get-EdgeDevice -Inventory $inv -Name $args[0] | Get-SwapFile", d.Name);
            NoErrors(areas);
            var z = Assert.Single(areas.Output, a => a.P("Path") == zram.Device);
            Assert.Equal("zram", z.P("Type"));
            Assert.Equal("nvzramconfig", z.P("Manager"));
            Assert.Equal("/etc/systemd/nvzramconfig.sh", z.P("PersistedIn"));
            Assert.Equal(ZramSwap.Priority.ToString(), z.P("Priority"));
            Assert.Equal("SwapNotAFile", Assert.Single(Run("Get-EdgeDevice -Inventory $inv -Name $args[0] | Remove-SwapFile -Path $args[1]", d.Name, zram.Device).Errors).Id());
            NoErrors(Run("Get-EdgeDevice -Inventory $inv -Name $args[0] | Remove-SwapFile", d.Name));
            Assert.Contains(HostShell.Swaps(), s => s.path == zram.Device);
        }

        // ------------------------------------------------------------------ interruption

        /// <summary>The device's fstab (host path), its text now, and the text with the /swapfile entry.</summary>
        static (string path, string original, string complete) FstabStates(SimulatedDevice d)
        {
            var path = d.HostPath("/etc/fstab");
            var original = File.ReadAllText(path);
            return (path, original, FstabText.Ensure(original, "/swapfile", null));
        }

        static void Reset(SimulatedDevice d, string fstab, string original)
        {
            d.Exec("swapoff /swapfile 2>/dev/null; rm -f /swapfile /etc/.fstab.edgeops-new");
            File.WriteAllText(fstab, original);
        }

        EdgeDevice InventoryDevice(SimulatedDevice d) => Inventory.Load(_fleet.InventoryPath).Single(e => e.Device.ComputerName == d.Name).Device;

        [FleetFact]
        public void Killing_the_connection_between_steps_leaves_fstab_as_before_or_complete_never_half()
        {
            var d = Pi4;
            var (fstab, original, complete) = FstabStates(d);
            var device = InventoryDevice(d);
            var options = new ConnectionOptions { KnownHostsPath = _fleet.KnownHostsPath };

            foreach (var killAt in new[] { "applied", "staged:/etc/fstab", "committed:/etc/fstab" })
            {
                Reset(d, fstab, original);
                TransportFactory.Close(d.Name);
                DeviceScripts.StepHook = (dev, step) => { if (dev == d.Name && step == killAt) d.StopSshd(); };
                try
                {
                    using var ctx = new TestDeviceContext(device, TransportFactory.Open(device, options, CancellationToken.None));
                    var ex = Record.Exception(() => new SwapService(ctx).New(new SwapRequest { SizeBytes = 16 * MiB }));
                    if (killAt != "committed:/etc/fstab") Assert.NotNull(ex); // the next step needed the dead connection
                }
                finally
                {
                    DeviceScripts.StepHook = null;
                    d.StartSshd();
                    TransportFactory.Close(d.Name);
                }
                var now = File.ReadAllText(fstab);
                Assert.True(now == original || now == complete, $"killed at {killAt}: fstab is neither the old nor the complete text:\n{now}");
                Assert.Equal(killAt == "committed:/etc/fstab" ? complete : original, now);

                // the next run completes what is missing, and the entry is there once
                var r = Run("Get-EdgeDevice -Inventory $inv -Name $args[0] | New-SwapFile -Size 16MB", d.Name);
                NoErrors(r);
                Assert.Equal(complete, File.ReadAllText(fstab));
                Assert.Equal(16 * 1024 - 4, ActiveKiB(d, "/swapfile"));
            }
        }

        [FleetFact]
        public void Killing_the_connection_at_random_moments_never_half_writes_fstab()
        {
            var d = Pi4;
            var (fstab, original, complete) = FstabStates(d);
            var rnd = new Random(3);
            for (int i = 0; i < 6; i++)
            {
                Reset(d, fstab, original);
                using var ps = new PowerShellSession();
                var run = Task.Run(() => ps.Run("Get-EdgeDevice -Inventory $args[0] -Name $args[1] | New-SwapFile -Size 16MB", _fleet.InventoryPath, d.Name));
                Thread.Sleep(rnd.Next(50, 700));
                d.StopSshd();
                run.Wait(TimeSpan.FromSeconds(60));
                d.StartSshd();
                TransportFactory.Close(d.Name);
                var now = File.ReadAllText(fstab);
                Assert.True(now == original || now == complete, $"run {i}: fstab is neither the old nor the complete text:\n{now}");
            }
        }
    }
}
