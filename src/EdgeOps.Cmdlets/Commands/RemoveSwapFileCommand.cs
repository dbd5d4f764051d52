using System.Collections.Generic;
using System.Management.Automation;
using EdgeOps.Fleet;
using EdgeOps.Swap;

namespace EdgeOps.Commands
{
    /// <summary>Remove-SwapFile: swapoff, persistence entry removed, file deleted; refuses when the used swap would not fit in RAM.</summary>
    [Cmdlet(VerbsCommon.Remove, "SwapFile", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
    [OutputType(typeof(SwapFileRemoval))]
    public sealed class RemoveSwapFileCommand : EdgeDeviceCmdlet
    {
        /// <summary>The swap file to remove; binds from the pipeline, so a swap area piped in (Get-SwapFile) is the one removed.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)]
        [ValidateNotNullOrEmpty]
        public string Path { get; set; }

        protected override object CaptureItem() => Path;

        protected override IEnumerable<object> ProcessDevice(IDeviceContext context)
        {
            var result = new SwapService(context).Remove((string)ItemOf(context));
            if (result != null) yield return result;
        }
    }
}
