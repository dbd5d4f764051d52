using System.Management.Automation;
using EdgeOps.Tests.Infrastructure;
using Xunit;

namespace EdgeOps.Tests.Fleet;

/// <summary>known_hosts checking (unknown, accepted, changed, hashed) and every way to log in, against real sshd.</summary>
[Collection(FleetCollection.Name)]
public class HostKeyAndAuthTests
{
    readonly FleetFixture _f;
    public HostKeyAndAuthTests(FleetFixture f) { _f = f; }

    const string TestAll = "Get-EdgeDevice -Inventory $args[0] | Test-EdgeDevice -ConnectTimeout 10";

    [FleetFact]
    public void Unknown_host_is_refused_without_AcceptNewHostKey_and_recorded_with_it()
    {
        var fleet = _f.Fleet;
        var kh = fleet.NewKnownHostsPath();
        var inv = fleet.WriteInventory(fleet.TempFile("inv.yaml"), knownHostsFile: kh);
        using var ps = new PowerShellSession();

        var refused = ps.Run(TestAll, inv);
        Assert.Empty(refused.Output);
        Assert.Equal(fleet.Devices.Count, refused.Errors.Count);
        Assert.All(refused.Errors, e => Assert.Equal("SshHostKeyUnknown", e.Id()));
        Assert.Equal(fleet.Devices.Select(d => d.Name).OrderBy(n => n), refused.Errors.Select(e => e.Target()).OrderBy(n => n));
        Assert.All(refused.Errors, e => Assert.Contains("-AcceptNewHostKey", e.ToString()));
        Assert.False(File.Exists(kh), "nothing may be recorded without -AcceptNewHostKey");

        var accepted = ps.Run(TestAll + " -AcceptNewHostKey", inv);
        Assert.Empty(accepted.Errors);
        Assert.All(accepted.Output, o => Assert.Equal("Accepted", o.P("HostKey")));
        var lines = File.ReadAllLines(kh).Where(l => l.Trim().Length > 0).ToList();
        Assert.Equal(fleet.Devices.Count, lines.Count);
        Assert.All(lines, l => Assert.StartsWith("|1|", l));      // recorded hashed, as HashKnownHosts does
        foreach (var o in accepted.Output)
        {
            var d = fleet.Devices.Single(x => x.Name == o.P("ComputerName"));
            Assert.Contains(o.P("HostKeyFingerprint"), d.HostKeyFingerprints().Values);
        }

        // recorded means known: the next cmdlet (pooled connections) and new connections trust them without the switch
        var pooled = ps.Run(TestAll, inv);
        Assert.Empty(pooled.Errors);
        Assert.All(pooled.Output, o => Assert.Equal("Trusted", o.P("HostKey")));
        EdgeOps.Transport.TransportFactory.CloseAll();
        var again = ps.Run(TestAll, inv);
        Assert.Empty(again.Errors);
        Assert.All(again.Output, o => Assert.Equal("Trusted", o.P("HostKey")));
        // and OpenSSH agrees with what was written
        foreach (var d in fleet.Devices)
            Assert.Equal(0, HostProcess.Run("ssh-keygen", new[] { "-F", d.KnownHostsName, "-f", kh }).exit);
    }

    [FleetFact]
    public void Hashed_known_hosts_entries_are_honoured()
    {
        var fleet = _f.Fleet;
        var kh = fleet.WriteKnownHosts(fleet.TempFile("known_hosts"));
        HostProcess.Run("ssh-keygen", new[] { "-H", "-f", kh }).EnsureOk("ssh-keygen -H");
        var text = File.ReadAllText(kh);
        Assert.DoesNotContain(fleet.Devices[0].Address, text);
        Assert.Contains("|1|", text);
        var inv = fleet.WriteInventory(fleet.TempFile("inv.yaml"), knownHostsFile: kh);
        using var ps = new PowerShellSession();
        var r = ps.Run(TestAll, inv);
        Assert.Empty(r.Errors);
        Assert.All(r.Output, o => Assert.Equal("Trusted", o.P("HostKey")));
    }

