using System.Collections.Generic;
using System.Management.Automation;
using EdgeOps.Fleet;
using EdgeOps.Swap;

namespace EdgeOps.Commands
{
    /// <summary>New-SwapFile: a swap file sized in bytes or for N parallel compile jobs, through the device's own swap manager.</summary>
    [Cmdlet(VerbsCommon.New, "SwapFile", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = "Size")]
    [OutputType(typeof(SwapFileResult))]
    public sealed class NewSwapFileCommand : EdgeDeviceCmdlet
    {
        [Parameter(Mandatory = true, ParameterSetName = "Size")]
        [ValidateRange(1L << 20, 1L << 40)]
        public long Size { get; set; }

        [Parameter(Mandatory = true, ParameterSetName = "BuildJobs")]
        [ValidateRange(1, 256)]
        public int ForBuildJobs { get; set; }

        [Parameter(ParameterSetName = "BuildJobs")]
        [ValidateRange(64L << 20, 1L << 40)]
        public long MemoryPerJob { get; set; }

        [Parameter(ParameterSetName = "BuildJobs")]
        [ValidateSet("pytorch", "opencv", "generic", IgnoreCase = true)]
        public string Profile { get; set; } = "pytorch";

        [Parameter]
        [ValidateNotNullOrEmpty]
        public string Path { get; set; }

        [Parameter]
        [ValidateRange(0, 200)]
        public int Swappiness { get; set; }

        [Parameter]
        [ValidateRange(0, 32767)]
        public int Priority { get; set; }

        bool Bound(string name) => MyInvocation.BoundParameters.ContainsKey(name);

        protected override IEnumerable<object> ProcessDevice(IDeviceContext context)
        {
            var request = new SwapRequest
            {
                Path = Path,
                SizeBytes = ParameterSetName == "Size" ? Size : (long?)null,
                ForBuildJobs = ParameterSetName == "BuildJobs" ? ForBuildJobs : (int?)null,
                MemoryPerJobBytes = Bound(nameof(MemoryPerJob)) ? MemoryPerJob : BuildProfile.Get(Profile).MemoryPerJobBytes,
                Priority = Bound(nameof(Priority)) ? Priority : (int?)null,
                Swappiness = Bound(nameof(Swappiness)) ? Swappiness : (int?)null,
            };
            var result = new SwapService(context).New(request);
            if (result != null) yield return result;
        }
    }
}
