using EdgeOps.Tests.Infrastructure;
using EdgeOps.Transport;
using Xunit;

namespace EdgeOps.Tests.Fleet;

/// <summary>
/// The controller is never a target by accident, -WhatIf upstream never drives a change downstream, and piped
/// objects mean what they say: canary tests on the simulated fleet. After each pipeline, no canary exists on the
/// controller or on any device, and nothing else changed.
/// </summary>
[Collection(FleetCollection.Name)]
public sealed class PipelineSafetyTests : IDisposable
{
    readonly FleetFixture _f;
    readonly PowerShellSession _ps = new();
    readonly string _canary = "/var/tmp/edgeops-canary-" + Guid.NewGuid().ToString("N")[..10];
    // swap files only in root-owned folders that nobody else can write (EdgeOps refuses others)
    string SwapCanary => "/opt/" + Path.GetFileName(_canary);

    public PipelineSafetyTests(FleetFixture f)
    {
        _f = f;
        _ps.Set("inv", f.Fleet.InventoryPath);
        _ps.Set("canary", _canary);
        _ps.Set("swapcanary", SwapCanary);
        _ps.Set("cred", FleetTestKit.Credential("pi", f.Fleet.SudoPassword));
        _ps.Set("buildsrc", Builds.TestProjects.CExtension(Path.Combine(_buildSource, "edgecalc")));
    }

    readonly string _buildSource = Directory.CreateTempSubdirectory("edgeops-canary-src-").FullName;

    public void Dispose()
    {
        _ps.Dispose();
        try { Directory.Delete(_buildSource, true); } catch (IOException) { }
        foreach (var p in Directory.GetFileSystemEntries("/var/tmp", Path.GetFileName(_canary) + "*"))
            if (Directory.Exists(p)) Directory.Delete(p, true); else File.Delete(p);
    }

    SimulatedDevice Pi4 => _f.Fleet.Devices[0];

    /// <summary>Every cmdlet that changes something, each set up so that running it here would leave a canary.</summary>
    static readonly string[] s_changing =
    {
        "Invoke-EdgeCommand -Command \"touch $canary\"",
        "New-SwapFile -Size 16MB -Path \"$swapcanary.swap\"",
        "Remove-SwapFile -Path \"$swapcanary.swap\"",
        "Backup-SdCard -Destination \"$canary.backups\" -DevicePath \"$canary.card\"",
        "Restore-SdCard -Path \"$canary.img.zst\" -DevicePath \"$canary.card\"",
        "Install-TorchWheel -Source \"$canary.wheels\" -VirtualEnv \"$canary.venv\" -CreateVirtualEnv",
        "Invoke-EdgeBenchmark -RunnerDirectory \"$canary.runner\" -Runs 1 -WarmupRuns 0",
        // a real project, so a build that ran anywhere would leave its folder (the canary) in -BuildRoot
        "Start-WheelBuild -Source $buildsrc -Jobs 1 -BuildRoot \"$canary.builds\"",
        // no such build anywhere: run anywhere, these would write an error or an object
        "Stop-WheelBuild -Id canary-build -BuildRoot \"$canary.builds\" -GraceSeconds 0",
        "Receive-WheelBuild -Id canary-build -BuildRoot \"$canary.builds\" -Destination \"$canary.received\"",
    };

    /// <summary>What could change: canaries here and on every device, and each device's fstab.</summary>
    string Snapshot() =>
        string.Join("\n", Directory.GetFileSystemEntries("/var/tmp", Path.GetFileName(_canary) + "*").OrderBy(x => x)) + "|" +
        string.Join("\n", _f.Fleet.Devices.Select(d =>
            d.Name + ":" + d.Exec($"ls -d {Sh.Quote(_canary)}* {Sh.Quote(SwapCanary)}* 2>/dev/null; md5sum /etc/fstab; cat /proc/swaps | wc -l").stdout));

