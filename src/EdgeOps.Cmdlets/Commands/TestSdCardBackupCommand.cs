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
                var full = StorageParameters.Resolve(this, p);
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
}
