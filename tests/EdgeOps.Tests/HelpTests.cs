using System.Management.Automation;
using EdgeOps.Tests.Infrastructure;
using Xunit;

namespace EdgeOps.Tests
{
    /// <summary>Get-Help -Full gives a synopsis, a description, every parameter and at least two examples, for every cmdlet.</summary>
    public class HelpTests : IClassFixture<HelpTests.Session>
    {
        public sealed class Session : IDisposable
        {
            public PowerShellSession PS { get; } = new();
            public void Dispose() => PS.Dispose();
        }

        static readonly HashSet<string> Common = new(StringComparer.OrdinalIgnoreCase)
        {
            "Verbose", "Debug", "ErrorAction", "WarningAction", "InformationAction", "ProgressAction", "ErrorVariable",
            "WarningVariable", "InformationVariable", "OutVariable", "OutBuffer", "PipelineVariable",
        };

        readonly PowerShellSession _ps;
        public HelpTests(Session s) { _ps = s.PS; }

        public static IEnumerable<object[]> Cmdlets()
        {
            using var ps = new PowerShellSession();
            return ps.Run("(Get-Module EdgeOps).ExportedCmdlets.Keys").Output.Select(o => new object[] { o.ToString() }).ToList();
        }

        [Theory]
        [MemberData(nameof(Cmdlets))]
        public void Every_cmdlet_has_full_help(string cmdlet)
        {
            var help = _ps.Run("Get-Help $args[0] -Full", cmdlet).Output.Single();
            string synopsis = help.Properties["Synopsis"].Value?.ToString()?.Trim() ?? "";
            Assert.False(string.IsNullOrWhiteSpace(synopsis), $"{cmdlet}: no synopsis");
            Assert.DoesNotContain(cmdlet + " ", synopsis.Substring(0, Math.Min(synopsis.Length, cmdlet.Length + 1)) + " "); // not the auto-generated syntax
            var description = _ps.Run("($args[0].description | ForEach-Object Text) -join ' '", help).Output.Single().ToString();
            Assert.True(description.Length > 40, $"{cmdlet}: description missing or too short");
            var examples = _ps.Run("@($args[0].examples.example).Count", help).Output.Single();
            Assert.True((int)examples.BaseObject >= 2, $"{cmdlet}: needs at least two examples, has {examples}");
            var documented = _ps.Run("$args[0].parameters.parameter | Where-Object { ($_.description | ForEach-Object Text) -join '' } | ForEach-Object name", help)
                .Output.Select(o => o.ToString()).ToHashSet(StringComparer.OrdinalIgnoreCase);
            var actual = _ps.Run("(Get-Command $args[0]).Parameters.Keys", cmdlet).Output.Select(o => o.ToString()).Where(p => !Common.Contains(p)).ToList();
            var missing = actual.Where(p => !documented.Contains(p)).ToList();
            Assert.True(missing.Count == 0, $"{cmdlet}: parameters without help: {string.Join(", ", missing)}");
            var extra = documented.Where(p => !actual.Contains(p, StringComparer.OrdinalIgnoreCase)).ToList();
            Assert.True(extra.Count == 0, $"{cmdlet}: help documents parameters that do not exist: {string.Join(", ", extra)}");
        }

        [Fact]
        public void About_topic_is_shipped()
        {
            var text = string.Join("\n", _ps.Run("Get-Help about_EdgeOps").Output.Select(o => o.ToString()));
            Assert.Contains("Get-EdgeDevice", text);
        }
    }
}