    void AssertNothingHappened(string pipeline, string before, PSRun r)
    {
        Assert.True(r.Output.Count == 0, $"{pipeline}: wrote {r.Output.Count} object(s)");
        Assert.False(File.Exists(_canary) || Directory.Exists(_canary + ".backups") || Directory.Exists(_canary + ".venv") ||
                     Directory.Exists(_canary + ".builds") || Directory.Exists(_canary + ".received"), $"{pipeline}: a canary appeared on the controller");
        Assert.Equal(before, Snapshot());
    }

    [FleetFact]
    public void A_filter_that_matches_nothing_piped_into_any_changing_cmdlet_does_nothing_anywhere()
    {
        var before = Snapshot();
        foreach (var cmd in s_changing)
            foreach (var upstream in new[] { "Get-EdgeDevice -Inventory $inv -Tag no-such-tag", "@()", "Get-EdgeDevice -Inventory $inv | Where-Object ComputerName -eq 'nope'" })
            {
                var pipeline = $"{upstream} | {cmd}";
                var r = _ps.Run(pipeline + " -Confirm:$false");
                Assert.True(r.Errors.Count == 0, pipeline + ": " + string.Join("\n", r.Errors));
                AssertNothingHappened(pipeline, before, r);
            }
    }

    [FleetFact]
    public void Nothing_piped_and_no_device_named_means_this_machine_and_only_then()
    {
        // The documented way to work on the controller: no pipeline input and no device parameter.
        var r = _ps.Run("Invoke-EdgeCommand -Command \"touch $canary; hostname\"");
        Assert.Empty(r.Errors);
        Assert.True(File.Exists(_canary));
        File.Delete(_canary);
        // An empty -ComputerName is an error, not the controller.
        r = _ps.Run("$names = @(Get-Content /dev/null); Invoke-EdgeCommand -ComputerName $names -Command \"touch $canary\"");
        Assert.False(File.Exists(_canary));
        Assert.Empty(r.Output);
    }

    [FleetFact]
    public void WhatIf_upstream_never_leads_to_a_change_downstream()
    {
        var before = Snapshot();
        foreach (var upstream in new[]
                 {
                     "Get-EdgeDevice -Inventory $inv | New-SwapFile -Size 16MB -Path \"$swapcanary.up.swap\" -SudoCredential $cred -WhatIf",
                     "Get-EdgeDevice -Inventory $inv | Invoke-EdgeCommand -Command \"touch $canary.up\" -WhatIf",
                 })
            foreach (var cmd in s_changing)
            {
                var pipeline = $"{upstream} | {cmd}";
                var r = _ps.Run(pipeline + " -Confirm:$false");
                Assert.True(r.Errors.Count == 0, pipeline + ": " + string.Join("\n", r.Errors));
                AssertNothingHappened(pipeline, before, r);
                Assert.NotEmpty(r.WhatIf);   // the upstream plan was shown, one line per device
            }
    }

    [FleetFact]
    public void Remove_SwapFile_removes_the_piped_swap_file_and_only_that_one()
    {
        var d = Pi4;
        string x = "/opt/edgeops piped x.swap", keep = "/swapfile";
        try
        {
            foreach (var p in new[] { x, keep })
                d.ExecOk($"dd if=/dev/zero of={Sh.Quote(p)} bs=1M count=16 status=none && chmod 600 {Sh.Quote(p)} && mkswap /dev/fd/3 3<>{Sh.Quote(p)} >/dev/null && swapon {Sh.Quote(p)}");
            var listed = _ps.Run("Get-EdgeDevice -Inventory $inv -Name $args[0] | Get-SwapFile", d.Name);
            var areas = listed.Output.Select(o => o.P("Path")).ToList();
            Assert.True(areas.Contains(x) && areas.Contains(keep), "Get-SwapFile listed: " + string.Join(" | ", areas) +
                "; errors: " + string.Join(" | ", listed.Errors) + "; /proc/swaps on the device: " + d.Exec("cat /proc/swaps").stdout);
            var r = _ps.Run("Get-EdgeDevice -Inventory $inv -Name $args[0] | Get-SwapFile | Where-Object Path -eq $args[1] | Remove-SwapFile -Confirm:$false",
                d.Name, x);
            Assert.True(r.Errors.Count == 0, string.Join("\n", r.Errors));
            var o = Assert.Single(r.Output);
            Assert.Equal(x, o.P("Path"));
            Assert.Equal("Removed", o.P("Action"));
            Assert.NotEqual(0, d.Exec($"test -e {Sh.Quote(x)}").exit);
            Assert.Equal(0, d.Exec($"test -e {keep}").exit);
            Assert.Contains("/swapfile", d.ExecOk("swapon --show=NAME --noheadings"));
        }
        finally
        {
            foreach (var p in new[] { x, keep }) d.Exec($"swapoff {Sh.Quote(p)} 2>/dev/null; rm -f {Sh.Quote(p)}");
        }
    }

