using System.Diagnostics;
using System.Management.Automation;
using EdgeOps.Tests.Infrastructure;
using EdgeOps.Transport;
using Xunit;

namespace EdgeOps.Tests.Fleet;

/// <summary>Invoke-EdgeCommand and the transport under it: results, sudo, secrets, hostile strings, Ctrl+C, timeouts, reuse.</summary>
[Collection(FleetCollection.Name)]
public class InvokeEdgeCommandTests
{
    readonly FleetFixture _f;
    public InvokeEdgeCommandTests(FleetFixture f) { _f = f; }

    SimulatedDevice PasswordDevice => _f.Fleet.Devices.First(d => d.SudoMode == "password");

    [FleetFact]
    public void Output_has_exit_code_stdout_stderr_and_seconds_per_device()
    {
        var fleet = _f.Fleet;
        using var ps = new PowerShellSession();
        var r = ps.Run("Get-EdgeDevice -Inventory $args[0] | Invoke-EdgeCommand -Command 'hostname; echo to-err >&2; sleep 0.2'", fleet.InventoryPath);
        Assert.Empty(r.Errors);
        Assert.Equal(fleet.Devices.Count, r.Output.Count);
        foreach (var o in r.Output)
        {
            Assert.Equal("EdgeOps.CommandOutput", o.TypeNames[0]);
            Assert.Equal("0", o.P("ExitCode"));
            Assert.Equal(o.P("ComputerName") + "\n", o.P("Stdout"));   // each device ran it itself
            Assert.Equal("to-err\n", o.P("Stderr"));                    // the transport's own marker line is not in it
            Assert.InRange((double)o.Properties["Seconds"].Value, 0.2, 10);
        }
    }

    [FleetFact]
    public void A_non_zero_exit_is_an_error_record_unless_PassThru()
    {
        var fleet = _f.Fleet;
        var d = fleet.Devices[0];
        using var ps = new PowerShellSession();
        var r = ps.Run("Get-EdgeDevice -Inventory $args[0] -Name $args[1] | Invoke-EdgeCommand -Command 'echo partial; echo broken >&2; exit 3'", fleet.InventoryPath, d.Name);
        Assert.Empty(r.Output);
        var e = Assert.Single(r.Errors);
        Assert.Equal("EdgeCommandFailed", e.Id());
        Assert.Equal(d.Name, e.Target());
        Assert.Contains("code 3", e.ToString());
        Assert.Contains("broken", e.ToString());

        var p = ps.Run("Get-EdgeDevice -Inventory $args[0] -Name $args[1] | Invoke-EdgeCommand -PassThru -Command 'echo partial; exit 3'", fleet.InventoryPath, d.Name);
        Assert.Empty(p.Errors);
        var o = Assert.Single(p.Output);
        Assert.Equal("3", o.P("ExitCode"));
        Assert.Equal("partial\n", o.P("Stdout"));
    }

    [FleetFact]
    public void Sudo_runs_as_root_on_both_kinds_of_sudo_device()
    {
        var fleet = _f.Fleet;
        using var ps = new PowerShellSession();
        ps.Set("sc", FleetTestKit.Credential("pi", fleet.SudoPassword));
        var noCred = ps.Run("Get-EdgeDevice -Inventory $args[0] | Invoke-EdgeCommand -Sudo -Command 'id -u; cat'", fleet.InventoryPath);
        Assert.Equal(fleet.Devices.Count(d => d.SudoMode == "nopasswd"), noCred.Output.Count);
        Assert.All(noCred.Output, o => Assert.Equal("0\n", o.P("Stdout")));   // nothing but the command's output (no password on its stdin)
        var e = Assert.Single(noCred.Errors);
        Assert.Equal(PasswordDevice.Name, e.Target());
        Assert.Equal("SudoPasswordRequired", e.Id());
        Assert.Contains("-SudoCredential", e.ToString());

        var withCred = ps.Run("Get-EdgeDevice -Inventory $args[0] | Invoke-EdgeCommand -Sudo -SudoCredential $sc -Command 'id -u; cat'", fleet.InventoryPath);
        Assert.Empty(withCred.Errors);
        Assert.Equal(fleet.Devices.Count, withCred.Output.Count);
        Assert.All(withCred.Output, o => Assert.Equal("0\n", o.P("Stdout")));
    }

