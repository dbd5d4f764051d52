using System.Runtime.InteropServices;
using EdgeOps.Tests.Infrastructure;
using Xunit;

namespace EdgeOps.Tests.Fleet;

/// <summary>Get-EdgeDevice | Test-EdgeDevice, and Get-EdgeDevice -Probe, against the simulated fleet.</summary>
[Collection(FleetCollection.Name)]
public class TestEdgeDeviceTests
{
    readonly FleetFixture _f;
    public TestEdgeDeviceTests(FleetFixture f) { _f = f; }

    [FleetFact]
    public void Every_device_answers_with_one_status_object()
    {
        var fleet = _f.Fleet;
        using var ps = new PowerShellSession();
        var r = ps.Run("Get-EdgeDevice -Inventory $args[0] | Test-EdgeDevice", fleet.InventoryPath);
        Assert.Empty(r.Errors);
        Assert.Equal(fleet.Devices.Select(d => d.Name).OrderBy(n => n), r.Output.Select(o => o.P("ComputerName")).OrderBy(n => n));
        foreach (var o in r.Output)
        {
            var d = fleet.Devices.Single(x => x.Name == o.P("ComputerName"));
            Assert.Equal("EdgeOps.DeviceStatus", o.TypeNames[0]);
            Assert.Equal("True", o.P("Reachable"));
            Assert.Equal("True", o.P("Authenticated"));
            Assert.Equal("pi", o.P("User"));
            Assert.Equal("Trusted", o.P("HostKey"));
            Assert.StartsWith("SHA256:", o.P("HostKeyFingerprint"));
            Assert.Equal(d.Address, o.P("HostName"));
            Assert.True(double.Parse(o.P("RoundTripMs"), System.Globalization.CultureInfo.CurrentCulture) > 0);
            // NOPASSWD devices: Ok; the password device without -SudoCredential: Failed, saying what to give
            if (d.SudoMode == "nopasswd") Assert.True(o.P("Sudo") == "Ok", d.Name + ": " + o.P("Message"));
            else { Assert.Equal("Failed", o.P("Sudo")); Assert.Contains("-SudoCredential", o.P("Message")); }
        }
    }

    [FleetFact]
    public void Key_exchange_is_reported_and_kexAlgorithms_chooses_it_on_the_wire()
    {
        var fleet = _f.Fleet;
        var (a, b, c) = (fleet.Devices[0], fleet.Devices[1], fleet.Devices[2]);
        // a: SSH.NET's default order (post-quantum hybrids first); b: classic curve25519 only; c: an algorithm this
        // OpenSSH does not accept, so the connection must fail: proof that the list is what goes on the wire.
        var inv = fleet.WriteInventory(fleet.TempFile("kex.yaml"), extra: d =>
            d == b ? new[] { ("kexAlgorithms", "curve25519-sha256") } :
            d == c ? new[] { ("kexAlgorithms", "diffie-hellman-group1-sha1") } : Array.Empty<(string, string)>());
        using var ps = new PowerShellSession();
        var r = ps.Run("Get-EdgeDevice -Inventory $args[0] | Test-EdgeDevice", inv);
        var kex = r.Output.ToDictionary(o => o.P("ComputerName"), o => o.P("KeyExchange"));
        Assert.Contains(kex[a.Name], new[] { "mlkem768x25519-sha256", "sntrup761x25519-sha512@openssh.com", "sntrup761x25519-sha512" });
        Assert.Equal("curve25519-sha256", kex[b.Name]);
        Assert.False(kex.ContainsKey(c.Name));
        var err = Assert.Single(r.Errors);
        Assert.Equal(c.Name, err.Target());
        Assert.Equal("SshConnectionFailed", err.Id());
        Assert.Contains("key exchange", err.ToString(), StringComparison.OrdinalIgnoreCase);

        // the same by property name from a CSV-like object; a bad spec is that device's error, named as the parameter
        var row = new System.Management.Automation.PSObject();
        foreach (var (k, v) in new (string, object)[] { ("ComputerName", "kex-row"), ("HostName", a.Address), ("Port", fleet.Port),
                 ("UserName", "pi"), ("IdentityFile", fleet.KeyPath("ed25519")), ("KnownHostsFile", fleet.KnownHostsPath),
                 ("KexAlgorithms", "^curve25519-sha256") })
            row.Properties.Add(new System.Management.Automation.PSNoteProperty(k, v));
        var bad = new System.Management.Automation.PSObject();
        foreach (var p in row.Properties) bad.Properties.Add(new System.Management.Automation.PSNoteProperty(p.Name, p.Value));
        bad.Properties["ComputerName"].Value = "kex-bad";
        bad.Properties["KexAlgorithms"].Value = "curve25519-sha256;$(touch /tmp/x)";
        ps.Set("rows", new object[] { row, bad });
        var r2 = ps.Run("$rows | Test-EdgeDevice");
        Assert.Equal("curve25519-sha256", Assert.Single(r2.Output).P("KeyExchange"));
        var e2 = Assert.Single(r2.Errors);
        Assert.Equal("kex-bad", e2.Target());
        Assert.Equal("SshKexAlgorithmsInvalid", e2.Id());
        Assert.Contains("-KexAlgorithms", e2.ToString());
        Assert.Contains("unsupported key exchange algorithm", e2.ToString());
    }

