using EdgeOps.Benchmark;
using EdgeOps.Tests.Fleet;
using EdgeOps.Tests.Infrastructure;
using Xunit;

namespace EdgeOps.Tests.Security;

/// <summary>
/// The benchmark runner is checked on the device before each use (issue 17, finding 13): a runner changed after it was
/// copied, or a runner folder someone else owns, is never run. Real runner, real sshd, real files on a simulated device.
/// </summary>
[Collection(FleetCollection.Name)]
public sealed class RunnerTrustTests : IDisposable
{
    readonly FleetFixture _f;
    public RunnerTrustTests(FleetFixture f) { _f = f; }
    SimulatedDevice D => _f.Fleet.Devices[0];
    const string Dir = "/home/pi/runner-trust";
    const string Marker = "/tmp/edgeops-fake-runner-ran";

    public void Dispose() => D.Exec($"rm -rf {Dir} {Marker}");

    PSRun Bench(PowerShellSession ps) =>
        ps.Run("Get-EdgeDevice -Inventory $args[0] -Name $args[1] | Invoke-EdgeBenchmark -Model $args[2] -Runs 2 -WarmupRuns 1 -RunnerDirectory $args[3]",
               _f.Fleet.InventoryPath, D.Name, SampleModels.Ensure()[0], Dir);

    [FleetFact]
    public void A_runner_changed_after_it_was_copied_or_owned_by_someone_else_is_not_run()
    {
        using var ps = new PowerShellSession();
        var first = Bench(ps);
        Assert.True(first.Errors.Count == 0, string.Join("\n", first.Errors));
        var exe = D.ExecOk($"ls -d {Dir}/runner/*/edgeops-runner").Trim();

        // the same name, other content: a program that answers like the runner and leaves a mark
        D.ExecOk($"printf '#!/bin/sh\\ntouch {Marker}\\necho edgeops-runner fake\\n' > '{exe}' && chown pi:pi '{exe}' && chmod 755 '{exe}'");
        var tampered = Bench(ps);
        Assert.Empty(tampered.Output);
        var e = Assert.Single(tampered.Errors);
        Assert.Equal("RunnerTampered", e.Id());
        Assert.Equal(D.Name, e.Target());
        Assert.NotEqual(0, D.Exec($"test -e {Marker}").exit);

        // a runner folder that another user owns (pre-placed in a shared folder) is refused before any hash
        D.ExecOk($"rm -rf {Dir}");
        Assert.True(Bench(ps).Errors.Count == 0);
        var runnerDir = exe[..exe.LastIndexOf('/')];
        D.ExecOk($"chown -R nobody '{runnerDir}'");
        var foreign = Bench(ps);
        Assert.Equal("RunnerDirectoryUnsafe", Assert.Single(foreign.Errors).Id());
        Assert.Contains("uid", foreign.Errors[0].ToString());
    }
}
