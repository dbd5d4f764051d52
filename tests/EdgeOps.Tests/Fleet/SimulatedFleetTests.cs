using Xunit;

namespace EdgeOps.Tests.Fleet;

/// <summary>The fixture itself: each device is what the other tests assume it is.</summary>
[Collection(FleetCollection.Name)]
public class SimulatedFleetTests
{
    readonly FleetFixture _f;
    public SimulatedFleetTests(FleetFixture f) { _f = f; }

    [FleetFact]
    public void Devices_are_separate_boards_on_their_own_cards()
    {
        var fleet = _f.Fleet;
        Assert.Equal(3, fleet.Devices.Count);
        Assert.Equal(new[] { "raspberrypi4", "raspberrypi5", "jetson-nano" }, fleet.Devices.Select(d => d.Kind));
        Assert.Equal(3, fleet.Devices.Select(d => d.Address).Distinct().Count());
        foreach (var d in fleet.Devices)
        {
            Assert.True(d.PortOpen(), $"{d} does not answer");
            Assert.Equal(d.RootLoopDevice, d.ExecOk("findmnt -n -o SOURCE /").Trim());
            Assert.Equal(d.Name, d.ExecOk("hostname").Trim());
            Assert.Equal(d.Model, d.ExecOk("tr -d '\\0' < /sys/firmware/devicetree/base/model"));
            Assert.Contains($"MemTotal:       {d.MemTotalBytes / 1024,10} kB", d.ExecOk("cat /proc/meminfo"));
            Assert.Contains(d.OsPrettyName, d.ExecOk(". /etc/os-release; echo \"$PRETTY_NAME\""));
            Assert.Equal(d.Kind == "jetson-nano", d.Exec("test -f /etc/nv_tegra_release").exit == 0);
            // the device's files are the card's: written inside, seen at HostPath on the host
            d.ExecOk("echo marker-" + d.Name + " > /home/pi/marker.txt");
            Assert.Equal("marker-" + d.Name + "\n", File.ReadAllText(d.HostPath("/home/pi/marker.txt")));
            Assert.Contains("arm_64bit=1", d.ExecOk("cat /boot/firmware/config.txt"));
            // tools the areas rely on
            Assert.StartsWith("Python 3", d.ExecOk("su pi -c 'python3 -V'"));
            Assert.Equal("0", d.ExecOk("su pi -c 'command -v sudo >/dev/null && echo ok' >/dev/null; which swapon mkswap fallocate >/dev/null && id -u").Trim());
            // only the device's own processes are visible
            Assert.DoesNotContain("dotnet", d.ExecOk("ps -eo comm"));
        }
        // the whole-card loop device holds an MBR with the two partitions
        var mbr = new byte[512];
        using (var s = File.OpenRead(fleet.Devices[0].LoopDevice)) s.ReadExactly(mbr);
        Assert.Equal(0x55, mbr[510]); Assert.Equal(0xAA, mbr[511]);
        Assert.Equal(0x0c, mbr[446 + 4]); Assert.Equal(0x83, mbr[446 + 16 + 4]);
    }

    [FleetFact]
    public void Sudo_is_passwordless_or_needs_the_password_as_configured()
    {
        var fleet = _f.Fleet;
        foreach (var d in fleet.Devices)
        {
            var r = d.Exec("su pi -c 'sudo -n id -u'");
            if (d.SudoMode == "nopasswd") Assert.Equal("0", r.stdout.Trim());
            else Assert.NotEqual(0, r.exit);
        }
        var pw = fleet.Devices[1].Exec("su pi -c 'sudo -S -p \"\" id -u'", TimeSpan.FromSeconds(30), fleet.SudoPassword + "\n");
        Assert.Equal("0", pw.stdout.Trim());
    }

    [FleetFact]
    public void StopSshd_and_StartSshd_take_the_device_off_and_back_on_the_network()
    {
        var d = _f.Fleet.Devices[2];
        d.StopSshd();
        Assert.False(d.PortOpen());
        d.StartSshd();
        Assert.True(d.PortOpen());
    }

    [FleetFact]
    public void PowerOff_and_PowerOn_reboot_the_device_with_its_card_intact()
    {
        var d = _f.Fleet.Devices[1];
        d.ExecOk("echo survives > /home/pi/reboot.txt; sleep 1000 >/dev/null 2>&1 &");
        var before = d.Pid;
        d.PowerOff();
        Assert.False(d.PortOpen());
        Assert.Equal("survives\n", File.ReadAllText(d.HostPath("/home/pi/reboot.txt")));   // the card stays mounted on the host
        d.PowerOn();
        Assert.NotEqual(before, d.Pid);
        Assert.True(d.PortOpen());
        Assert.NotEqual(0, d.Exec("pgrep -x sleep").exit);                                 // nothing survived the power cycle
        Assert.Equal("survives\n", d.ExecOk("cat /home/pi/reboot.txt"));
        Assert.Equal(d.RootLoopDevice, d.ExecOk("findmnt -n -o SOURCE /").Trim());
    }