    [FleetFact]
    public void A_device_this_session_does_not_know_gets_told_to_read_the_inventory()
    {
        var d = Pi4;
        using var fresh = new PowerShellSession();   // the name is new, so no Get-EdgeDevice in this process has returned it
        var unknown = "never-read-" + Guid.NewGuid().ToString("N")[..6];
        var r = fresh.Run("Invoke-EdgeCommand -ComputerName $args[0] -Command hostname", unknown);
        Assert.Empty(r.Output);
        var e = Assert.Single(r.Errors);
        Assert.Equal("DeviceUnknown", e.Id());
        Assert.Contains(unknown, e.ToString());
        Assert.Contains("Get-EdgeDevice -Inventory", e.ToString());
        Assert.Contains("-Inventory", e.ToString());
        Assert.DoesNotContain("user", e.ToString());

        // Rows that carry only a name (as Import-Csv gives them): one error for the unknown one, and the rest go on.
        r = fresh.Run("[pscustomobject]@{ ComputerName = $args[0] }, [pscustomobject]@{ ComputerName = $args[1] } | " +
                      "Invoke-EdgeCommand -Inventory $args[2] -Command hostname", unknown, d.Name, _f.Fleet.InventoryPath);
        Assert.Equal("DeviceNotInInventory", Assert.Single(r.Errors).Id());
        Assert.Contains(d.Name, Assert.Single(r.Errors).ToString());   // the names the inventory has
        Assert.Equal(d.Name + "\n", Assert.Single(r.Output).P("Stdout"));

        // -Inventory on the cmdlet itself resolves a name without Get-EdgeDevice.
        r = fresh.Run("Invoke-EdgeCommand -Inventory $args[0] -ComputerName $args[1] -Command hostname", _f.Fleet.InventoryPath, d.Name);
        Assert.Empty(r.Errors);
        Assert.Equal(d.Name + "\n", Assert.Single(r.Output).P("Stdout"));
    }

    [FleetFact]
    public void InputOrder_writes_results_in_the_order_the_devices_came_in()
    {
        // the first device is the slowest: without -InputOrder it comes last
        var names = _f.Fleet.Devices.Select(x => x.Name).ToList();
        var script = "Get-EdgeDevice -Inventory $inv | Invoke-EdgeCommand -Command 'case $(hostname) in *-00) sleep 1.5;; esac; hostname'";
        var r = _ps.Run(script + " -InputOrder");
        Assert.Empty(r.Errors);
        Assert.Equal(names, r.Output.Select(o => o.P("ComputerName")));
        r = _ps.Run(script);
        Assert.Equal(names[0], r.Output.Last().P("ComputerName"));
    }

    [FleetFact]
    public void Two_objects_of_one_device_are_two_work_items_one_after_the_other_and_duplicates_one()
    {
        var d = Pi4;
        // The same device piped three times is one work item: the command runs once.
        var r = _ps.Run("$d = Get-EdgeDevice -Inventory $inv -Name $args[0]; $d, $d, $d | Invoke-EdgeCommand -Command 'echo once'", d.Name);
        Assert.Empty(r.Errors);
        Assert.Single(r.Output);
    }
}
