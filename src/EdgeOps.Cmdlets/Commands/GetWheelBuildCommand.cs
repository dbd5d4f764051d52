using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using EdgeOps.Builds;
using EdgeOps.Fleet;

namespace EdgeOps.Commands
{
    /// <summary>Get-WheelBuild: the builds on each build host (all, or by -Id), with state, progress and wheels.</summary>
    [Cmdlet(VerbsCommon.Get, "WheelBuild")]
    [OutputType(typeof(WheelBuild))]
    public sealed class GetWheelBuildCommand : WheelBuildCmdlet
    {
        [Parameter(ValueFromPipelineByPropertyName = true)]
        [ValidateNotNullOrEmpty]
        public string[] Id { get; set; }

        [Parameter]
        [ValidateSet("Running", "Succeeded", "Failed", "Interrupted", "Stopped", IgnoreCase = true)]
        public string[] State { get; set; }

        protected override string[] RecordIds => Id;

        protected override IEnumerable<object> ProcessDevice(IDeviceContext context)
        {
            var ids = IdsOf(context);
            var builds = new WheelBuildService(context, BuildRoot).Get(ids);
            foreach (var missing in ids.Where(i => builds.All(b => b.Id != i)))
                context.Warning($"There is no build {missing} on {context.Device.ComputerName}.");
            return builds.Where(b => State == null || State.Any(s => string.Equals(s, b.State, System.StringComparison.OrdinalIgnoreCase)))
                         .OrderBy(b => b.StartedUtc).Cast<object>().ToList();
        }
    }
}
