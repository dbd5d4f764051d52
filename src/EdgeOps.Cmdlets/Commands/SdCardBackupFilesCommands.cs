using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Threading;

namespace EdgeOps.Commands
{

    /// <summary>Checks stored images: hashes, block map, partition table, filesystem headers, e2fsck -n.</summary>
    [Cmdlet(VerbsDiagnostic.Test, "SdCardBackup")]
    [OutputType(typeof(SdCardBackupTest))]
    public sealed class TestSdCardBackupCommand : StorageCmdlet
    {
        [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
        [Alias("FullName", "ImagePath")]
        public string[] Path { get; set; }

        [Parameter]
        public string TempDirectory { get; set; }

        readonly CancellationTokenSource _stop = new CancellationTokenSource();

        protected override void ProcessRecord()
        {
            foreach (var p in Path)
            {
                var full = StorageParameters.IsRemote(p) ? p : GetUnresolvedProviderPathFromPSPath(p);
                var tempDir = string.IsNullOrEmpty(TempDirectory) ? null : GetUnresolvedProviderPathFromPSPath(TempDirectory);
                var record = new ProgressRecord(1, "Testing SD-card backup", full);
                object result;
                try
                {
                    var meter = new Fleet.RateMeter();
                    result = PipelinePump.Work(_stop.Token, pump => Backup.BackupVerifier.Test(full, tempDir, (done, total) =>
                    {
                        if (total <= 0) return;
                        var r = ProgressText.Bytes(new ProgressRecord(1, "Testing SD-card backup", full), "", done, total, meter);
                        pump.Post(() => WriteProgress(r));
                    }, _stop.Token, StorageOptions()));
                }
                catch (EdgeOpsException e)
                {
                    WriteError(ErrorRecords.For(e, full));
                    continue;
                }
                record.RecordType = ProgressRecordType.Completed;
                WriteProgress(record);
                WriteObject(result);
            }
        }

        protected override void StopProcessing() => _stop.Cancel();
    }

    /// <summary>Lists the images stored in a destination, per device, newest first.</summary>
    [Cmdlet(VerbsCommon.Get, "SdCardBackup")]
    [OutputType(typeof(SdCardBackupInfo))]
    public sealed class GetSdCardBackupCommand : StorageCmdlet
    {
        [Parameter(Mandatory = true, Position = 0)]
        [ValidateNotNullOrEmpty]
        public string Destination { get; set; }

        [Parameter(Position = 1, ValueFromPipelineByPropertyName = true)]
        [SupportsWildcards]
        [Alias("Device", "DeviceName")]
        public string[] ComputerName { get; set; }

        [Parameter]
        public SwitchParameter Latest { get; set; }

        readonly HashSet<string> _seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        bool _any;

        protected override void ProcessRecord()
        {
            _any = true;
            Emit(ComputerName);
        }

        protected override void EndProcessing()
        {
            if (!_any) Emit(null);
        }

        void Emit(string[] names)
        {
            var dest = StorageParameters.IsRemote(Destination) ? Destination : GetUnresolvedProviderPathFromPSPath(Destination);
            System.Collections.Generic.List<SdCardBackupInfo> list;
            try { list = Backup.BackupListing.List(dest, names, Latest.IsPresent, StorageOptions()); }
            catch (EdgeOpsException e)
            {
                ThrowTerminatingError(ErrorRecords.For(e, Destination));
                return;
            }
            foreach (var info in list)
            {
                if (!_seen.Add(info.Path ?? "")) continue;
                WriteObject(info);
            }
        }
    }
}
