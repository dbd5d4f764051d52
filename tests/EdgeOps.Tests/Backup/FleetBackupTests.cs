using EdgeOps.Backup;
using System.Management.Automation;
using EdgeOps.Tests.Fleet;
using EdgeOps.Tests.Infrastructure;
using Xunit;

namespace EdgeOps.Tests.Backup
{
    /// <summary>Two simulated devices with small (256 MiB) cards, for the backup tests over SSH.</summary>
    public sealed class BackupFleetFixture : FleetFixture
    {
        public BackupFleetFixture() : base(2, 256L << 20) { }
    }

    /// <summary>Backup-SdCard over SSH against the simulated fleet: round trip, interruptions, services, refusals.</summary>
    public class FleetBackupTests : IClassFixture<BackupFleetFixture>, IDisposable
    {
        const long MiB = 1024 * 1024;
        readonly BackupFleetFixture _fx;
        readonly string _root = Path.Combine(Path.GetTempPath(), "edgeops-fleetbk-" + Guid.NewGuid().ToString("n")[..8]);
        readonly List<IDisposable> _cleanup = new();

        readonly Xunit.Abstractions.ITestOutputHelper _out;
        public FleetBackupTests(BackupFleetFixture fx, Xunit.Abstractions.ITestOutputHelper output) { _fx = fx; _out = output; Directory.CreateDirectory(_root); }

        public void Dispose()
        {
            foreach (var d in _cleanup.AsEnumerable().Reverse()) d.Dispose();
            try { Directory.Delete(_root, true); } catch (IOException) { }
        }

        SimulatedFleet Fleet => _fx.Fleet;

        PowerShellSession Session()
        {
            var ps = new PowerShellSession();
            ps.Set("sudo", FleetTestKit.Credential("pi", Fleet.SudoPassword));
            return ps;
        }

        static string Errors(PSRun r) => string.Join("\n", r.Errors.Select(e => e.ToString()));

        /// <summary>
        /// sha256 of every file of a device's card root, as the host sees it. Excluded: what the backup itself changes on
        /// the device (sshd's log, the marker sudo writes on first use) and the boot partition's mount point.
        /// </summary>
        static SortedDictionary<string, string> RootFiles(string root) => Filter(CardImage.HashTree(root));

        static SortedDictionary<string, string> Filter(SortedDictionary<string, string> all) =>
            new(all.Where(kv => !kv.Key.StartsWith("var/log/") && !kv.Key.StartsWith("boot/firmware/") && !kv.Key.StartsWith("lost+found") && kv.Key != "home/pi/.sudo_as_admin_successful")
                   .ToDictionary(kv => kv.Key, kv => kv.Value), StringComparer.Ordinal);