    [Theory]
    [InlineData(true, false, false)]
    [InlineData(true, true, false)]
    [InlineData(false, true, false)]   // CI without root: the fleet tests run, and fail, rather than skip
    [InlineData(false, false, true)]
    public void FleetFact_skips_only_without_root_outside_CI(bool root, bool ci, bool skipped)
    {
        var reason = FleetRequirements.SkipReasonFor(root, ci);
        Assert.Equal(skipped, reason != null);
        if (skipped) Assert.Contains("root", reason);
    }

    [FleetFact]
    public void Start_cleans_up_what_a_crashed_run_left_behind()
    {
        // a device of a "crashed" fleet: its owner process is gone, its sshd, mounts and loop devices are not
        string? owner = null;
        for (int x = 239; x > 40 && owner == null; x--)
        {
            var path = Path.Combine(SimulatedFleet.BaseDir, $"f{x}.owner");
            try { using var fs = new FileStream(path, FileMode.CreateNew); fs.Write("999999999 gone\n"u8); owner = path; }
            catch (IOException) { }
        }
        Assert.NotNull(owner);
        var dir = owner![..^".owner".Length];
        var dev = Path.Combine(dir, "d00");
        var x2 = Path.GetFileName(dir)[1..];
        Directory.CreateDirectory(dir);
        var keys = Path.Combine(dir, "ak");
        File.WriteAllText(keys, "");
        var env = new Dictionary<string, string>
        {
            ["DEV_NAME"] = "crashed", ["DEV_ADDR"] = $"127.0.{x2}.1", ["DEV_PORT"] = "22", ["DEV_KIND"] = "raspberrypi4",
            ["DEV_SUDO"] = "nopasswd", ["DEV_SIZE"] = (256L << 20).ToString(), ["DEV_PWHASH"] = "!", ["DEV_AUTHKEYS"] = keys,
        };
        HostProcess.Run("/bin/bash", new[] { SimulatedFleet.DeviceScript, "create", dev }, env: env).EnsureOk("create");
        var keeper = int.Parse(HostProcess.Run("/bin/bash", new[] { SimulatedFleet.DeviceScript, "start", dev }).EnsureOk("start").stdout.Trim());
        var loops = new[] { "loop", "bootloop", "rootloop" }.Select(f => File.ReadAllText(Path.Combine(dev, "host", f)).Trim()).ToList();
        Assert.Contains(dev, File.ReadAllText("/proc/self/mountinfo"));

        SimulatedFleet.CleanupStale();

        Assert.False(Directory.Exists(dir));
        Assert.False(File.Exists(owner));
        Assert.False(Directory.Exists($"/proc/{keeper}"), "the crashed device still runs");
        Assert.DoesNotContain(dir, File.ReadAllText("/proc/self/mountinfo"));
        foreach (var l in loops)
        {
            var backing = $"/sys/block/{Path.GetFileName(l)}/loop/backing_file";
            Assert.False(File.Exists(backing) && File.ReadAllText(backing).StartsWith(dir, StringComparison.Ordinal), $"{l} still attached");
        }
    }

    [FleetFact]
    public void Meminfo_swap_lines_follow_swap_enabled_inside_the_device_only()
    {
        var fleet = _f.Fleet;
        var (d, other) = (fleet.Devices[0], fleet.Devices[2]);
        long SwapKb(SimulatedDevice x) => long.Parse(x.ExecOk("awk '/^SwapTotal:/{print $2}' /proc/meminfo").Trim());
        Assert.Equal(0, SwapKb(d));
        d.ExecOk("fallocate -l 32M /swaptest && chmod 600 /swaptest && mkswap /swaptest >/dev/null && swapon /swaptest");
        try
        {
            FleetTestKit.Eventually(() => SwapKb(d) > 30000, TimeSpan.FromSeconds(3), "SwapTotal did not follow swapon");
            Assert.InRange(SwapKb(d), 30000, 32768);
            Thread.Sleep(300);
            Assert.Equal(0, SwapKb(other));           // another device does not count it
        }
        finally { d.ExecOk("swapoff /swaptest; rm -f /swaptest"); }
        FleetTestKit.Eventually(() => SwapKb(d) == 0, TimeSpan.FromSeconds(3), "SwapTotal did not follow swapoff");
    }
}
