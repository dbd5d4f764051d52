using EdgeOps.Tests.Fleet;
using EdgeOps.Tests.Infrastructure;
using Xunit;

namespace EdgeOps.Tests.Builds;

/// <summary>
/// status.sh against a run that ends while it reads the build folder (the race behind "exited 0, reported
/// Interrupted"): a real process stands in for the runner; a gate on the path holds status.sh just after it read
/// the state and exit code, the run ends (exit code, end time, state written, process gone, as runner.sh does),
/// then status.sh goes on. Whatever the interleaving, a run that ended well is never Interrupted.
/// </summary>
public sealed class BuildStatusRaceTests : IDisposable
{
    readonly string _temp = Directory.CreateTempSubdirectory("edgeops-status-race-").FullName;

    public void Dispose() { try { Directory.Delete(_temp, true); } catch (Exception) { } }

    static long StartTime(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return long.Parse(fields[19], System.Globalization.CultureInfo.InvariantCulture);   // field 22: starttime
    }

    string Status(string root, string gateFile)
    {
        var bin = Path.Combine(_temp, "bin");
        Directory.CreateDirectory(bin);
        // head as ever, except that reading the gated file waits for the test (after the read: what it read is printed)
        var head = Path.Combine(bin, "head");
        File.WriteAllText(head, "#!/bin/sh\ncase \"$*\" in *\"/$GATE_FILE\") out=$(/usr/bin/head \"$@\"); : > \"$GATE/reading\"; " +
                                "while [ ! -e \"$GATE/go\" ]; do sleep 0.01; done; printf '%s\\n' \"$out\"; exit 0 ;; esac\nexec /usr/bin/head \"$@\"\n");
        HostProcess.Run("chmod", new[] { "755", head }).EnsureOk("chmod of the gated head");
        var env = new Dictionary<string, string> { ["PATH"] = bin + ":/usr/bin:/bin", ["GATE"] = _temp, ["GATE_FILE"] = gateFile };
        var r = HostProcess.Run("/bin/sh", new[] { "-c", EdgeOps.Builds.BuildScripts.StatusScript, "edgeops-build-status", root, "0", "0", "b1" }, env: env);
        Assert.True(r.exit == 0, r.stderr);
        return r.stdout;
    }

    [Theory]
    [InlineData("started")]   // just after state and exit code were read
    [InlineData("state")]     // while the state is read
    public async Task A_run_that_ends_during_a_status_read_is_never_Interrupted(string gateFile)
    {
        var root = Path.Combine(_temp, "builds");
        var b = Path.Combine(root, "b1");
        Directory.CreateDirectory(Path.Combine(b, "dist"));
        using var runner = System.Diagnostics.Process.Start("sleep", "600")!;
        try
        {
            long now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            File.WriteAllText(Path.Combine(b, "pid"), $"{runner.Id} {StartTime(runner.Id)}\n");
            foreach (var (f, v) in new[] { ("state", "Running"), ("started", $"{now}"), ("runstarted", $"{now}"), ("runs", "1"), ("meta", "id=b1\nproject=p\nrecipe=generic\njobs=1\n") })
                File.WriteAllText(Path.Combine(b, f), v + "\n");
            File.WriteAllText(Path.Combine(b, "log"), "== edgeops run 1: now\n[1/2] Building C object a.c.o\n");

            var reading = Task.Run(() => Status(root, gateFile));
            var gate = Path.Combine(_temp, "reading");
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (!File.Exists(gate)) { Assert.True(DateTime.UtcNow < deadline, "status.sh reached the gate"); Thread.Sleep(10); }

            // the run ends as runner.sh ends it: end time, exit code, wheel and its hash, then the state; then the process goes
            File.WriteAllText(Path.Combine(b, "dist", "p-1.0-py3-none-any.whl"), "wheel");
            File.WriteAllText(Path.Combine(b, "wheels.sha256"), "00ff  p-1.0-py3-none-any.whl\n");
            File.WriteAllText(Path.Combine(b, "ended"), $"{now}\n");
            File.WriteAllText(Path.Combine(b, "exitcode"), "0\n");
            File.WriteAllText(Path.Combine(b, "state.new"), "Succeeded\n");
            File.Move(Path.Combine(b, "state.new"), Path.Combine(b, "state"), true);
            runner.Kill();
            runner.WaitForExit();   // reaped: /proc has it no more
            Assert.False(Directory.Exists($"/proc/{runner.Id}") && File.ReadAllText($"/proc/{runner.Id}/stat").Contains("(sleep)"), "the stand-in runner is gone");
            File.WriteAllText(Path.Combine(_temp, "go"), "");

            var during = EdgeOps.Builds.WheelBuildService.ParseStatus(await reading, "host").Single();
            Assert.NotEqual("Interrupted", during.State);
            Assert.Contains(during.State, new[] { "Running", "Succeeded" });
            File.Delete(gate);
            var after = EdgeOps.Builds.WheelBuildService.ParseStatus(Status(root, "none"), "host").Single();
            Assert.Equal("Succeeded", after.State);
            Assert.Equal(0, after.ExitCode);
        }
        finally
        {
            if (!runner.HasExited) runner.Kill();
        }
    }
}
