using EdgeOps.Fleet;
using EdgeOps.Swap;
using EdgeOps.Tests.Fleet;
using EdgeOps.Tests.Infrastructure;
using EdgeOps.Tests.Swap;
using EdgeOps.Transport;
using Xunit;

namespace EdgeOps.Tests.Security;

/// <summary>
/// Swap files only where no user can reach them (issue 17, finding 3), on a simulated device's real filesystem,
/// real sudo, mkswap and swapon: a path under a user's folder, a user's own file at the path, and a link planted
/// after the probe are all refused as root, and nothing is changed.
/// </summary>
[Collection(FleetCollection.Name)]
public sealed class SwapPathTests : IDisposable
{
    readonly FleetFixture _f;
    public SwapPathTests(FleetFixture f) { _f = f; }
    SimulatedDevice D => _f.Fleet.Devices[0];

    public void Dispose()
    {
        foreach (var p in new[] { "/home/pi/swapfile", "/swap-owned-by-pi", "/swap-link", "/home/pi/precious" })
            D.Exec($"swapoff -- {p} 2>/dev/null; rm -f -- {p}");
    }

    PSRun NewSwap(string path)
    {
        using var ps = new PowerShellSession();
        var inv = _f.Fleet.WriteInventory(_f.Fleet.TempFile("inv.yaml"), new[] { D });
        return ps.Run("Get-EdgeDevice -Inventory $args[0] | New-SwapFile -Path $args[1] -Size 32MB", inv, path);
    }

    string Fstab => File.ReadAllText(D.HostPath("/etc/fstab"));

    [FleetFact]
    public void A_swap_path_under_a_user_owned_folder_is_refused()
    {
        var fstab = Fstab;
        var r = NewSwap("/home/pi/swapfile");
        var e = Assert.Single(r.Errors);
        Assert.Equal("SwapPathUnsafe", e.Id());
        Assert.Equal(D.Name, e.Target());
        Assert.Contains("/home/pi", e.ToString());
        Assert.Contains("uid 1000", e.ToString());
        Assert.Empty(r.Output);
        Assert.False(File.Exists(D.HostPath("/home/pi/swapfile")));
        Assert.Equal(fstab, Fstab);
        Assert.DoesNotContain("/home/pi/swapfile", D.ExecOk("cat /proc/swaps"));
    }

    [FleetFact]
    public void A_users_file_at_the_swap_path_is_never_chowned_into_swap()
    {
        // a swap area already, made by someone, and handed to pi (who may hold it open)
        D.ExecOk("head -c 33554432 /dev/zero > /swap-owned-by-pi && mkswap /swap-owned-by-pi >/dev/null && chown pi:pi /swap-owned-by-pi && chmod 600 /swap-owned-by-pi");
        var fstab = Fstab;
        var r = NewSwap("/swap-owned-by-pi");
        Assert.Equal("SwapPathUnsafe", Assert.Single(r.Errors).Id());
        Assert.Contains("uid 1000", r.Errors[0].ToString());
        Assert.Equal("pi 600", D.ExecOk("stat -c '%U %a' /swap-owned-by-pi").Trim());
        Assert.Equal(fstab, Fstab);
    }

    [FleetFact]
    public void A_link_planted_at_the_swap_path_after_the_probe_is_not_followed_at_apply()
    {
        // the probe saw no file; by the time root applies, a link to a user's file is there
        D.ExecOk("echo 'my own notes' > /home/pi/precious && chown pi:pi /home/pi/precious && ln -s /home/pi/precious /swap-link");
        var device = Inventory.Load(_f.Fleet.WriteInventory(_f.Fleet.TempFile("inv.yaml"), new[] { D })).Single().Device;
        using var ctx = new TestDeviceContext(device, TransportFactory.Open(device, new ConnectionOptions { KnownHostsPath = _f.Fleet.KnownHostsPath }, CancellationToken.None));
        var plan = new SwapPlan { Device = D.Name, Path = "/swap-link", SizeBytes = 32L << 20, Allocate = true, SwapOn = true, UseFallocate = true, Action = "Created" };
        var e = Assert.IsAssignableFrom<EdgeOpsException>(Record.Exception(() => DeviceScripts.Apply(ctx, plan)));
        Assert.Equal("SwapPathUnsafe", e.ErrorId);
        Assert.Contains("symbolic link", e.Message);
        Assert.Equal("pi 644 my own notes", D.ExecOk("printf '%s ' $(stat -c '%U %a' /home/pi/precious); cat /home/pi/precious").Trim());
        Assert.DoesNotContain("precious", D.ExecOk("cat /proc/swaps"));
    }
}
