using System.Management.Automation;
using EdgeOps.Storage;

namespace EdgeOps.Commands
{
    /// <summary>
    /// Parameters for the object stores (S3, Azure Blob, HTTP, folders) shared by every cmdlet that reads or
    /// writes storage: a device cmdlet (Install-TorchWheel, Backup-SdCard, Restore-SdCard) ...
    /// </summary>
    public abstract class StorageDeviceCmdlet : EdgeDeviceCmdlet
    {
        [Parameter]
        [Credential]
        public PSCredential StorageCredential { get; set; }

        [Parameter]
        [ValidateNotNullOrEmpty]
        public string Endpoint { get; set; }

        [Parameter]
        [ValidateNotNullOrEmpty]
        public string Region { get; set; }

        internal StorageOptions StorageOptions() => StorageParameters.Build(StorageCredential, Endpoint, Region);
    }
}
