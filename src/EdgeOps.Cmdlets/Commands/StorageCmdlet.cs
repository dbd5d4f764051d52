using System.Management.Automation;
using EdgeOps.Storage;

namespace EdgeOps.Commands
{
    /// <summary>... and a cmdlet that works on storage alone (Publish-TorchWheel, Test-SdCardBackup, Get-SdCardBackup).</summary>
    public abstract class StorageCmdlet : PSCmdlet
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