    [FleetFact]
    public void Under_the_host_the_module_loads_the_dotnet_builds_of_its_crypto_and_talks_AES_GCM()
    {
        // The real load context (the test process would bind the module to its own copies): ./edgeops's host.
        var fleet = _f.Fleet;
        var (exit, stdout, stderr) = IsolationTests.Host(
            $"Get-EdgeDevice -Inventory '{fleet.InventoryPath.Replace("'", "''")}' | Test-EdgeDevice | ForEach-Object {{ 'status|' + $_.ComputerName + '|' + $_.Cipher + '|' + $_.KeyExchange }}; " +
            "[AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { $_.GetName().Name -in 'Renci.SshNet','BouncyCastle.Cryptography','ZstdSharp' } | ForEach-Object { 'asm|' + $_.GetName().Name + '|' + $_.Location }");
        Assert.True(exit == 0, stderr + stdout);
        var lines = stdout.Split('\n').Select(l => l.Trim()).ToList();
        var status = lines.Where(l => l.StartsWith("status|")).Select(l => l.Split('|')).ToList();
        Assert.Equal(fleet.Devices.Count, status.Count);
        Assert.All(status, s => Assert.Equal("aes128-gcm@openssh.com", s[2]));
        var asm = lines.Where(l => l.StartsWith("asm|")).Select(l => l.Split('|')).ToList();
        Assert.Contains(asm, a => a[1] == "Renci.SshNet");
        Assert.Contains(asm, a => a[1] == "BouncyCastle.Cryptography");
        // the .NET builds, ReadyToRun-compiled where the host is .NET 10 on linux-x64 (build/ReadyToRun)
        var core = Path.Combine(Path.GetDirectoryName(Repo.ModuleManifest)!, "Dependencies", "core");
        if (Environment.Version.Major == 10 && OperatingSystem.IsLinux() && RuntimeInformation.ProcessArchitecture == Architecture.X64)
            core = Path.Combine(core, "net10.0-linux-x64");
        Assert.All(asm, a => Assert.Equal(core, Path.GetDirectoryName(a[2])));
    }

    [FleetFact]
    public void A_dead_device_gives_exactly_one_error_naming_it_and_the_others_still_answer()
    {
        var fleet = _f.Fleet;
        var dead = fleet.Devices[2];
        using var ps = new PowerShellSession();
        // a pooled connection to the device exists from before: it must not hide that the device died
        Assert.Empty(ps.Run("Get-EdgeDevice -Inventory $args[0] | Test-EdgeDevice", fleet.InventoryPath).Errors);
        dead.StopSshd();
        try
        {
            var r = ps.Run("Get-EdgeDevice -Inventory $args[0] | Test-EdgeDevice -ConnectTimeout 5", fleet.InventoryPath);
            var err = Assert.Single(r.Errors);
            Assert.Equal(dead.Name, err.Target());
            Assert.Contains(dead.Name, err.ToString());
            Assert.Equal("SshUnreachable", err.Id());
            Assert.Equal(System.Management.Automation.ErrorCategory.ConnectionError, err.CategoryInfo.Category);
            Assert.Equal(fleet.Devices.Where(d => d != dead).Select(d => d.Name).OrderBy(n => n),
                         r.Output.Select(o => o.P("ComputerName")).OrderBy(n => n));
        }
        finally { dead.StartSshd(); }
        // and once it is back, it answers again (the pool re-opens the connection)
        var again = ps.Run("Get-EdgeDevice -Inventory $args[0] -Name $args[1] | Test-EdgeDevice", fleet.InventoryPath, dead.Name);
        Assert.Empty(again.Errors);
        Assert.Equal("True", Assert.Single(again.Output).P("Reachable"));
    }