        [FleetFact]
        public void Fleet_backup_restores_identically_to_a_fresh_loop_device()
        {
            var dest = Path.Combine(_root, "fleet");
            var before = Fleet.Devices.Select(d => RootFiles(d.RootDir)).ToList();
            var boot = Fleet.Devices.Select(d => CardImage.HashDevice(d.BootLoopDevice, _root)).ToList();
            var tables = Fleet.Devices.Select(d => LocalBackupTests.TableOf(d.LoopDevice)).ToList();
            using var ps = Session();
            var r = ps.Run("Get-EdgeDevice -Inventory $args[0] | Backup-SdCard -Destination $args[1] -SudoCredential $sudo -Keep 2 -Verbose", Fleet.InventoryPath, dest);
            Assert.True(r.Errors.Count == 0, Errors(r));
            // the devices' perl has Digest::SHA: they hash the ranges, and Test-SdCardBackup below recomputes every one from the file
            Assert.Equal(Fleet.Devices.Count, r.Verbose.Count(v => v.Contains("the device hashes the mapped ranges")));
            Assert.Equal(Fleet.Devices.Select(d => d.Name).OrderBy(n => n), r.Output.Select(o => o.P("ComputerName")).OrderBy(n => n));
            // each device's live root had its journal written in place before its bitmaps were read
            Assert.Equal(Fleet.Devices.Count, r.Verbose.Count(v => v.Contains("wrote the journal of '/' in place")));
            Assert.DoesNotContain(r.Verbose, v => v.Contains("the whole filesystem is kept"));
            foreach (var o in r.Output)
            {
                Assert.Equal("True", o.P("Verified"));
                Assert.Equal((256 * MiB).ToString(), o.P("ImageBytes"));
                Assert.Contains("device", o.P("Compression"));
            }
            var list = ps.Run("Get-SdCardBackup -Destination $args[0] -Latest | Test-SdCardBackup", dest);
            Assert.Equal(2, list.Output.Count);
            Assert.All(list.Output, t => Assert.True(t.P("Passed") == "True", t.P("FailedChecks")));

            for (int i = 0; i < Fleet.Devices.Count; i++)
            {
                var d = Fleet.Devices[i];
                var path = r.Output.Single(o => o.P("ComputerName") == d.Name).P("Path");
                var manifest = BackupManifest.Parse(File.ReadAllText(path.Replace(".img.zst", ".json")));
                Assert.Equal(d.Model, manifest.Device.Model);
                Assert.Equal(d.RootLoopDevice, manifest.Device.RootSource);
                using var target = new CardImage(300 * MiB, "label: dos\ntype=83\n", "restore-" + i + ".img");
                Run.Cmd("wipefs", "-a", target.Loop!);
                var rr = ps.Run("Restore-SdCard -Path $args[0] -DevicePath $args[1] -Confirm:$false", path, target.Loop!);
                Assert.True(rr.Errors.Count == 0, Errors(rr));
                Run.Try("partx", "-d", target.Loop!); Run.Try("partx", "-a", target.Loop!);
                Thread.Sleep(300);
                Assert.Equal(tables[i], LocalBackupTests.TableOf(target.Loop!));
                var fsck = CardImage.FsckAsBooted(target.Loop + "p2");
                Assert.True(fsck.code == 0, fsck.output);
                Assert.Equal(boot[i], CardImage.HashDevice(target.Loop + "p1", _root));
                var m = Path.Combine(_root, "m" + i);
                Directory.CreateDirectory(m);
                Run.Cmd("mount", "-o", "ro", target.Loop + "p2", m);
                try
                {
                    var after = RootFiles(m);
                    var diff = before[i].Keys.Union(after.Keys).Where(k => before[i].GetValueOrDefault(k) != after.GetValueOrDefault(k)).ToList();
                    Assert.True(diff.Count == 0, "differ: " + string.Join(", ", diff.Take(20)));
                }
                finally { Run.Cmd("umount", m); }
                Assert.True(before[i].Count > 20);
            }
        }

        [FleetFact]
        public void Restore_over_ssh_with_password_sudo_and_refusal_of_the_running_system()
        {
            var d = Fleet.Devices[1]; // password sudo
            var dest = Path.Combine(_root, "remote");
            using var ps = Session();
            var r = ps.Run("Get-EdgeDevice -Inventory $args[0] -Name $args[1] | Backup-SdCard -Destination $args[2] -SudoCredential $sudo", Fleet.InventoryPath, d.Name, dest);
            Assert.True(r.Errors.Count == 0, Errors(r));
            var path = r.Output.Single().P("Path");

            // the card that holds the device's running system is refused, whatever it is called
            var own = ps.Run("Get-EdgeDevice -Inventory $args[0] -Name $args[1] | Restore-SdCard -Path $args[2] -DevicePath $args[3] -SudoCredential $sudo -Confirm:$false",
                Fleet.InventoryPath, d.Name, path, d.LoopDevice);
            Assert.Equal("RestoreTargetInUse", Assert.Single(own.Errors).Id());
            Assert.Contains(d.Name, own.Errors[0].ToString());

            // a card in a reader attached to the device: written over SSH, read back, checked
            using var target = new CardImage(256 * MiB, "label: dos\ntype=83\n", "remote-target.img");
            Run.Cmd("wipefs", "-a", target.Loop!);
            var rr = ps.Run("Get-EdgeDevice -Inventory $args[0] -Name $args[1] | Restore-SdCard -Path $args[2] -DevicePath $args[3] -SudoCredential $sudo -Confirm:$false",
                Fleet.InventoryPath, d.Name, path, target.Loop!);
            Assert.True(rr.Errors.Count == 0, Errors(rr));
            var o = rr.Output.Single();
            Assert.Equal("True", o.P("Verified"));
            Assert.Equal(d.Name, o.P("ComputerName"));
            Run.Try("partx", "-a", target.Loop!);
            Thread.Sleep(300);
            Assert.Equal(0, CardImage.FsckAsBooted(target.Loop + "p2").code);
        }

