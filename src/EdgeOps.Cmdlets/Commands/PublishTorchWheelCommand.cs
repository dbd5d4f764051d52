using System;
using System.Collections.Generic;
using System.Management.Automation;
using EdgeOps.Storage;
using EdgeOps.Wheels;

namespace EdgeOps.Commands
{
    /// <summary>Uploads wheels built elsewhere to a storage location and adds them to its catalog.</summary>
    [Cmdlet(VerbsData.Publish, "TorchWheel", SupportsShouldProcess = true)]
    [OutputType(typeof(TorchWheelEntry))]
    public sealed class PublishTorchWheelCommand : StorageCmdlet
    {
        [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
        [Alias("FullName")]
        [ValidateNotNullOrEmpty]
        public string[] Path { get; set; }

        [Parameter(Mandatory = true, Position = 1)]
        [ValidateNotNullOrEmpty]
        public string Destination { get; set; }

        [Parameter]
        [ValidateNotNullOrEmpty]
        public string CatalogName { get; set; } = "catalog.yaml";

        [Parameter] public string L4T { get; set; }
        [Parameter] public string JetPack { get; set; }
        [Parameter] public string Cuda { get; set; }
        [Parameter] public string[] DeviceKind { get; set; }
        [Parameter] public string[] SystemLibrary { get; set; }
        [Parameter] public string[] SystemPackage { get; set; }
        [Parameter] public string[] Requires { get; set; }
        [Parameter] public string TorchVersion { get; set; }
        [Parameter] public SwitchParameter Force { get; set; }


        object _store;   // IObjectStore, held as object (see InstallTorchWheelCommand)

        protected override void BeginProcessing()
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

        protected override void ProcessRecord()
        {
            var store = (IObjectStore)_store;
            foreach (var p in Path)
            {
                string file;
                try { file = GetUnresolvedProviderPathFromPSPath(p); }
                catch (Exception e) when (e is ItemNotFoundException || e is ProviderNotFoundException || e is DriveNotFoundException)
                {
                    WriteError(ErrorRecords.New("WheelFileNotFound", "ObjectNotFound",
                        $"-Path: the wheel '{p}' cannot be found ({e.Message.TrimEnd('.')}). Give the path of a .whl file.", p, e));
                    continue;
                }
                var name = System.IO.Path.GetFileName(file);
                if (!ShouldProcess($"{store.Location}{CatalogName}", $"Publish {name}")) continue;
                var activity = "Publishing " + name;
                long total = System.IO.File.Exists(file) ? new System.IO.FileInfo(file).Length : 0;
                var meter = new EdgeOps.Fleet.RateMeter();
                var constraints = new WheelConstraints
                {
                    L4T = L4T, JetPack = JetPack, Cuda = Cuda, Devices = DeviceKind, SystemLibraries = SystemLibrary,
                    SystemPackages = SystemPackage, Requires = Requires, Torch = TorchVersion,
                };
                // The upload runs on a worker; progress and verbose text are written on the pipeline thread.
                try
                {
                    WriteObject(PipelinePump.Work(_stop.Token, pump => WheelPublisher.Publish(store, CatalogName, file, constraints, Force,
                        new SyncProgress(v => pump.Post(() => WriteProgress(ProgressText.Bytes(new ProgressRecord(1, activity, "..."), "", v, total, meter)))),
                        m => pump.Post(() => WriteVerbose(m)), _stop.Token)));
                }
                catch (EdgeOpsException e)
                {
                    WriteError(ErrorRecords.For(e, p));
                }
                catch (Exception e) when (!(e is PipelineStoppedException))
                {
                    WriteError(ErrorRecords.New("PublishFailed", "WriteError",
                        $"Publishing {name} to {store.Location} failed ({e.Message.TrimEnd('.')}). The catalog was not changed: check the destination and run Publish-TorchWheel again.", p, e));
                }
                finally
                {
                    WriteProgress(new ProgressRecord(1, activity, "Done") { RecordType = ProgressRecordType.Completed });
                }
            }
        }

        readonly System.Threading.CancellationTokenSource _stop = new System.Threading.CancellationTokenSource();
        protected override void StopProcessing() => _stop.Cancel();

        protected override void EndProcessing() => (_store as IDisposable)?.Dispose();

        /// <summary>Progress from whichever thread the store reports on.</summary>
        sealed class SyncProgress : IProgress<long>
        {
            readonly Action<long> _report;
            public SyncProgress(Action<long> report) { _report = report; }
            public void Report(long value) => _report(value);
        }
    }
}
