using System.Diagnostics;
using EdgeOps.Tests.Fleet;
using EdgeOps.Tests.Infrastructure;
using Xunit;

namespace EdgeOps.Tests.Backup
{
    /// <summary>
    /// Simulated devices whose cards read like real ones (a cgroup v1 blkio throttle on the device's processes): the
    /// limit holds for what runs through sshd, the cgroup goes with the device, and a backup of such a card verifies
    /// and restores.
    /// </summary>
    public class ThrottledCardTests
    {
        const long MiB = 1024 * 1024;

        static string Ssh(SimulatedFleet fleet, SimulatedDevice d, string command) =>
            $"ssh -p {d.Port} -i {Run.Q(fleet.KeyPath("ed25519"))} -o UserKnownHostsFile={Run.Q(fleet.KnownHostsPath)} -o BatchMode=yes pi@{d.Address} {Run.Q(command)}";

        [FleetFact]
        public void A_card_read_through_the_device_goes_at_its_limit_and_the_cgroup_goes_with_the_device()
        {
            string cgroup;
            using (var fleet = SimulatedFleet.Start(1, 256 * MiB, cardReadBytesPerSecond: 16 * MiB))
            {
                var d = fleet.Devices[0];
                cgroup = d.CgroupPath;
                Assert.True(Directory.Exists(cgroup), cgroup);
                // the device's first process (and so sshd and every login, its descendants) is in the device's cgroup
                Assert.Contains(d.Pid.ToString(), File.ReadAllLines(Path.Combine(cgroup, "cgroup.procs")));
                var mm = Run.Cmd("lsblk", "-ndo", "MAJ:MIN", d.LoopDevice).Trim();
                Assert.Contains($"{mm} {16 * MiB}", File.ReadAllText(Path.Combine(cgroup, "blkio.throttle.read_bps_device")));
                foreach (var flags in new[] { "iflag=direct", "" })
                {
                    d.FlushCardCache();
                    var sw = Stopwatch.StartNew();
                    Run.Sh(Ssh(fleet, d, $"sudo dd if={d.LoopDevice} of=/dev/null bs=4M count=12 {flags} status=none"));
                    double rate = 48.0 / sw.Elapsed.TotalSeconds;   // MiB/s, ssh's start included
                    Assert.InRange(rate, 16 * 0.6, 16 * 1.15);
                }
                // the same read from outside the device is not limited: the throttle is the device's
                d.FlushCardCache();
                var host = Stopwatch.StartNew();
                Run.Cmd("dd", $"if={d.LoopDevice}", "of=/dev/null", "bs=4M", "count=12", "iflag=direct", "status=none");
                Assert.True(host.Elapsed.TotalSeconds < 48.0 / 16 * 0.5, $"{host.Elapsed.TotalSeconds:0.00} s outside the device");
                // the limit can be lifted and set again
                d.SetCardReadLimit(0);
                Assert.DoesNotContain((16 * MiB).ToString(), File.ReadAllText(Path.Combine(cgroup, "blkio.throttle.read_bps_device")));
            }
            Assert.False(Directory.Exists(cgroup), cgroup + " left behind");
        }

        [FleetFact]
        public void A_backup_of_a_throttled_card_verifies_and_restores_the_used_data()
        {
            using var fleet = SimulatedFleet.Start(1, 256 * MiB, cardReadBytesPerSecond: 40 * MiB);
            var d = fleet.Devices[0];
            d.ExecOk("head -c 24M /dev/urandom > /home/pi/data/capture.bin && sync");
            var before = CardImage.HashTree(d.HostPath("/home/pi/data"));
            var root = Path.Combine(fleet.TempDir, "throttled");
            var dest = Path.Combine(root, "dest");
            using var ps = new PowerShellSession();
            d.FlushCardCache();
            var r = ps.Run("Get-EdgeDevice -Inventory $args[0] | Backup-SdCard -Destination $args[1]", fleet.InventoryPath, dest);
            Assert.True(r.Errors.Count == 0, string.Join("\n", r.Errors));
            var o = Assert.Single(r.Output);
            Assert.Equal("True", o.P("Verified"));
            long used = long.Parse(o.P("UsedBytes"));
            // it read the used blocks at the card's speed, not more
            Assert.True(double.Parse(o.P("Seconds"), System.Globalization.CultureInfo.InvariantCulture) >= used / (40.0 * MiB) * 0.8, $"{o.P("Seconds")} s for {used} bytes");
            StoredImage.AssertMatchesItsMap(o.P("Path"), o.P("MapSha256"));
            var t = Assert.Single(ps.Run("Test-SdCardBackup -Path $args[0]", o.P("Path")).Output);
            Assert.True(t.P("Passed") == "True", t.P("FailedChecks"));
            Assert.Contains("image identity (block map)", t.P("PassedChecks"));

            using var target = new CardImage(256 * MiB, "label: dos\ntype=83\n", "restore.img");
            Run.Cmd("wipefs", "-a", target.Loop!);
            var rr = ps.Run("Restore-SdCard -Path $args[0] -DevicePath $args[1] -Confirm:$false", o.P("Path"), target.Loop!);
            Assert.True(rr.Errors.Count == 0, string.Join("\n", rr.Errors));
            Run.Try("partx", "-d", target.Loop!); Run.Try("partx", "-a", target.Loop!);
            Thread.Sleep(300);
            var fsck = Run.Try("e2fsck", "-fn", target.Loop + "p2");
            Assert.True(fsck.code == 0, fsck.output);
            var m = target.Mount(2);
            Assert.Equal(before, CardImage.HashTree(Path.Combine(m, "home", "pi", "data")));
        }
    }
}