    [FleetFact]
    public void A_changed_key_in_known_hosts_is_refused_even_with_AcceptNewHostKey()
    {
        var fleet = _f.Fleet;
        var (victim, other) = (fleet.Devices[0], fleet.Devices[2]);
        // known_hosts says the victim's address has the other device's keys
        var kh = fleet.TempFile("known_hosts");
        File.WriteAllLines(kh, other.HostKeyLines().Select(l => victim.KnownHostsName + l[l.IndexOf(' ')..]));
        var inv = fleet.WriteInventory(fleet.TempFile("inv.yaml"), new[] { victim }, knownHostsFile: kh);
        var before = File.ReadAllText(kh);
        using var ps = new PowerShellSession();
        foreach (var extra in new[] { "", " -AcceptNewHostKey" })
        {
            var r = ps.Run(TestAll + extra, inv);
            Assert.Empty(r.Output);
            var e = Assert.Single(r.Errors);
            Assert.Equal("SshHostKeyChanged", e.Id());
            Assert.Equal(victim.Name, e.Target());
            var msg = e.ToString();
            Assert.Contains("HOST KEY CHANGED", msg);
            Assert.Contains(victim.HostKeyFingerprints().Values, fp => msg.Contains(fp));   // the key now offered
            Assert.Contains(other.HostKeyFingerprints().Values, fp => msg.Contains(fp));    // the key on record
            Assert.Equal(before, File.ReadAllText(kh));                                      // nothing overwritten
        }
    }

    [FleetFact]
    public void A_reinstalled_device_with_new_host_keys_is_refused()
    {
        var fleet = _f.Fleet;
        var d = fleet.Devices[2];
        using var ps = new PowerShellSession();
        var inv = fleet.WriteInventory(fleet.TempFile("inv.yaml"), new[] { d });
        Assert.Empty(ps.Run(TestAll, inv).Errors);   // known and pooled before the "re-install"
        var oldFps = d.HostKeyFingerprints();
        d.ExecOk("rm -rf /root/hostkeys.bak && mkdir /root/hostkeys.bak && cp -a /etc/ssh/ssh_host_* /root/hostkeys.bak/");
        try
        {
            d.RegenerateHostKeys();
            d.StopSshd(); d.StartSshd();
            var newFps = d.HostKeyFingerprints();
            Assert.NotEqual(oldFps["ssh-ed25519"], newFps["ssh-ed25519"]);
            var r = ps.Run(TestAll + " -AcceptNewHostKey", inv);
            Assert.Empty(r.Output);
            var e = Assert.Single(r.Errors);
            Assert.Equal("SshHostKeyChanged", e.Id());
            Assert.Contains(newFps.Values, fp => e.ToString().Contains(fp));
            Assert.Contains("ssh-keygen -R", e.ToString());
        }
        finally
        {
            d.ExecOk("cp -a /root/hostkeys.bak/. /etc/ssh/ && rm -rf /root/hostkeys.bak");
            d.StopSshd(); d.StartSshd();
        }
        Assert.Empty(ps.Run(TestAll, inv).Errors);
    }

    [FleetTheory]
    [InlineData("ed25519")]
    [InlineData("ecdsa")]
    [InlineData("rsa")]
    public void Each_key_type_logs_in(string kind)
    {
        var fleet = _f.Fleet;
        var d = fleet.Devices[0];
        var inv = fleet.WriteInventory(fleet.TempFile("inv.yaml"), new[] { d }, identityFile: fleet.KeyPath(kind));
        using var ps = new PowerShellSession();
        var r = ps.Run("Get-EdgeDevice -Inventory $args[0] | Invoke-EdgeCommand -Command 'echo $SSH_CONNECTION'", inv);
        Assert.Empty(r.Errors);
        var port = Assert.Single(r.Output).P("Stdout").Split(' ')[1];    // the client port of this very connection
        var fp = HostProcess.Run("ssh-keygen", new[] { "-lf", fleet.KeyPath(kind) + ".pub" }).EnsureOk("ssh-keygen -l").stdout.Split(' ')[1];
        var log = d.ExecOk("cat /var/log/sshd.log");
        Assert.Contains(log.Split('\n'), l => l.Contains("Accepted publickey for pi") && l.Contains($"port {port} ") && l.Contains(fp));
    }

