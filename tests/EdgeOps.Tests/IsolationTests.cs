using System.Diagnostics;
using EdgeOps.Tests.Infrastructure;
using Xunit;

namespace EdgeOps.Tests
{
    /// <summary>
    /// Dependency isolation, for real: in a fresh process (./edgeops: pwsh, which references neither EdgeOps
    /// nor YamlDotNet), another YamlDotNet version is loaded first, as powershell-yaml would; then EdgeOps imports
    /// and reads an inventory with its own YamlDotNet 18 in its own load context.
    /// </summary>
    public class IsolationTests
    {
        static string OldYamlDotNet()
        {
            var root = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
                       ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
            return Path.Combine(root, "yamldotnet", "13.7.1", "lib", "netstandard2.0", "YamlDotNet.dll");
        }

        public static (int exit, string stdout, string stderr) Host(string command)
        {
            var psi = new ProcessStartInfo(Repo.Edgeops) { RedirectStandardOutput = true, RedirectStandardError = true };
            psi.ArgumentList.Add("-Command"); psi.ArgumentList.Add(command);
            psi.Environment["NO_COLOR"] = "1";
            using var p = Process.Start(psi)!;
            var o = p.StandardOutput.ReadToEndAsync(); var e = p.StandardError.ReadToEndAsync();
            p.WaitForExit();
            return (p.ExitCode, o.Result, e.Result);
        }

        [Fact]
        public void EdgeOps_uses_its_own_YamlDotNet_when_another_version_is_already_loaded()
        {
            var old = OldYamlDotNet();
            Assert.True(File.Exists(old), "YamlDotNet 13.7.1 is restored by the test project (PackageDownload): " + old);
            var inv = Path.Combine(Repo.Root, "examples", "fleet.yaml");
            var (exit, stdout, stderr) = Host(
                "$null = [System.Reflection.Assembly]::LoadFrom('" + old + "'); " +
                "$before = [AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { $_.GetName().Name -eq 'YamlDotNet' } | ForEach-Object { $_.GetName().Version.Major }; " +
                "$devices = Get-EdgeDevice -Inventory '" + inv + "'; " +
                "$after = [AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { $_.GetName().Name -eq 'YamlDotNet' } | ForEach-Object { $_.GetName().Version.Major }; " +
                "$ctx = [System.Runtime.Loader.AssemblyLoadContext]::GetLoadContext(($devices[0].psobject.BaseObject).GetType().Assembly).GetType().Name; " +
                "\"before=$before after=$($after -join ',') count=$($devices.Count) ctx=$ctx\"");
            Assert.True(exit == 0, stderr + stdout);
            Assert.Contains("before=13 after=13,18 count=4", stdout);
            Assert.Contains("ctx=EngineLoadContext", stdout);
        }
    }
}