        [FleetFact]
        public void Services_are_stopped_for_the_read_and_always_started_again()
        {
            var d = Fleet.Devices[0];
            // two sysvinit-style services (the simulated device has no systemd; `service` runs init scripts)
            d.ExecOk("rm -f /var/lib/edgeops-services.log");
            foreach (var svc in new[] { "edge-infer", "edge-mqtt" })
            {
                var p = d.HostPath("/etc/init.d/" + svc);
                File.WriteAllText(p, "#!/bin/sh\necho \"" + svc + " $1\" >> /var/lib/edgeops-services.log\n");
                Run.Cmd("chmod", "755", p);
            }
            var dest = Path.Combine(_root, "svc");
            using var ps = Session();
            var r = ps.Run("Get-EdgeDevice -Inventory $args[0] -Name $args[1] | Backup-SdCard -Destination $args[2] -StopService edge-infer, edge-mqtt -Verbose", Fleet.InventoryPath, d.Name, dest);
            Assert.True(r.Errors.Count == 0, Errors(r));
            Assert.Equal("edge-infer stop\nedge-mqtt stop\nedge-mqtt start\nedge-infer start\n", d.ExecOk("cat /var/lib/edgeops-services.log"));
            Assert.Equal(new[] { "edge-infer", "edge-mqtt" }, BackupManifest.Parse(File.ReadAllText(r.Output.Single().P("Path").Replace(".img.zst", ".json"))).StoppedServices);

            // a backup that fails after the services were stopped (the destination fills up) starts them again
            d.ExecOk("rm -f /var/lib/edgeops-services.log; head -c 24M /dev/urandom > /home/pi/fill.bin; sync");
            var small = Path.Combine(_root, "svc-small");
            Directory.CreateDirectory(small);
            Run.Cmd("mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", small);
            try
            {
                var f = ps.Run("Get-EdgeDevice -Inventory $args[0] -Name $args[1] | Backup-SdCard -Destination $args[2] -StopService edge-infer, edge-mqtt", Fleet.InventoryPath, d.Name, small);
                Assert.Equal("BackupDestinationFull", Assert.Single(f.Errors).Id());
                Assert.Equal("edge-infer stop\nedge-mqtt stop\nedge-mqtt start\nedge-infer start\n", d.ExecOk("cat /var/lib/edgeops-services.log"));
                Assert.DoesNotContain(Directory.GetFiles(small, "*", SearchOption.AllDirectories), x => !x.EndsWith(".lock"));
            }
            finally
            {
                Run.Try("umount", small);
                d.ExecOk("rm -f /home/pi/fill.bin /etc/init.d/edge-infer /etc/init.d/edge-mqtt /var/lib/edgeops-services.log; sync");
            }
            var bad = ps.Run("Get-EdgeDevice -Inventory $args[0] -Name $args[1] | Backup-SdCard -Destination $args[2] -StopService 'x; reboot'", Fleet.InventoryPath, d.Name, dest);
            Assert.Equal("InvalidServiceName", Assert.Single(bad.Errors).Id());
        }

