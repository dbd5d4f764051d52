using EdgeOps.Tests.Fleet;
using EdgeOps.Tests.Infrastructure;
using Xunit;

namespace EdgeOps.Tests.Security;

/// <summary>
/// Host keys checked as OpenSSH checks them (issue 17, finding 1), against a second, real sshd inside a simulated
/// device that offers only the host keys a test chooses: an impostor for a host recorded by another key type, a host
/// recorded by OpenSSH's own ssh-keyscan/ssh with an RSA key, and a host vouched for only by @cert-authority.
/// </summary>
[Collection(FleetCollection.Name)]
public class HostKeyTrustTests
{
    readonly FleetFixture _f;
    public HostKeyTrustTests(FleetFixture f) { _f = f; }

    const string TestAll = "Get-EdgeDevice -Inventory $args[0] | Test-EdgeDevice -ConnectTimeout 10";

    /// <summary>OpenSSH's own client against a host, with this known_hosts file and checking mode.</summary>
    (int exit, string stdout, string stderr) OpenSsh(SimulatedDevice d, int port, string knownHosts, string strict, params string[] extra) =>
        HostProcess.Run("ssh", new[] { "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=" + strict, "-o", "UserKnownHostsFile=" + knownHosts,
            "-o", "GlobalKnownHostsFile=/dev/null", "-i", _f.Fleet.KeyPath("ed25519"), "-p", port.ToString() }
            .Concat(extra).Concat(new[] { "pi@" + d.Address, "true" }).ToArray());

    string Inventory(SimulatedDevice d, int port, string knownHosts) =>
        _f.Fleet.WriteInventory(_f.Fleet.TempFile("inv.yaml"), new[] { d }, knownHostsFile: knownHosts,
            extra: _ => new[] { ("port", port.ToString()) });

    [FleetFact]
    public void An_RSA_only_impostor_for_an_ed25519_recorded_host_is_refused_and_known_hosts_untouched()
    {
        var d = _f.Fleet.Devices[0];
        using var impostor = new ExtraSshd(d, 2301, "rsa");
        // known_hosts records the host by its ed25519 key (the device's real one); the impostor has only an RSA key
        var kh = _f.Fleet.TempFile("known_hosts");
        var real = d.HostKeyLines().First(l => l.Contains(" ssh-ed25519 "));
        File.WriteAllText(kh, impostor.KnownHostsName + real[real.IndexOf(' ')..] + "\n");
        var before = File.ReadAllBytes(kh);
        var inv = Inventory(d, impostor.Port, kh);
        using var ps = new PowerShellSession();
        foreach (var extra in new[] { " -AcceptNewHostKey", "" })
        {
            var r = ps.Run(TestAll + extra, inv);
            Assert.Empty(r.Output);
            var e = Assert.Single(r.Errors);
            Assert.Equal("SshHostKeyChanged", e.Id());
            Assert.Equal(d.Name, e.Target());
            Assert.Contains("ssh-ed25519", e.ToString());
            Assert.Equal(before, File.ReadAllBytes(kh));
        }
        // OpenSSH's own accept-new refuses the same server
        Assert.NotEqual(0, OpenSsh(d, impostor.Port, kh, "accept-new").exit);
        Assert.Equal(before, File.ReadAllBytes(kh));
    }

    [FleetFact]
    public void A_different_RSA_key_for_an_RSA_recorded_host_is_changed_not_new()
    {
        var d = _f.Fleet.Devices[0];
        using var first = new ExtraSshd(d, 2302, "rsa");
        var kh = _f.Fleet.TempFile("known_hosts");
        File.WriteAllText(kh, first.KnownHostsLine("rsa") + "\n");
        first.Dispose();
        using var second = new ExtraSshd(d, 2302, "rsa", "ed25519");      // new keys, and one more type
        var before = File.ReadAllBytes(kh);
        using var ps = new PowerShellSession();
        var r = ps.Run(TestAll + " -AcceptNewHostKey", Inventory(d, second.Port, kh));
        Assert.Equal("SshHostKeyChanged", Assert.Single(r.Errors).Id());
        Assert.Contains("HOST KEY CHANGED", r.Errors[0].ToString());
        Assert.Equal(before, File.ReadAllBytes(kh));
    }