    [FleetFact]
    public void A_passphrase_key_needs_the_passphrase_in_KeyPassphrase()
    {
        var fleet = _f.Fleet;
        var inv = fleet.WriteInventory(fleet.TempFile("inv.yaml"), new[] { fleet.Devices[0] }, identityFile: fleet.KeyPath("ed25519-passphrase"));
        using var ps = new PowerShellSession();
        ps.Set("good", FleetTestKit.Secure(fleet.KeyPassphrase));
        ps.Set("bad", FleetTestKit.Secure("wrong passphrase"));
        ps.Set("asPassword", FleetTestKit.Credential("pi", fleet.KeyPassphrase));

        var none = ps.Run("Get-EdgeDevice -Inventory $args[0] | Test-EdgeDevice", inv);
        Assert.Equal("SshKeyPassphraseRequired", Assert.Single(none.Errors).Id());
        Assert.Contains("-KeyPassphrase", none.Errors[0].ToString());

        // -Credential's password is a login password, never a key passphrase
        var asPassword = ps.Run("Get-EdgeDevice -Inventory $args[0] | Test-EdgeDevice -Credential $asPassword", inv);
        Assert.Equal("SshKeyPassphraseRequired", Assert.Single(asPassword.Errors).Id());

        var bad = ps.Run("Get-EdgeDevice -Inventory $args[0] | Test-EdgeDevice -KeyPassphrase $bad", inv);
        var e = Assert.Single(bad.Errors);
        Assert.Equal("SshKeyPassphraseIncorrect", e.Id());
        Assert.Contains(fleet.Devices[0].Name, e.ToString());
        Assert.DoesNotContain("wrong passphrase", bad.AllText);

        var good = ps.Run("Get-EdgeDevice -Inventory $args[0] | Test-EdgeDevice -KeyPassphrase $good", inv);
        Assert.Empty(good.Errors);
        Assert.Equal("True", Assert.Single(good.Output).P("Authenticated"));
    }

    [FleetFact]
    public void Password_login_with_Credential_and_a_clear_error_for_a_wrong_password()
    {
        var fleet = _f.Fleet;
        var d = fleet.Devices[1];
        var inv = fleet.WriteInventory(fleet.TempFile("inv.yaml"), new[] { d }, identityFile: "");
        using var ps = new PowerShellSession();
        ps.Set("good", FleetTestKit.Credential("pi", fleet.PiPassword));
        ps.Set("bad", FleetTestKit.Credential("pi", "wrong password"));

        var bad = ps.Run("Get-EdgeDevice -Inventory $args[0] | Test-EdgeDevice -Credential $bad -Verbose", inv);
        var e = Assert.Single(bad.Errors);
        Assert.Equal("SshAuthenticationFailed", e.Id());
        Assert.Equal(d.Name, e.Target());
        Assert.Contains("'pi'", e.ToString());
        Assert.DoesNotContain("wrong password", bad.AllText);

        var good = ps.Run("Get-EdgeDevice -Inventory $args[0] | Invoke-EdgeCommand -Credential $good -Command 'echo $SSH_CONNECTION' -Verbose", inv);
        Assert.Empty(good.Errors);
        var port = Assert.Single(good.Output).P("Stdout").Split(' ')[1];
        Assert.Contains(d.ExecOk("cat /var/log/sshd.log").Split('\n'), l => l.Contains("Accepted password for pi") && l.Contains($"port {port} "));
        Assert.DoesNotContain(fleet.PiPassword, good.AllText);
    }

