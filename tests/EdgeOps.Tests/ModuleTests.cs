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
            var exported = ps.Run("(Get-Module EdgeOps).ExportedCmdlets.Keys").Output.Select(o => o.ToString()).ToList();
            Assert.Contains("Get-EdgeDevice", exported);
            Assert.Contains("Test-EdgeDevice", exported);
            Assert.Contains("Invoke-EdgeCommand", exported);
            var data = ReadManifest();
            var manifest = ((object[])data["CmdletsToExport"]!).Cast<string>().ToList();
            // Every cmdlet class the DLL defines (read from the assembly, not from the exports, which the manifest
            // filters) is listed in the manifest, and the manifest lists nothing else.
            var asm = (System.Reflection.Assembly)ps.Run("(Get-Module EdgeOps).ImplementingAssembly").Output.Single().BaseObject;
            Type[] types;
            try { types = asm.GetTypes(); }
            catch (System.Reflection.ReflectionTypeLoadException e) { types = e.Types.Where(t => t != null).ToArray()!; }
            var defined = types.Where(t => !t.IsAbstract)
                .Select(t => t.GetCustomAttributes(typeof(CmdletAttribute), false).OfType<CmdletAttribute>().FirstOrDefault())
                .Where(a => a != null).Select(a => $"{a!.VerbName}-{a.NounName}")
                .OrderBy(n => n, StringComparer.Ordinal).ToList();
            Assert.True(defined.Count >= 17, string.Join(", ", defined));
            Assert.Equal(defined, manifest.OrderBy(n => n, StringComparer.Ordinal).ToList());
            Assert.Equal(defined, exported.OrderBy(n => n, StringComparer.Ordinal).ToList());
            Assert.DoesNotContain("*", manifest);
            foreach (var key in new[] { "FunctionsToExport", "AliasesToExport", "VariablesToExport" })
                Assert.Empty((object[])data[key]!);
            Assert.Equal("EdgeOps.dll", data["RootModule"]);
            Assert.Equal(new object[] { "Desktop", "Core" }, (object[])data["CompatiblePSEditions"]!);
            Assert.Equal("5.1", data["PowerShellVersion"]);
            Assert.Contains("EdgeOps.Format.ps1xml", ((object[])data["FormatsToProcess"]!).Cast<string>());
        }

        [Fact]
        public void Every_result_type_has_a_default_table_view_in_a_format_file_the_manifest_loads()
        {
            var data = ReadManifest();
            var dir = Path.GetDirectoryName(Repo.ModuleManifest)!;
            var tableViews = ((object[])data["FormatsToProcess"]!).Cast<string>()
                .SelectMany(f => System.Xml.Linq.XDocument.Load(Path.Combine(dir, f)).Descendants("View"))
                .Where(v => v.Element("TableControl") != null)
                .SelectMany(v => v.Descendants("TypeName").Select(t => t.Value.Trim()))
                .ToHashSet();
            using var ps = new PowerShellSession();
            var outputTypes = ps.Run("(Get-Module EdgeOps).ExportedCmdlets.Values | ForEach-Object { $_.OutputType } | ForEach-Object { $_.Name }")
                .Output.Select(o => o.ToString()).Distinct().ToList();
            Assert.Contains("EdgeOps.DeviceStatus", outputTypes);
            // FileInfo (Export-EdgeBenchmarkReport) has PowerShell's own view
            var ours = outputTypes.Where(t => t.StartsWith("EdgeOps.", StringComparison.Ordinal)).ToList();
            Assert.True(ours.Count >= 15, string.Join(", ", outputTypes));
            Assert.All(ours, t => Assert.True(tableViews.Contains(t), t + " has no table view"));
        }

        static System.Collections.Hashtable ReadManifest()
        {
            var ast = System.Management.Automation.Language.Parser.ParseFile(Repo.ModuleManifest, out _, out var errors);
            Assert.Empty(errors);
            var hash = ast.Find(a => a is System.Management.Automation.Language.HashtableAst, false)!;
            return (System.Collections.Hashtable)hash.SafeGetValue();
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
