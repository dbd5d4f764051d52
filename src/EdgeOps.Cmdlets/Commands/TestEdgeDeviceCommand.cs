using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using EdgeOps.Fleet;

namespace EdgeOps.Commands
{
    [Cmdlet(VerbsDiagnostic.Test, "EdgeDevice")]
    [OutputType(typeof(DeviceStatus))]
    public sealed class TestEdgeDeviceCommand : EdgeDeviceCmdlet
    {
        protected override IEnumerable<object> ProcessDevice(IDeviceContext context)
        {
            yield return DevicePing.Test(context);
        }
    }
}
