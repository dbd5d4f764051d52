using System;
using System.Collections.Generic;
using System.Management.Automation;
using EdgeOps.Fleet;

namespace EdgeOps.Commands
{
    /// <summary>Writes a backup image to a card: a local block device (card reader) or a device path over the transport.</summary>
    [Cmdlet(VerbsData.Restore, "SdCard", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
    [OutputType(typeof(SdCardRestore))]
    public sealed class RestoreSdCardCommand : StorageDeviceCmdlet
    {
        /// <summary>The image; binds from the pipeline, so a backup piped in (Get-SdCardBackup, Backup-SdCard) is the one written.</summary>
        [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true)]
        [ValidateNotNullOrEmpty]
        [Alias("ImagePath")]
        public string Path { get; set; }

        [Parameter(Mandatory = true)]
        [ValidateNotNullOrEmpty]
        public string DevicePath { get; set; }

        [Parameter]
        public SwitchParameter Full { get; set; }

        protected override object CaptureItem() => StorageParameters.Resolve(this, Path);

        protected override IEnumerable<object> ProcessDevice(IDeviceContext context)
        {
            var r = Backup.SdCardRestoreService.Run(context, new Backup.RestoreRequest
            {
                Path = (string)ItemOf(context), DevicePath = DevicePath, Full = Full, Storage = StorageOptions(),
            });
            if (r != null) yield return r;
        }
    }
}
