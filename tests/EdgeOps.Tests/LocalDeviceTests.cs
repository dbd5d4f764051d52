using System.Diagnostics;
using System.Management.Automation;
using EdgeOps.Tests.Infrastructure;
using Xunit;

namespace EdgeOps.Tests
{
    /// <summary>The local machine as a device: the same cmdlets, the LocalTransport.</summary>
    public class LocalDeviceTests : IDisposable
    {
        readonly PowerShellSession _ps = new();
        public void Dispose() => _ps.Dispose();

        [Fact]
        public void Invoke_EdgeCommand_returns_exit_code_stdout_stderr()
        {
            var r = _ps.Run("Invoke-EdgeCommand -Command 'echo out; echo err >&2; exit 3' -PassThru");
            var o = r.Output.Single();
            Assert.Equal(3, o.Properties["ExitCode"].Value);
            Assert.Equal("out\n", o.Properties["Stdout"].Value);
            Assert.Equal("err\n", o.Properties["Stderr"].Value);
            Assert.Empty(r.Errors);
        }

        [Fact]
        public void Non_zero_exit_is_an_error_record_with_the_device_as_target()
        {
            var r = _ps.Run("Invoke-EdgeCommand -Command 'exit 4'");
            Assert.Empty(r.Output);
            var e = Assert.Single(r.Errors);
            Assert.StartsWith("EdgeCommandFailed", e.FullyQualifiedErrorId);
            Assert.Equal(ErrorCategory.InvalidResult, e.CategoryInfo.Category);
            Assert.IsType<EdgeDevice>(e.TargetObject);
        }

        [Fact]
        public void WhatIf_runs_nothing()
        {
            var marker = Path.Combine(Path.GetTempPath(), "edgeops-whatif-" + Guid.NewGuid().ToString("n"));
            var r = _ps.Run("Invoke-EdgeCommand -Command $args[0] -WhatIf", $"touch '{marker}'");
            Assert.Empty(r.Errors);
            Assert.False(File.Exists(marker));
        }

        [Fact]
        public void Test_EdgeDevice_on_the_local_machine()
        {
            var s = _ps.Run("Test-EdgeDevice").Output.Single();
            Assert.True((bool)s.Properties["Reachable"].Value);
            Assert.Equal("Local", s.Properties["HostKey"].Value);
            Assert.True((double)s.Properties["RoundTripMs"].Value > 0);
        }

        [Fact]
        public void Command_timeout_stops_the_command_and_names_the_device()
        {
            var sw = Stopwatch.StartNew();
            var r = _ps.Run("Invoke-EdgeCommand -Command 'sleep 30' -CommandTimeout 1");
            Assert.True(sw.Elapsed < TimeSpan.FromSeconds(15));
            var e = Assert.Single(r.Errors);
            Assert.Contains("-CommandTimeout", e.ToString());
            Assert.Equal(ErrorCategory.OperationTimeout, e.CategoryInfo.Category);
        }

        [Fact]
        public void Stop_cancels_promptly_and_kills_the_process_group()
        {
            var tag = "edgeops-stop-" + Guid.NewGuid().ToString("n")[..8];
            // durations no other test uses, so only this command's processes match
            var a = 3000 + Random.Shared.Next(1000, 9000);
            var pattern = $"sleep ({a}|{a + 1})";
            using var ps = PowerShell.Create();
            ps.Runspace = _ps.Runspace;
            ps.AddScript($"Invoke-EdgeCommand -Command 'sh -c \"sleep {a}; echo {tag}\" & sleep {a + 1}; wait'");
            var ar = ps.BeginInvoke();
            Thread.Sleep(1500);
            Assert.True(Pgrep(pattern) > 0, "the command did not start");
            var sw = Stopwatch.StartNew();
            ps.Stop();
            Assert.True(sw.Elapsed < TimeSpan.FromSeconds(10), "Stop took " + sw.Elapsed);
            // the group gets TERM, then KILL 0.3 s later, from the device's worker after Stop returns: give the kernel a
            // few seconds on a loaded machine (left alone they would live almost an hour)
            var gone = Stopwatch.StartNew();
            while (Pgrep(pattern) > 0 && gone.Elapsed < TimeSpan.FromSeconds(10)) Thread.Sleep(100);
            Assert.True(Pgrep(pattern) == 0, "still running 10 s after Stop: " + EdgeOps.Tests.Backup.Run.Cmd("sh", "-c", $"pgrep -af '^{pattern}$' || true"));
        }

        static int Pgrep(string pattern)
        {
            var psi = new ProcessStartInfo("pgrep") { RedirectStandardOutput = true };
            psi.ArgumentList.Add("-f"); psi.ArgumentList.Add("-c"); psi.ArgumentList.Add("^" + pattern + "$");
            using var p = Process.Start(psi)!;
            var o = p.StandardOutput.ReadToEnd(); p.WaitForExit();
            return int.TryParse(o.Trim(), out var n) ? n : 0;
        }
    }
}