    [FleetFact]
    public void Password_sudo_is_Ok_with_the_right_SudoCredential_and_Failed_with_a_wrong_one()
    {
        var fleet = _f.Fleet;
        var d = fleet.Devices.First(x => x.SudoMode == "password");
        using var ps = new PowerShellSession();
        ps.Set("good", FleetTestKit.Credential("pi", fleet.SudoPassword));
        ps.Set("bad", FleetTestKit.Credential("pi", "not the password"));
        var ok = ps.Run("Get-EdgeDevice -Inventory $args[0] -Name $args[1] | Test-EdgeDevice -SudoCredential $good -Verbose", fleet.InventoryPath, d.Name);
        Assert.Empty(ok.Errors);
        Assert.Equal("Ok", Assert.Single(ok.Output).P("Sudo"));
        Assert.DoesNotContain(fleet.SudoPassword, ok.AllText);
        var bad = ps.Run("Get-EdgeDevice -Inventory $args[0] -Name $args[1] | Test-EdgeDevice -SudoCredential $bad -Verbose", fleet.InventoryPath, d.Name);
        var o = Assert.Single(bad.Output);
        Assert.Equal("Failed", o.P("Sudo"));
        Assert.Contains("rejected the password", o.P("Message"));
        Assert.Contains(d.Name, o.P("Message"));
        Assert.DoesNotContain("not the password", bad.AllText + o.P("Message"));
        // the NOPASSWD devices are Ok with or without a -SudoCredential
        var all = ps.Run("Get-EdgeDevice -Inventory $args[0] | Test-EdgeDevice -SudoCredential $good", fleet.InventoryPath);
        Assert.Empty(all.Errors);
        Assert.All(all.Output, x => Assert.Equal("Ok", x.P("Sudo")));
    }

    [FleetFact]
    public void Probe_reads_board_memory_L4T_OS_and_Python_from_each_device()
    {
        var fleet = _f.Fleet;
        using var ps = new PowerShellSession();
        var r = ps.Run("Get-EdgeDevice -Inventory $args[0] -Probe", fleet.InventoryPath);
        Assert.Empty(r.Errors);
        Assert.Equal(fleet.Devices.Count, r.Output.Count);
        foreach (var d in fleet.Devices)
        {
            var o = r.Output.Single(x => x.P("ComputerName") == d.Name);
            Assert.Equal("True", o.P("Probed"));
            Assert.Equal(d.Model, o.P("Model"));
            Assert.Equal(d.MemTotalBytes.ToString(System.Globalization.CultureInfo.InvariantCulture), o.P("MemoryBytes"));
            Assert.Equal(d.L4TVersion ?? "", o.P("L4TVersion"));
            Assert.Equal(d.OsPrettyName, o.P("OS"));
            var python = d.ExecOk("python3 -c 'import platform; print(platform.python_version())'").Trim();
            Assert.Equal(python, o.P("PythonVersion"));
            var free = long.Parse(o.P("RootFreeBytes"), System.Globalization.CultureInfo.InvariantCulture);
            Assert.InRange(free, 100L << 20, 512L << 20);   // the card's root partition, not the host's disk
            Assert.Equal(d.Kind, o.P("Kind"));
        }
        var jetson = r.Output.Single(x => x.P("Kind") == "jetson-nano");
        Assert.Equal("32.7.1", jetson.P("L4TVersion"));
        Assert.Equal("Ubuntu 18.04.6 LTS", jetson.P("OS"));
    }
}
