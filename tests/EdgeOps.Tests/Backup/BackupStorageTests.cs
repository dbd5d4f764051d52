using EdgeOps.Tests.Infrastructure;
using EdgeOps.Tests.Storage;
using Xunit;

namespace EdgeOps.Tests.Backup
{
    /// <summary>Backups to S3 (s3rver) and Azure Blob (Azurite) on loopback, through the project's storage layer.</summary>
    [Collection("storage")]
    public class BackupStorageTests : IDisposable
    {
        const long MiB = 1024 * 1024;
        readonly StorageServers _servers;
        readonly List<IDisposable> _cleanup = new();
        public BackupStorageTests(StorageServers servers) { _servers = servers; }
        public void Dispose() { foreach (var d in _cleanup.AsEnumerable().Reverse()) d.Dispose(); }

        CardImage Card()
        {
            var card = new CardImage(64 * MiB, "label: dos\nstart=2048, size=32768, type=e\nstart=34816, type=83\n");
            _cleanup.Add(card);
            card.Mkfs(1, "mkfs.vfat", "-F", "16", "-n", "BOOT");
            card.Mkfs(2, "mkfs.ext4", "-q", "-F", "-L", "root");
            card.Fill(2, 4 * MiB, 5);
            return card;
        }

        void RoundTrip(PowerShellSession ps, CardImage card, string location, string storageArgs)
        {
            var paths = new List<string>();
            for (int i = 0; i < 3; i++)
            {
                var r = ps.Run($"Backup-SdCard -ComputerName 'pi \"7\"' -Transport Local -DevicePath $args[0] -Destination $args[1] -Keep 2 {storageArgs}", card.Loop!, location);
                Assert.True(r.Errors.Count == 0, string.Join("\n", r.Errors));
                var o = r.Output.Single();
                Assert.Equal("True", o.Properties["Verified"].Value.ToString());
                paths.Add((string)o.Properties["Path"].Value);
                Assert.Equal(i == 2 ? paths[0].Substring(paths[0].LastIndexOf('/') + 1) : "", o.Properties["Removed"].Value);
            }
            var list = ps.Run($"Get-SdCardBackup -Destination $args[0] {storageArgs}", location);
            Assert.True(list.Errors.Count == 0, string.Join("\n", list.Errors));
            Assert.Equal(new[] { paths[2], paths[1] }, list.Output.Select(o => (string)o.Properties["Path"].Value));
            Assert.All(list.Output, o => Assert.Equal(true, o.Properties["Verified"].Value));
            Assert.All(list.Output, o => Assert.Equal("pi \"7\"", o.Properties["ComputerName"].Value));
        }

        [CardFact]
        public void Backups_go_to_s3_with_retention_and_listing()
        {
            var card = Card();
            using var ps = new PowerShellSession();
            ps.Set("cred", new System.Management.Automation.PSCredential(StorageServers.S3Key, FleetSecure(StorageServers.S3Secret)));
            ps.Set("endpoint", _servers.S3Endpoint);
            var location = _servers.NewS3Location("cards");
            RoundTrip(ps, card, location, "-StorageCredential $cred -Endpoint $endpoint");

            // the listed objects are tested and restored straight from the store
            var t = ps.Run("Get-SdCardBackup -Destination $args[0] -Latest -StorageCredential $cred -Endpoint $endpoint | Test-SdCardBackup -StorageCredential $cred -Endpoint $endpoint", location);
            Assert.True(t.Errors.Count == 0, string.Join("\n", t.Errors));
            var test = t.Output.Single();
            Assert.True((bool)test.Properties["Passed"].Value, (string)test.Properties["FailedChecks"].Value);
            Assert.StartsWith("s3://", (string)test.Properties["Path"].Value);
            Assert.Equal("clean", test.Properties["E2fsck"].Value);
            using var target = new CardImage(64 * MiB, "label: dos\ntype=83\n", "s3-target.img");
            Run.Cmd("wipefs", "-a", target.Loop!);
            var latest = (string)ps.Run("(Get-SdCardBackup -Destination $args[0] -Latest -StorageCredential $cred -Endpoint $endpoint).Path", location).Output.Single().BaseObject;
            var r = ps.Run("Restore-SdCard -Path $args[0] -DevicePath $args[1] -StorageCredential $cred -Endpoint $endpoint -Confirm:$false", latest, target.Loop!);
            Assert.True(r.Errors.Count == 0, string.Join("\n", r.Errors));
            Assert.Equal(true, r.Output.Single().Properties["Verified"].Value);
            Run.Try("partx", "-a", target.Loop!);
            Thread.Sleep(300);
            Assert.Equal(0, Run.Try("e2fsck", "-fn", target.Loop + "p2").code);
        }

        [CardFact]
        public void Backups_go_to_azure_blob_with_a_sas_url()
        {
            var card = Card();
            using var ps = new PowerShellSession();
            RoundTrip(ps, card, _servers.NewAzureSasLocation("cards"), "");
        }

        static System.Security.SecureString FleetSecure(string s) => EdgeOps.Tests.Fleet.FleetTestKit.Secure(s);
    }
}