    [FleetFact]
    public void ProxyJump_reaches_a_device_that_only_the_jump_device_can_reach()
    {
        var fleet = _f.Fleet;
        var (jump, target) = (fleet.Devices[0], fleet.Devices[1]);
        var direct = fleet.WriteInventory(fleet.TempFile("inv.yaml"), new[] { target });
        var viaJump = fleet.WriteInventory(fleet.TempFile("inv.yaml"), new[] { target },
            extra: _ => new[] { ("proxyJump", $"pi@{jump.Address}:{jump.Port}") });
        using var ps = new PowerShellSession();
        EdgeOps.Transport.TransportFactory.CloseAll();
        using (target.OnlyReachableThroughOtherDevices())
        {
            // this host cannot reach the target itself...
            var refused = ps.Run("Get-EdgeDevice -Inventory $args[0] | Test-EdgeDevice -ConnectTimeout 5", direct);
            Assert.Equal("SshUnreachable", Assert.Single(refused.Errors).Id());
            // ...but through the jump device it can
            var r = ps.Run("Get-EdgeDevice -Inventory $args[0] | Invoke-EdgeCommand -Command 'hostname; echo $SSH_CONNECTION'", viaJump);
            Assert.Empty(r.Errors);
            var lines = Assert.Single(r.Output).P("Stdout").Split('\n');
            Assert.Equal(target.Name, lines[0]);
            // while the (pooled) connection is open, the jump device's sshd holds the TCP connection to the target
            var ss = jump.ExecOk($"ss -Htnp state established '( dst {target.Address} and dport = :{target.Port} )'");
            Assert.Contains("sshd", ss);
            Assert.Contains($":{lines[1].Split(' ')[1]} ", ss);
        }
        EdgeOps.Transport.TransportFactory.CloseAll();
    }

    [FleetFact]
    public void A_device_with_a_named_jump_connects_from_a_new_runspace_and_a_new_process_that_never_read_the_inventory()
    {
        var fleet = _f.Fleet;
        var (jump, target) = (fleet.Devices[0], fleet.Devices[1]);
        // the jump device under a name no other test uses, so no device list of this process could know it
        var bastion = "bastion-" + Guid.NewGuid().ToString("N")[..8];
        var inv = fleet.WriteInventory(fleet.TempFile("inv.yaml"), new[] { target },
            extra: _ => new[] { ("proxyJump", bastion) });
        File.AppendAllText(inv, $"  - name: '{bastion}'\n    host: '{jump.Address}'\n    kind: generic\n");
        var saved = fleet.TempFile("devices.xml");
        EdgeOps.Transport.TransportFactory.CloseAll();
        try
        {
            using (target.OnlyReachableThroughOtherDevices())
            {
                PSObject device;
                using (var reader = new PowerShellSession())
                {
                    // only the target is read: the jump device is never returned, only carried on the target
                    var r = reader.Run("Get-EdgeDevice -Inventory $args[0] -Name $args[1]", inv, target.Name);
                    Assert.Empty(r.Errors);
                    device = Assert.Single(r.Output);
                    reader.Run("$args[0] | Export-Clixml -Path $args[1]", device, saved);
                }
                using (var fresh = new PowerShellSession())
                {
                    var r = fresh.Run("$args[0] | Invoke-EdgeCommand -Command hostname", device);
                    Assert.Empty(r.Errors);
                    Assert.Equal(target.Name, Assert.Single(r.Output).P("Stdout").Trim());
                }
                EdgeOps.Transport.TransportFactory.CloseAll();
                // another process, from the saved (deserialized) device: no object of this process, no inventory
                var (exit, stdout, stderr) = HostProcess.Run(Repo.Edgeops, new[] { "-Command",
                    $"Import-Clixml -Path '{saved}' | Invoke-EdgeCommand -Command hostname | ForEach-Object Stdout" },
                    timeout: TimeSpan.FromMinutes(3));
                Assert.True(exit == 0, $"exit {exit}: {stderr}");
                // this host cannot reach the target itself (the rule above): the answer came through the jump device
                Assert.Equal(target.Name, stdout.Trim());
            }
        }
        finally { EdgeOps.Transport.TransportFactory.CloseAll(); }
    }
}
