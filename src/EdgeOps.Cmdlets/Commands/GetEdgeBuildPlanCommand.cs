using System.Collections.Generic;
using System.Management.Automation;
using EdgeOps.Fleet;
using EdgeOps.Swap;

namespace EdgeOps.Commands
{
    /// <summary>Get-EdgeBuildPlan: the safe number of parallel compile jobs (MAX_JOBS) per device, and the swap N jobs need.</summary>
    [Cmdlet(VerbsCommon.Get, "EdgeBuildPlan")]
    [OutputType(typeof(EdgeBuildPlan))]
    public sealed class GetEdgeBuildPlanCommand : EdgeDeviceCmdlet
    {
        [Parameter]
        [ValidateSet("pytorch", "opencv", "generic", IgnoreCase = true)]
        public string Profile { get; set; } = "pytorch";

        [Parameter]
        [ValidateRange(64L << 20, 1L << 40)]
        public long MemoryPerJob { get; set; }

        [Parameter]
        [ValidateRange(1, 256)]
        public int Jobs { get; set; }

        protected override IEnumerable<object> ProcessDevice(IDeviceContext context)
        {
            bool Bound(string n) => MyInvocation.BoundParameters.ContainsKey(n);
            yield return new SwapService(context).BuildPlan(Profile,
                Bound(nameof(MemoryPerJob)) ? MemoryPerJob : (long?)null, Bound(nameof(Jobs)) ? Jobs : (int?)null);
        }
    }
}
