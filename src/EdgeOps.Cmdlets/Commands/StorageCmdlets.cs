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

    /// <summary>Storage parameters into the engine's options; what a location string names.</summary>
    static class StorageParameters
    {
        public static StorageOptions Build(PSCredential credential, string endpoint, string region) => new StorageOptions
        {
            Credential = credential?.GetNetworkCredential(),
            Endpoint = endpoint,
            Region = region,
        };

        public static bool IsRemote(string location) =>
            System.Text.RegularExpressions.Regex.IsMatch(location ?? "", "^(https?|s3|az|file)://", System.Text.RegularExpressions.RegexOptions.IgnoreCase);
    }
}
