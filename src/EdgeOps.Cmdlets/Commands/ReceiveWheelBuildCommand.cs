using System;
using System.Collections.Generic;
using System.Management.Automation;
using EdgeOps.Builds;
using EdgeOps.Fleet;
using EdgeOps.Storage;

namespace EdgeOps.Commands
{
    /// <summary>
    /// Receive-WheelBuild: copies a finished build's wheels to this machine (checked against the build host's sha256)
    /// and stores them in a folder, S3 or Azure Blob; -Publish adds them to that destination's catalog.
    /// </summary>
    [Cmdlet(VerbsCommunications.Receive, "WheelBuild", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
    [OutputType(typeof(TorchWheelEntry))]
    public sealed class ReceiveWheelBuildCommand : StorageDeviceCmdlet
    {
        [Parameter(ValueFromPipelineByPropertyName = true)]
        [ValidateNotNullOrEmpty]
        public string[] Id { get; set; }

        [Parameter(Mandatory = true, Position = 1)]
        [ValidateNotNullOrEmpty]
        public string Destination { get; set; }

        [Parameter] public SwitchParameter Publish { get; set; }

        [Parameter]
        [ValidateNotNullOrEmpty]
        public string CatalogName { get; set; } = "catalog.yaml";

        [Parameter] public SwitchParameter Force { get; set; }

        [Parameter]
        [ValidateNotNullOrEmpty]
        public string BuildRoot { get; set; }

        protected override bool ForceRequested => Force.IsPresent;

        object _store;   // IObjectStore

        protected override object CaptureItem() => BuildIds.Capture(Id);

        protected override void BeginFleet(IReadOnlyList<EdgeDevice> devices)
        {
            try
            {
                _store = ObjectStores.OpenWritable(StorageParameters.Resolve(this, Destination), StorageOptions());
            }
            catch (EdgeOpsException e)
            {
                ThrowTerminatingError(ErrorRecords.For(e, Destination));
            }
        }

        protected override IEnumerable<object> ProcessDevice(IDeviceContext context)
        {
            var ids = BuildIds.Of(ItemOf(context));
            if (ids.Count == 0)
                throw new EdgeOpsException("WheelBuildIdMissing", "InvalidArgument",
                    $"{context.Device.ComputerName}: give the build to receive: -Id, or pipe it from Wait-WheelBuild or Get-WheelBuild.");
            var service = new WheelBuildService(context, BuildRoot);
            foreach (var id in ids)
                foreach (var entry in service.Receive(id, (IObjectStore)_store, "", Publish, CatalogName, Force, null, context.Verbose))
                    yield return entry;
        }

        protected override void EndFleet() => (_store as IDisposable)?.Dispose();
    }
}