    [FleetFact]
    public void The_sudo_password_is_in_no_process_list_nor_verbose_or_error_output()
    {
        var fleet = _f.Fleet;
        var d = PasswordDevice;
        using var session = new PowerShellSession();
        session.Set("sc", FleetTestKit.Credential("pi", fleet.SudoPassword));
        using var ps = PowerShell.Create();
        ps.Runspace = session.Runspace;
        ps.AddScript("Get-EdgeDevice -Inventory $args[0] -Name $args[1] | Invoke-EdgeCommand -Sudo -SudoCredential $sc -Verbose -Command 'sleep 2.5; id -u'")
          .AddArgument(fleet.InventoryPath).AddArgument(d.Name);
        var ar = ps.BeginInvoke();
        var seen = new List<string>();
        var sw = Stopwatch.StartNew();
        while (!ar.IsCompleted && sw.Elapsed < TimeSpan.FromSeconds(20))
        {
            // every process's arguments and environment on the device, while the sudo command runs
            seen.Add(d.ExecOk("ps -eo args; cat /proc/[0-9]*/environ 2>/dev/null | tr '\\0' '\\n'; true"));
            Thread.Sleep(100);
        }
        var output = ps.EndInvoke(ar);
        Assert.Contains(seen, s => s.Contains("sleep 2.5"));    // we did look while it ran
        Assert.All(seen, s => Assert.DoesNotContain(fleet.SudoPassword, s));
        Assert.Equal("0\n", Assert.Single(output).P("Stdout"));
        var text = string.Join("\n", ps.Streams.Verbose.Select(v => v.Message).Concat(ps.Streams.Error.Select(x => x.ToString())));
        Assert.DoesNotContain(fleet.SudoPassword, text);
        Assert.NotEmpty(ps.Streams.Verbose);

        // a wrong password: a clear error that does not repeat it
        session.Set("bad", FleetTestKit.Credential("pi", "wrong-sudo-pw"));
        var bad = session.Run("Get-EdgeDevice -Inventory $args[0] -Name $args[1] | Invoke-EdgeCommand -Sudo -SudoCredential $bad -Verbose -Command 'id -u'", fleet.InventoryPath, d.Name);
        var e = Assert.Single(bad.Errors);
        Assert.Equal("SudoPasswordIncorrect", e.Id());
        Assert.DoesNotContain("wrong-sudo-pw", bad.AllText);
    }

    public static IEnumerable<object[]> Hostile => new[]
    {
        "plain", "with space", "it's", "double \"quoted\"", "semi; touch /tmp/canary", "$(touch /tmp/canary)",
        "`touch /tmp/canary`", "a && touch /tmp/canary", "a || touch /tmp/canary", "line1\nline2\n", "star * and ? and [a-z]",
        "back\\slash\\", "dollar $HOME ${HOME} $1", "'; touch /tmp/canary; '", "\"; touch /tmp/canary; \"", "-n", "--",
        "tab\there", "pipe | touch /tmp/canary", "redirect > /tmp/canary", "ünïcödé ✓", "~", "!",
    }.Select(s => new object[] { s });

    [FleetTheory]
    [MemberData(nameof(Hostile))]
    public void Hostile_strings_round_trip_through_a_real_device_shell(string s)
    {
        var fleet = _f.Fleet;
        var d = fleet.Devices[0];
        d.ExecOk("rm -f /tmp/canary");
        var t = Open(d);
        Assert.Equal(s, t.Run(Sh.Script("printf %s {0}", s), CommandOptions.Default, default).Stdout);
        Assert.Equal(s, t.Run(Sh.Cmd("printf", "%s", s), CommandOptions.Default, default).Stdout);
        Assert.Equal(s, t.Run(Sh.Script("printf %s {0}", s), CommandOptions.Root, default).Stdout);      // sudo -n -- sh -c '...'
        // as a file name (not for the few that can't be one)
        if (!s.Contains('/') && s != "." && s.Length > 0)
        {
            var dir = "/tmp/hostile dir";
            t.Run(Sh.Script("mkdir -p {0} && : > {0}/{1} && ls -1 {0}", dir, s), CommandOptions.Default, default).EnsureSuccess(d.Name, "touch");
            Assert.True(File.Exists(Path.Combine(d.HostPath(dir), s)), $"file '{s}' not created as named");
            d.ExecOk("rm -rf '/tmp/hostile dir'");
        }
        Assert.NotEqual(0, d.Exec("test -e /tmp/canary").exit);
        // and through the password-sudo device (sudo -S, password on stdin)
        var p = PasswordDevice;
        var tp = Open(p, new ConnectionOptions { SudoCredential = new System.Net.NetworkCredential("pi", fleet.SudoPassword) });
        Assert.Equal(s, tp.Run(Sh.Script("printf %s {0}", s), CommandOptions.Root, default).Stdout);
        Assert.NotEqual(0, p.Exec("test -e /tmp/canary").exit);
    }

