using System;
using System.Collections.Generic;
using System.Management.Automation;
using EdgeOps.Fleet;

namespace EdgeOps.Commands
{
    /// <summary>Backs up the SD card of each device (or a card in a local reader) to a compressed, verified image.</summary>
    [Cmdlet(VerbsData.Backup, "SdCard", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
    [OutputType(typeof(SdCardBackup))]
    public sealed class BackupSdCardCommand : StorageDeviceCmdlet
    {
        [Parameter(Mandatory = true)]
        [ValidateNotNullOrEmpty]
        public string Destination { get; set; }

        [Parameter]
        [ValidateNotNullOrEmpty]
        public string DevicePath { get; set; }

        [Parameter]
        public string[] StopService { get; set; }

        [Parameter] [ValidateRange(0, 10000)] public int Keep { get; set; }
        [Parameter] [ValidateRange(0, 10000)] public int KeepDaily { get; set; }
        [Parameter] [ValidateRange(0, 10000)] public int KeepWeekly { get; set; }
        [Parameter] [ValidateRange(0, 10000)] public int KeepMonthly { get; set; }

        [Parameter] [ValidateRange(1, 19)] public int CompressionLevel { get; set; } = 3;

        [Parameter]
        [ValidateSet("Auto", "Device", "Controller", IgnoreCase = true)]
        public string CompressOn { get; set; } = "Auto";

        string _destination;

        protected override void BeginFleet(IReadOnlyList<EdgeDevice> devices)
        {
            _destination = StorageParameters.Resolve(this, Destination);
        }

        protected override IEnumerable<object> ProcessDevice(IDeviceContext context)
        {
            if (!context.ShouldProcess(EdgeOps.Storage.HttpStore.Redact(_destination), "Back up the SD card" + (string.IsNullOrEmpty(DevicePath) ? "" : " '" + DevicePath + "'")))
                yield break;
            yield return Backup.SdCardBackupService.Run(context, new Backup.BackupRequest
            {
                Destination = _destination, DevicePath = DevicePath, StopService = StopService ?? new string[0],
                Keep = Keep, KeepDaily = KeepDaily, KeepWeekly = KeepWeekly, KeepMonthly = KeepMonthly,
                CompressionLevel = CompressionLevel, CompressOn = CompressOn,
                Storage = StorageOptions(),
            });
        }
    }
}
