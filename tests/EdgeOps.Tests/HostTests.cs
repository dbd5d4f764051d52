using EdgeOps.Tests.Infrastructure;
using Xunit;

namespace EdgeOps.Tests
{
    /// <summary>The pwsh-less host (src/EdgeOps.Host): imports the module, runs a command or a .ps1, prints with the module's views.</summary>
    public class HostTests : IDisposable
    {
        readonly string _dir = Directory.CreateTempSubdirectory("edgeops-host-").FullName;
        public void Dispose() => Directory.Delete(_dir, true);

        [Fact]
        public void Command_output_uses_the_module_table_view_without_colour_codes()
        {
            var (exit, stdout, stderr) = IsolationTests.Host("Get-EdgeDevice");
            Assert.True(exit == 0, stderr);
            var header = stdout.Split('\n').First(l => l.Trim().Length > 0);
            Assert.Matches(@"^ComputerName\s+Kind\s+Address\s+User\s+Tags\s+Model\s+RAM\(MiB\)\s+Swap\(MiB\)", header);
            Assert.DoesNotContain("\u001b[", stdout);
            Assert.Contains("(local)", stdout);
        }

        [Fact]
        public void Test_EdgeDevice_and_Invoke_EdgeCommand_print_their_table_views()
        {
            // one host run each: PowerShell's Out-Default keeps the first type's view shape for the rest of a stream
            var (exit, stdout, stderr) = IsolationTests.Host("Test-EdgeDevice");
            Assert.True(exit == 0, stderr);
            var (exit2, stdout2, stderr2) = IsolationTests.Host("Invoke-EdgeCommand -Command 'echo one; echo two; echo oops >&2'");
            Assert.True(exit2 == 0, stderr2);
            var lines = (stdout + "\n" + stdout2).Split('\n').Select(l => l.TrimEnd()).Where(l => l.Length > 0).ToList();
            Assert.Contains(lines, l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^ComputerName\s+HostName\s+User\s+Sudo\s+HostKey\s+Fingerprint\s+RTT\(ms\)\s+Message$"));
            Assert.Contains(lines, l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^ComputerName\s+ExitCode\s+Seconds\s+Stdout\s+Stderr$"));
            Assert.Contains(lines, l => l.Contains("(local)") && l.Contains("Local"));
            Assert.Contains(lines, l => l.Contains("one ... (+1 lines)") && l.Contains("oops"));
        }

        [Fact]
        public async Task File_runs_with_arguments_and_errors_give_a_non_zero_exit()
        {
            var script = Path.Combine(_dir, "it's a script; $(x).ps1");
            File.WriteAllText(script, "param($Name) \"hello $Name\"; Invoke-EdgeCommand -Command 'exit 5'");
            var psi = new System.Diagnostics.ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var a in new[] { Repo.HostDll, "-Module", Repo.ModuleManifest, "-File", script, "-Name", "pi 'five'" }) psi.ArgumentList.Add(a);
            using var p = System.Diagnostics.Process.Start(psi)!;
            var o = p.StandardOutput.ReadToEndAsync(); var e = p.StandardError.ReadToEndAsync();
            await p.WaitForExitAsync();
            Assert.Equal(1, p.ExitCode);
            Assert.Contains("hello pi 'five'", await o);
            Assert.Contains("exited with code 5", await e);
        }

        [Fact]
        public void Success_exits_zero_and_bad_usage_exits_two()
        {
            Assert.Equal(0, IsolationTests.Host("Invoke-EdgeCommand -Command 'true' | Out-Null").exit);
            var psi = new System.Diagnostics.ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
            psi.ArgumentList.Add(Repo.HostDll); psi.ArgumentList.Add("-Bogus");
            using var p = System.Diagnostics.Process.Start(psi)!;
            var err = p.StandardError.ReadToEnd(); p.WaitForExit();
            Assert.Equal(2, p.ExitCode);
            Assert.Contains("unknown argument '-Bogus'", err);
        }
    }
}
