using EdgeOps.Tests.Fleet;
using EdgeOps.Tests.Infrastructure;
using EdgeOps.Transport;
using Xunit;

namespace EdgeOps.Tests.Security;

/// <summary>
/// Passphrase and password kept apart (issue 17, finding 7) and legacy SSH algorithms off unless the inventory asks
/// (finding 11), against the simulated fleet's real sshd and its log.
/// </summary>
[Collection(FleetCollection.Name)]
public class TransportHardeningTests
{
    readonly FleetFixture _f;
    public TransportHardeningTests(FleetFixture f) { _f = f; }

    [FleetFact]
    public void A_key_passphrase_is_never_sent_as_a_password()
    {
        var fleet = _f.Fleet;
        var d = fleet.Devices[1];
        // a key the device does not know, whose passphrase happens to be pi's login password
        var key = Path.Combine(fleet.TempDir, $"id_unknown_{Guid.NewGuid():N}");
        HostProcess.Run("ssh-keygen", new[] { "-q", "-t", "ed25519", "-N", fleet.PiPassword, "-f", key }).EnsureOk("ssh-keygen");
        var inv = fleet.WriteInventory(fleet.TempFile("inv.yaml"), new[] { d }, identityFile: key);
        var logBefore = d.ExecOk("wc -l < /var/log/sshd.log").Trim();
        using var ps = new PowerShellSession();
        ps.Set("pass", FleetTestKit.Secure(fleet.PiPassword));
        TransportFactory.CloseAll();
        var r = ps.Run("Get-EdgeDevice -Inventory $args[0] | Invoke-EdgeCommand -Command 'id -un' -KeyPassphrase $pass", inv);
        Assert.Empty(r.Output);
        Assert.Equal("SshAuthenticationFailed", Assert.Single(r.Errors).Id());
        Assert.DoesNotContain(fleet.PiPassword, r.AllText);
        var log = d.ExecOk($"tail -n +{int.Parse(logBefore) + 1} /var/log/sshd.log");
        Assert.DoesNotContain("password for", log);            // no password was tried at all
    }

    [FleetFact]
    public void Legacy_algorithms_are_off_unless_the_inventory_names_them()
    {
        var d = _f.Fleet.Devices[0];
        // an old device: SHA-1 key exchange and CBC ciphers only
        using var old = new ExtraSshd(d, 2310, new[] { "ed25519" }, "KexAlgorithms diffie-hellman-group14-sha1\\nCiphers aes128-cbc");
        var kh = _f.Fleet.TempFile("known_hosts");
        File.WriteAllText(kh, old.KnownHostsLine("ed25519") + "\n");
        string Inv(params (string, string)[] extra) => _f.Fleet.WriteInventory(_f.Fleet.TempFile("inv.yaml"), new[] { d }, knownHostsFile: kh,
            extra: _ => new[] { ("port", old.Port.ToString()) }.Concat(extra));
        using var ps = new PowerShellSession();
        const string Test = "Get-EdgeDevice -Inventory $args[0] | Test-EdgeDevice -ConnectTimeout 10";

        var refused = ps.Run(Test, Inv());
        Assert.Empty(refused.Output);
        Assert.Equal("SshConnectionFailed", Assert.Single(refused.Errors).Id());
        var log = d.ExecOk($"cat /var/log/sshd-extra{old.Port}.log");
        Assert.Contains("no matching", log);                     // sshd saw nothing it could agree to

        TransportFactory.CloseAll();
        var asked = ps.Run(Test, Inv(("kexAlgorithms", "+diffie-hellman-group14-sha1"), ("ciphers", "+aes128-cbc")));
        Assert.True(asked.Errors.Count == 0, string.Join("\n", asked.Errors));
        Assert.Equal("True", Assert.Single(asked.Output).P("Authenticated"));

        // the defaults offer none of them
        Assert.DoesNotContain(AlgorithmPreference.Kex.Defaults, n => n.EndsWith("-sha1"));
        Assert.DoesNotContain(AlgorithmPreference.Ciphers.Defaults, n => n.EndsWith("-cbc") || n.StartsWith("3des"));
        Assert.Contains("diffie-hellman-group14-sha1", AlgorithmPreference.Kex.All);
    }
}
