using System.Management.Automation;
using EdgeOps.Tests.Infrastructure;
using Xunit;

namespace EdgeOps.Tests
{
    public class ModuleTests
    {
        [Fact]
        public void Manifest_exports_exactly_the_cmdlets_the_dll_defines()
        {
            using var ps = new PowerShellSession();
            var exported = ps.Run("(Get-Module EdgeOps).ExportedCmdlets.Keys | Sort-Object").Output.Select(o => o.ToString()).ToList();
            Assert.Contains("Get-EdgeDevice", exported);
            Assert.Contains("Test-EdgeDevice", exported);
            Assert.Contains("Invoke-EdgeCommand", exported);
            var manifest = ps.Run("(Import-PowerShellDataFile $args[0]).CmdletsToExport", Repo.ModuleManifest).Output.Select(o => o.ToString()).ToList();
            // every cmdlet the DLL defines is listed in the manifest
            Assert.All(exported, c => Assert.Contains(c, manifest));
            Assert.Empty(ps.Run("(Import-PowerShellDataFile $args[0]).FunctionsToExport", Repo.ModuleManifest).Output);
        }

        [Fact]
        public void Module_folder_does_not_ship_System_Management_Automation()
        {
            var dir = Path.GetDirectoryName(Repo.ModuleManifest)!;
            Assert.Empty(Directory.GetFiles(dir, "System.Management.Automation.dll", SearchOption.AllDirectories));
            Assert.True(File.Exists(Path.Combine(dir, "EdgeOps.dll")));
            Assert.True(File.Exists(Path.Combine(dir, "Dependencies", "EdgeOps.Engine.dll")));
        }

        [Fact]
        public void Get_EdgeDevice_without_inventory_returns_the_local_machine()
        {
            using var ps = new PowerShellSession();
            var r = ps.Run("Get-EdgeDevice");
            Assert.Empty(r.Errors);
            var d = Assert.Single(r.Output);
            Assert.Equal("Local", d.Properties["Transport"].Value);
            Assert.Equal("EdgeOps.EdgeDevice", d.TypeNames[0]);
        }
    }
}
