using System.Collections.Generic;
using System.Management.Automation;
using EdgeOps.Builds;
using EdgeOps.Fleet;

namespace EdgeOps.Commands
{
    /// <summary>Stop-WheelBuild: ends a build's whole process group on its build host; the state becomes Stopped.</summary>
    [Cmdlet(VerbsLifecycle.Stop, "WheelBuild", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
    [OutputType(typeof(WheelBuild))]
    public sealed class StopWheelBuildCommand : WheelBuildCmdlet
    {
        [Parameter(ValueFromPipelineByPropertyName = true)]
        [ValidateNotNullOrEmpty]
        public string[] Id { get; set; }

        /// <summary>Seconds between TERM and KILL.</summary>
        [Parameter]
        [ValidateRange(0, 3600)]
        public int GraceSeconds { get; set; } = 10;

        protected override string[] RecordIds => Id;

        protected override IEnumerable<object> ProcessDevice(IDeviceContext context)
        {
            var ids = IdsOf(context);
            if (ids.Count == 0)
                throw new EdgeOpsException("WheelBuildIdMissing", "InvalidArgument",
                    $"{context.Device.ComputerName}: give the build to stop: -Id, or pipe it from Get-WheelBuild.");
            var service = new WheelBuildService(context, BuildRoot);
            foreach (var id in ids)
            {
                var b = service.Stop(id, GraceSeconds);
                if (b != null) yield return b;
            }
        }
    }
}