        [FleetFact]
        public void Cutting_the_connection_never_loses_the_previous_backup_nor_leaves_a_complete_looking_file()
        {
            var d = Fleet.Devices[0];
            d.ExecOk("head -c 64M /dev/urandom > /home/pi/big.bin; sync");
            var dest = Path.Combine(_root, "cut");
            try
            {
                using var ps = Session();
                const string backup = "Get-EdgeDevice -Inventory $args[0] -Name $args[1] | Backup-SdCard -Destination $args[2]";
                var sw = System.Diagnostics.Stopwatch.StartNew();
                var first = ps.Run(backup, Fleet.InventoryPath, d.Name, dest);
                var full = sw.Elapsed;
                Assert.True(first.Errors.Count == 0, Errors(first));
                var good = first.Output.Single().P("Path");
                long stored = long.Parse(first.Output.Single().P("StoredBytes"));
                _out.WriteLine($"first backup: {full.TotalSeconds:0.0} s, {first.Output.Single().P("MBps")} MB/s, stored {stored}");
                int cut = 0;
                const int runs = 12;
                var folder = Path.GetDirectoryName(good)!;
                for (int i = 0; i < runs; i++)
                {
                    // cut points: two while connecting/probing/reading headers, the others spread over the stream
                    var task = Task.Run(() => ps.Run(backup, Fleet.InventoryPath, d.Name, dest));
                    if (i < 2) Thread.Sleep(150 + 250 * i);
                    else
                    {
                        long at = stored * (i - 1) / (runs - 1);
                        while (!task.IsCompleted && Directory.GetFiles(folder, "*.img.zst.partial").Sum(f => new FileInfo(f).Length) < at) Thread.Sleep(5);
                    }
                    bool finishedFirst = task.IsCompleted;
                    d.StopSshd();
                    d.StartSshd();
                    var r = task.Result;
                    _out.WriteLine($"run {i}: {(r.Errors.Count > 0 ? "cut: " + r.Errors[0] : finishedFirst ? "finished before the cut" : "survived the cut")}");
                    if (r.Errors.Count > 0)
                    {
                        cut++;
                        var e = Assert.Single(r.Errors);
                        Assert.Contains(d.Name, e.ToString());
                        Assert.Empty(r.Output);
                    }
                    else Assert.Equal("True", r.Output.Single().P("Verified"));
                    // whatever happened: no temporary file left, and every image that looks complete is complete
                    Assert.Empty(Directory.GetFiles(folder, "*.partial", new EnumerationOptions { AttributesToSkip = 0 }));
                    foreach (var img in Directory.GetFiles(folder, "*.img.zst"))
                        Assert.True(File.Exists(img.Replace(".img.zst", ".json")), $"run {i}: {img} has no manifest");
                    var listed = ps.Run("Get-SdCardBackup -Destination $args[0]", dest).Output;
                    Assert.All(listed, o => Assert.True(o.P("Verified") == "True", $"run {i}: {o.P("Path")} {o.P("Problem")}"));
                }
                Assert.True(cut >= runs - 3, $"only {cut} of {runs} runs were cut: the test did not exercise interruptions");
                var t = Assert.Single(ps.Run("Test-SdCardBackup $args[0]", good).Output);
                Assert.True(t.P("Passed") == "True", t.P("FailedChecks"));
            }
            finally { d.ExecOk("rm -f /home/pi/big.bin; sync"); }
        }

        [FleetFact]
        public void The_weekly_example_script_runs_under_the_projects_host()
        {
            var d = Fleet.Devices[0];
            var inventory = Fleet.WriteInventory(Path.Combine(_root, "weekly fleet.yaml"), new[] { d });
            var dest = Path.Combine(_root, "weekly dest");
            var log = Path.Combine(_root, "backup log.csv");
            var script = Path.Combine(Repo.Root, "examples", "weekly-backup.ps1");
            // -File as the systemd unit runs it; -Command for the failing run
            static string Q(string s) => "'" + s.Replace("'", "''") + "'";
            string Command(string inv) => $"& {Q(script)} -Inventory {Q(inv)} -Destination {Q(dest)} -Keep 2 -Log {Q(log)}";
            for (int week = 0; week < 3; week++)
            {
                var r = HostProcess.Run(Repo.Edgeops, new[] { "-File", script,
                    "-Inventory", inventory, "-Destination", dest, "-Keep", "2", "-Log", log }, timeout: TimeSpan.FromMinutes(3));
                Assert.True(r.exit == 0, r.stdout + r.stderr);
                Assert.Contains(d.Name, r.stdout);
            }
            var lines = File.ReadAllLines(log);
            Assert.Equal(4, lines.Length); // header + one line per run
            Assert.All(lines.Skip(1), l => Assert.Contains($"\"{d.Name}\",True,", l));
            Assert.EndsWith(".img.zst\",", lines[3]); // the third run removed the first image
            using var ps = Session();
            Assert.Equal(2, ps.Run("Get-SdCardBackup -Destination $args[0]", dest).Output.Count(o => o.P("Verified") == "True"));

            // a device that fails (no sudo password for the password-sudo device) makes the script exit 1 and logs why
            var both = Fleet.WriteInventory(Path.Combine(_root, "both.yaml"), Fleet.Devices);
            var bad = HostProcess.Run(Repo.Edgeops, new[] { "-Command", Command(both) }, timeout: TimeSpan.FromMinutes(3));
            Assert.Equal(1, bad.exit);
            Assert.Contains(File.ReadAllLines(log), l => l.Contains(Fleet.Devices[1].Name) && l.Contains("-SudoCredential"));
        }
    }
}
