using System.Management.Automation;
using EdgeOps.Tests.Infrastructure;
using Xunit;

namespace EdgeOps.Tests.Fleet;

/// <summary>Get-EdgeDevice | Test-EdgeDevice against the simulated fleet: one object or one error per device.</summary>
public class TestEdgeDeviceTests : IClassFixture<FleetFixture>
{
    readonly FleetFixture _f;
    public TestEdgeDeviceTests(FleetFixture f) { _f = f; }

    static string P(PSObject o, string name) => o.Properties[name]?.Value?.ToString() ?? "";

    [FleetFact]
    public void Every_device_answers_with_one_status_object()
    {
        var fleet = _f.Fleet;
        using var ps = new PowerShellSession();
        var r = ps.Run("Get-EdgeDevice -Inventory $args[0] | Test-EdgeDevice", fleet.InventoryPath);
        Assert.Empty(r.Errors);
        Assert.Equal(fleet.Devices.Select(d => d.Name).OrderBy(n => n), r.Output.Select(o => P(o, "ComputerName")).OrderBy(n => n));
        foreach (var o in r.Output)
        {
            var d = fleet.Devices.Single(x => x.Name == P(o, "ComputerName"));
            Assert.Equal("True", P(o, "Reachable"));
            Assert.Equal("True", P(o, "Authenticated"));
            Assert.Equal("pi", P(o, "User"));
            Assert.Equal("Trusted", P(o, "HostKey"));
            Assert.Equal(d.Address, P(o, "HostName"));
            // NOPASSWD devices: Ok; the password device without -SudoCredential: Failed, saying what to give
            if (d.SudoMode == "nopasswd") Assert.True(P(o, "Sudo") == "Ok", d.Name + ": " + P(o, "Message"));
            else { Assert.Equal("Failed", P(o, "Sudo")); Assert.Contains("-SudoCredential", P(o, "Message")); }
        }
    }

    [FleetFact]
    public void A_dead_device_gives_exactly_one_error_naming_it_and_the_others_still_answer()
    {
        var fleet = _f.Fleet;
        var dead = fleet.Devices[2];
        dead.StopSshd();
        try
        {
            using var ps = new PowerShellSession();
            var r = ps.Run("Get-EdgeDevice -Inventory $args[0] | Test-EdgeDevice -ConnectTimeout 5", fleet.InventoryPath);
            var err = Assert.Single(r.Errors);
            Assert.Equal(dead.Name, (err.TargetObject as EdgeDevice)?.ComputerName ?? err.TargetObject?.ToString());
            Assert.Contains(dead.Name, err.ToString());
            Assert.StartsWith("SshUnreachable", err.FullyQualifiedErrorId);
            Assert.Equal(fleet.Devices.Where(d => d != dead).Select(d => d.Name).OrderBy(n => n),
                         r.Output.Select(o => P(o, "ComputerName")).OrderBy(n => n));
        }
        finally { dead.StartSshd(); }
    }

    [FleetFact]
    public void Password_sudo_is_Ok_with_the_right_SudoCredential_and_Failed_with_a_wrong_one()
    {
        var fleet = _f.Fleet;
        var d = fleet.Devices.First(x => x.SudoMode == "password");
        using var ps = new PowerShellSession();
        ps.Set("good", new PSCredential("pi", Secure(fleet.SudoPassword)));
        ps.Set("bad", new PSCredential("pi", Secure("not the password")));
        var ok = ps.Run("Get-EdgeDevice -Inventory $args[0] -Name $args[1] | Test-EdgeDevice -SudoCredential $good", fleet.InventoryPath, d.Name);
        Assert.Empty(ok.Errors);
        Assert.Equal("Ok", P(Assert.Single(ok.Output), "Sudo"));
        var bad = ps.Run("Get-EdgeDevice -Inventory $args[0] -Name $args[1] | Test-EdgeDevice -SudoCredential $bad", fleet.InventoryPath, d.Name);
        var o = Assert.Single(bad.Output);
        Assert.Equal("Failed", P(o, "Sudo"));
        Assert.Contains("password", P(o, "Message"), StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("not the password", bad.AllText + P(o, "Message"));
    }

    internal static System.Security.SecureString Secure(string s)
    {
        var ss = new System.Security.SecureString();
        foreach (var c in s) ss.AppendChar(c);
        ss.MakeReadOnly();
        return ss;
    }
}
