using System.Collections.Generic;
using System.Management.Automation;
using EdgeOps.Fleet;
using EdgeOps.Swap;

namespace EdgeOps.Commands
{
    /// <summary>Get-SwapFile: every active or configured swap area (file, partition, zram) of each device.</summary>
    [Cmdlet(VerbsCommon.Get, "SwapFile")]
    [OutputType(typeof(SwapArea))]
    public sealed class GetSwapFileCommand : EdgeDeviceCmdlet
    {
        protected override IEnumerable<object> ProcessDevice(IDeviceContext context) => new SwapService(context).Get();
    }
}