    IDeviceTransport Open(SimulatedDevice d, ConnectionOptions? options = null) => FleetTestKit.OpenTransport(_f.Fleet, d, options);

    [FleetTheory]
    [InlineData(0, false)]
    [InlineData(0, true)]
    [InlineData(1, true)]
    public void Stop_ends_a_running_command_on_the_device_within_seconds(int index, bool sudo)
    {
        var fleet = _f.Fleet;
        var d = fleet.Devices[index];
        var marker = $"sleep 300{index}{(sudo ? 1 : 0)}";   // unique per case
        using var session = new PowerShellSession();
        session.Set("sc", FleetTestKit.Credential("pi", fleet.SudoPassword));
        using var ps = PowerShell.Create();
        ps.Runspace = session.Runspace;
        ps.AddScript($"Get-EdgeDevice -Inventory $args[0] -Name $args[1] | Invoke-EdgeCommand -Command '{marker}' {(sudo ? "-Sudo -SudoCredential $sc" : "")}")
          .AddArgument(fleet.InventoryPath).AddArgument(d.Name);
        var ar = ps.BeginInvoke();
        FleetTestKit.Eventually(() => d.Exec($"pgrep -f '^{marker}$'").exit == 0, TimeSpan.FromSeconds(15), "the command never started on " + d.Name);
        if (sudo) Assert.Equal("0", d.ExecOk($"ps -o uid= -p $(pgrep -f '^{marker}$')").Trim());
        Thread.Sleep(500);
        var sw = Stopwatch.StartNew();
        ps.Stop();
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(5), $"Stop took {sw.Elapsed}");
        Assert.True(ar.IsCompleted);
        var gone = DateTime.UtcNow.AddSeconds(5);
        while (d.Exec($"pgrep -f '^{marker}$'").exit == 0 && DateTime.UtcNow < gone) Thread.Sleep(50);
        Assert.True(d.Exec($"pgrep -f '^{marker}$'").exit != 0,
            $"'{marker}' still runs on {d.Name} after Stop:\n{d.ExecOk("ps -eo pid,pgid,sid,uid,args; tail -n 8 /var/log/sshd.log")}\n" +
            string.Join("\n", ps.Streams.Error.Select(x => x.ToString())));
    }

    [FleetFact]
    public void CommandTimeout_ends_the_command_with_an_error_naming_the_device()
    {
        var fleet = _f.Fleet;
        var d = fleet.Devices[2];
        using var ps = new PowerShellSession();
        var sw = Stopwatch.StartNew();
        var r = ps.Run("Get-EdgeDevice -Inventory $args[0] -Name $args[1] | Invoke-EdgeCommand -Command 'sleep 30' -CommandTimeout 1", fleet.InventoryPath, d.Name);
        Assert.InRange(sw.Elapsed.TotalSeconds, 0.9, 8);
        Assert.Empty(r.Output);
        var e = Assert.Single(r.Errors);
        Assert.Equal(d.Name, e.Target());
        Assert.Contains(d.Name, e.ToString());
        Assert.Contains("-CommandTimeout", e.ToString());
        Assert.Equal(ErrorCategory.OperationTimeout, e.CategoryInfo.Category);
        FleetTestKit.Eventually(() => d.Exec("pgrep -f '^sleep 30$'").exit != 0, TimeSpan.FromSeconds(5), "sleep 30 still runs after the timeout");
    }

    [FleetFact]
    public void Connecting_where_nothing_listens_fails_fast_and_a_silent_port_within_ConnectTimeout()
    {
        var fleet = _f.Fleet;
        using var ps = new PowerShellSession();
        var key = fleet.KeyPath("ed25519");
        var sw = Stopwatch.StartNew();
        var refused = ps.Run("Test-EdgeDevice -ComputerName nobody -HostName $args[0] -UserName pi -IdentityFile $args[1] -ConnectTimeout 5",
            $"127.0.{fleet.Subnet}.250", key);
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(4), $"refused connection took {sw.Elapsed}");
        var e = Assert.Single(refused.Errors);
        Assert.Equal("SshUnreachable", e.Id());
        Assert.Equal("nobody", e.Target());

        // a port that accepts but never says a word: -ConnectTimeout bounds the wait
        var silent = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        silent.Start();
        try
        {
            var port = ((System.Net.IPEndPoint)silent.LocalEndpoint).Port;
            sw.Restart();
            var r = ps.Run("Test-EdgeDevice -ComputerName mute -HostName 127.0.0.1 -Port $args[0] -UserName pi -IdentityFile $args[1] -ConnectTimeout 2", port, key);
            Assert.InRange(sw.Elapsed.TotalSeconds, 1.5, 8);
            var t = Assert.Single(r.Errors);
            Assert.Equal("SshConnectTimeout", t.Id());
            Assert.Contains("-ConnectTimeout", t.ToString());
        }
        finally { silent.Stop(); }
    }

    [FleetFact]
    public void Cmdlets_in_a_row_reuse_one_connection_and_reopen_it_after_a_drop()
    {
        var fleet = _f.Fleet;
        var d = fleet.Devices[0];
        TransportFactory.CloseAll();
        FleetTestKit.Eventually(() => d.SshSessionCount() == 0, TimeSpan.FromSeconds(5), "pooled connections did not close");
        using var ps = new PowerShellSession();
        Assert.Empty(ps.Run("Get-EdgeDevice -Inventory $args[0] -Name $args[1] | Test-EdgeDevice", fleet.InventoryPath, d.Name).Errors);
        Assert.Empty(ps.Run("Get-EdgeDevice -Inventory $args[0] -Name $args[1] | Invoke-EdgeCommand -Command true", fleet.InventoryPath, d.Name).Errors);
        Assert.Empty(ps.Run("Get-EdgeDevice -Inventory $args[0] -Name $args[1] -Probe | Invoke-EdgeCommand -Command true", fleet.InventoryPath, d.Name).Errors);
        Assert.Equal(1, d.SshSessionCount());

        d.StopSshd();
        d.StartSshd();
        Assert.Equal(0, d.SshSessionCount());
        var r = ps.Run("Get-EdgeDevice -Inventory $args[0] -Name $args[1] | Invoke-EdgeCommand -Command 'echo back'", fleet.InventoryPath, d.Name);
        Assert.Empty(r.Errors);
        Assert.Equal("back\n", Assert.Single(r.Output).P("Stdout"));
        Assert.Equal(1, d.SshSessionCount());
    }

    [FleetFact]
    public void A_connection_that_drops_while_a_command_runs_is_an_error_not_a_result()
    {
        var fleet = _f.Fleet;
        var d = fleet.Devices[2];
        using var session = new PowerShellSession();
        using var ps = PowerShell.Create();
        ps.Runspace = session.Runspace;
        ps.AddScript("Get-EdgeDevice -Inventory $args[0] -Name $args[1] | Invoke-EdgeCommand -Command 'sleep 20; echo done'")
          .AddArgument(fleet.InventoryPath).AddArgument(d.Name);
        var ar = ps.BeginInvoke();
        try
        {
            FleetTestKit.Eventually(() => d.Exec("pgrep -f '^sleep 20$'").exit == 0, TimeSpan.FromSeconds(15), "the command never started");
            d.StopSshd();                                   // the device falls off the network mid-command
            var output = ps.EndInvoke(ar);
            Assert.Empty(output);
            var e = Assert.Single(ps.Streams.Error);
            Assert.Equal("SshConnectionLost", e.Id());
            Assert.Equal(d.Name, e.Target());
        }
        finally
        {
            d.ExecOk("pkill -f '^sleep 20$' || true");
            d.StartSshd();
        }
    }

    [FleetFact]
    public void Stop_during_a_hanging_connect_returns_within_seconds()
    {
        var fleet = _f.Fleet;
        var silent = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);   // accepts, never speaks SSH
        silent.Start();
        try
        {
            using var session = new PowerShellSession();
            using var ps = PowerShell.Create();
            ps.Runspace = session.Runspace;
            ps.AddScript("Test-EdgeDevice -ComputerName hung -HostName 127.0.0.1 -Port $args[0] -UserName pi -IdentityFile $args[1] -ConnectTimeout 120")
              .AddArgument(((System.Net.IPEndPoint)silent.LocalEndpoint).Port).AddArgument(fleet.KeyPath("ed25519"));
            var ar = ps.BeginInvoke();
            Thread.Sleep(1000);
            Assert.False(ar.IsCompleted);
            var sw = Stopwatch.StartNew();
            ps.Stop();
            Assert.True(sw.Elapsed < TimeSpan.FromSeconds(5), $"Stop took {sw.Elapsed}");
            Assert.True(ar.IsCompleted);
        }
        finally { silent.Stop(); }
    }
}