    [FleetFact]
    public void A_host_recorded_by_OpenSSH_with_an_RSA_key_is_trusted()
    {
        var d = _f.Fleet.Devices[0];
        using var rsaHost = new ExtraSshd(d, 2303, "rsa");
        // recorded by ssh-keyscan...
        var scanned = _f.Fleet.TempFile("known_hosts");
        var scan = HostProcess.Run("ssh-keyscan", new[] { "-t", "rsa", "-p", rsaHost.Port.ToString(), d.Address }).EnsureOk("ssh-keyscan");
        File.WriteAllText(scanned, scan.stdout);
        Assert.Contains(" ssh-rsa ", scan.stdout);
        // ...and by ssh itself (accept-new, hashed)
        var byssh = _f.Fleet.TempFile("known_hosts");
        OpenSsh(d, rsaHost.Port, byssh, "accept-new", "-o", "HashKnownHosts=yes").EnsureOk("ssh accept-new");
        using var ps = new PowerShellSession();
        foreach (var kh in new[] { scanned, byssh })
        {
            var before = File.ReadAllBytes(kh);
            var r = ps.Run(TestAll, Inventory(d, rsaHost.Port, kh));
            Assert.Empty(r.Errors);
            var o = Assert.Single(r.Output);
            Assert.Equal("Trusted", o.P("HostKey"));
            Assert.Equal(before, File.ReadAllBytes(kh));
            EdgeOps.Transport.TransportFactory.CloseAll();
        }
    }

    [FleetFact]
    public void A_new_RSA_host_is_recorded_as_ssh_rsa_and_OpenSSH_agrees()
    {
        var d = _f.Fleet.Devices[0];
        using var rsaHost = new ExtraSshd(d, 2304, "rsa");
        var kh = _f.Fleet.NewKnownHostsPath();
        using var ps = new PowerShellSession();
        var r = ps.Run(TestAll + " -AcceptNewHostKey", Inventory(d, rsaHost.Port, kh));
        Assert.Empty(r.Errors);
        Assert.Contains(" ssh-rsa ", File.ReadAllText(kh));
        OpenSsh(d, rsaHost.Port, kh, "yes").EnsureOk("ssh with the known_hosts EdgeOps wrote");
    }

    [FleetFact]
    public void A_host_vouched_for_only_by_cert_authority_is_refused_clearly()
    {
        var d = _f.Fleet.Devices[0];
        using var host = new ExtraSshd(d, 2305, "ed25519");
        var ca = Path.Combine(_f.Fleet.TempDir, $"ca-{Guid.NewGuid():N}");
        HostProcess.Run("ssh-keygen", new[] { "-q", "-t", "ed25519", "-N", "", "-f", ca }).EnsureOk("ssh-keygen CA");
        var kh = _f.Fleet.TempFile("known_hosts");
        File.WriteAllText(kh, $"@cert-authority {host.KnownHostsName} {File.ReadAllText(ca + ".pub").Trim()}\n");
        var before = File.ReadAllBytes(kh);
        using var ps = new PowerShellSession();
        var r = ps.Run(TestAll + " -AcceptNewHostKey", Inventory(d, host.Port, kh));
        Assert.Empty(r.Output);
        var e = Assert.Single(r.Errors);
        Assert.Equal("SshHostCertificateUnsupported", e.Id());
        Assert.Contains("@cert-authority", e.ToString());
        Assert.Equal(before, File.ReadAllBytes(kh));
    }

    [FleetFact]
    public void A_revoked_key_is_refused_even_when_also_recorded()
    {
        var d = _f.Fleet.Devices[0];
        using var host = new ExtraSshd(d, 2306, "ed25519");
        var line = host.KnownHostsLine("ed25519");
        var kh = _f.Fleet.TempFile("known_hosts");
        File.WriteAllText(kh, line + "\n@revoked " + line + "\n");
        using var ps = new PowerShellSession();
        var r = ps.Run(TestAll, Inventory(d, host.Port, kh));
        Assert.Equal("SshHostKeyRevoked", Assert.Single(r.Errors).Id());
    }
}
