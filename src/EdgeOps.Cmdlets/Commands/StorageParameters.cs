using System.Management.Automation;
using EdgeOps.Storage;

namespace EdgeOps.Commands
{
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

        /// <summary>A location as the engine takes it: a URL as given, a PowerShell path resolved against the current location.</summary>
        public static string Resolve(PSCmdlet cmdlet, string location) =>
            IsRemote(location) ? location : cmdlet.GetUnresolvedProviderPathFromPSPath(location);
    }
}
