using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Threading;

namespace EdgeOps.Commands
{
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
            var dest = StorageParameters.Resolve(this, Destination);
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
