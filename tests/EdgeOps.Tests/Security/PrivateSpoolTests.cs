using System.Security.Cryptography;
using System.Text;
using EdgeOps.Tests.Backup;
using EdgeOps.Tests.Fleet;
using EdgeOps.Tests.Infrastructure;
using EdgeOps.Tests.Storage;
using Xunit;

namespace EdgeOps.Tests.Security;

/// <summary>
/// Card images and their spool stay private on the controller (issue 17, findings 2 and 10): real card images on
/// loop devices, backed up to s3rver and to a folder, with real links planted by "another local user".
/// </summary>
[Collection("storage")]
public class PrivateSpoolTests : IDisposable
{
    const long MiB = 1024 * 1024;
    readonly StorageServers _servers;
    readonly List<IDisposable> _cleanup = new();
    readonly List<string> _remove = new();
    public PrivateSpoolTests(StorageServers servers) { _servers = servers; }

    public void Dispose()
    {
        foreach (var p in _remove)
        {
            try { if (Directory.Exists(p) && (File.GetAttributes(p) & FileAttributes.ReparsePoint) == 0) Directory.Delete(p, true); else File.Delete(p); }
            catch (IOException) { }
        }
        foreach (var d in _cleanup.AsEnumerable().Reverse()) d.Dispose();
    }

    CardImage Card() => SmallCard(_cleanup);

    /// <summary>A 64 MiB card (FAT16 boot, ext4 root with some data), disposed with the test.</summary>
    internal static CardImage SmallCard(List<IDisposable> cleanup)
    {
        var card = new CardImage(64 * MiB, "label: dos\nstart=2048, size=32768, type=e\nstart=34816, type=83\n");
        cleanup.Add(card);
        card.Mkfs(1, "mkfs.vfat", "-F", "16", "-n", "BOOT");
        card.Mkfs(2, "mkfs.ext4", "-q", "-F", "-L", "root");
        card.Fill(2, 4 * MiB, 7);
        return card;
    }

    sealed class Undo(Action a) : IDisposable { public void Dispose() => a(); }

    static string Mode(string path) => Run.Cmd("stat", "-c", "%a %U", path).Trim();

    [CardFact]
    public void A_planted_symlink_in_a_precreated_spool_folder_is_not_followed()
    {
        var card = Card();
        var location = _servers.NewS3Location("cards");
        const string device = "spool-victim";
        // another local user made the spool folder first and filled it with links, under the names the next minutes'
        // backups of this device to this location would use, to a root-owned 0600 file
        var spool = Path.Combine(Path.GetTempPath(), "edgeops-backup-spool");
        var existed = Directory.Exists(spool);
        var ownerBefore = existed ? Run.Cmd("stat", "-c", "%u:%g %a", spool).Trim().Split(' ') : null;
        Directory.CreateDirectory(spool);
        Run.Cmd("chown", "nobody", spool); Run.Cmd("chmod", "1777", spool);
        _cleanup.Add(new Undo(() =>
        {
            if (ownerBefore == null) { try { Directory.Delete(spool); } catch (IOException) { } }
            else { Run.Cmd("chown", ownerBefore[0], spool); Run.Cmd("chmod", ownerBefore[1], spool); }
        }));
        var victim = Path.Combine(Path.GetTempPath(), $"edgeops-victim-{Guid.NewGuid():N}");
        File.WriteAllText(victim, "root's own secret\n"); Run.Cmd("chmod", "600", victim);
        _remove.Add(victim);
        string storeLocation;
        using (var s = EdgeOps.Storage.ObjectStores.Open(location, _servers.S3Options)) storeLocation = s.Location;
        var prefix = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(storeLocation + "|" + device)))[..16].ToLowerInvariant();
        var now = DateTime.UtcNow;
        for (int sec = -5; sec < 180; sec++)
        {
            var b = device + "-" + now.AddSeconds(sec).ToString("yyyyMMdd'T'HHmmss'Z'");
            foreach (var suffix in new[] { ".img.zst", ".img.bmap", ".json" })
            {
                var link = Path.Combine(spool, $"{prefix}-.{b}{suffix}.partial");
                if (!File.Exists(link)) File.CreateSymbolicLink(link, victim);
                _remove.Add(link);
            }
        }
        var linksBefore = Directory.GetFiles(spool).Length;

        using var ps = new PowerShellSession();
        ps.Set("cred", new System.Management.Automation.PSCredential(StorageServers.S3Key, FleetTestKit.Secure(StorageServers.S3Secret)));
        ps.Set("endpoint", _servers.S3Endpoint);
        var r = ps.Run($"Backup-SdCard -ComputerName {device} -Transport Local -DevicePath $args[0] -Destination $args[1] -StorageCredential $cred -Endpoint $endpoint", card.Loop!, location);
        Assert.True(r.Errors.Count == 0, string.Join("\n", r.Errors));
        Assert.Equal("True", r.Output.Single().Properties["Verified"].Value.ToString());
        Assert.Equal("root's own secret\n", File.ReadAllText(victim));           // not overwritten through a link
        Assert.Equal("600 root", Mode(victim));
        Assert.Equal(linksBefore, Directory.GetFiles(spool).Length);               // the planted folder was not used at all
        Assert.All(Directory.GetFiles(spool), f => Assert.True((File.GetAttributes(f) & FileAttributes.ReparsePoint) != 0));
    }

    [CardFact]
    public void The_spool_of_a_run_is_a_fresh_0700_folder_with_0600_files()
    {
        // the store as the backup service uses it: a staged object's spool file while the run is in progress
        using var store = EdgeOps.Storage.ObjectStores.Open(_servers.NewS3Location("cards"), _servers.S3Options);
        using var staged = store.Stage("dev/x.img.zst", CancellationToken.None);
        staged.WriteByte(1);
        var spool = Path.GetDirectoryName(staged.TempPath)!;
        Assert.NotEqual(Path.Combine(Path.GetTempPath(), "edgeops-backup-spool"), spool);
        Assert.Equal("700 root", Mode(spool));
        var file = Assert.Single(Directory.GetFiles(spool));
        Assert.Equal("600 root", Mode(file));
        store.Dispose();
        Assert.False(Directory.Exists(spool), "the spool folder goes with the run");
    }

    [CardFact]
    public void Backup_images_in_a_folder_are_0600_and_a_planted_link_under_a_temporary_name_is_replaced_not_followed()
    {
        var card = Card();
        var dest = Path.Combine(Path.GetTempPath(), $"edgeops-dest-{Guid.NewGuid():N}");
        _remove.Add(dest);
        const string device = "modes";
        Directory.CreateDirectory(Path.Combine(dest, device));
        var victim = Path.Combine(dest, "victim");
        File.WriteAllText(victim, "keep me\n");
        var now = DateTime.UtcNow;
        for (int sec = -5; sec < 180; sec++)
            File.CreateSymbolicLink(Path.Combine(dest, device, $".{device}-{now.AddSeconds(sec):yyyyMMdd'T'HHmmss'Z'}.img.zst.partial"), victim);
        using var ps = new PowerShellSession();
        var r = ps.Run($"Backup-SdCard -ComputerName {device} -Transport Local -DevicePath $args[0] -Destination $args[1]", card.Loop!, dest);
        Assert.True(r.Errors.Count == 0, string.Join("\n", r.Errors));
        Assert.Equal("keep me\n", File.ReadAllText(victim));
        var written = Directory.GetFiles(Path.Combine(dest, device)).Where(f => !Path.GetFileName(f).StartsWith('.')).ToList();
        Assert.Equal(3, written.Count);   // image, block map, manifest
        Assert.All(written, f => Assert.Equal("600 root", Mode(f)));
    }

    [CardFact]
    public void Restore_and_test_downloads_go_to_a_0700_folder_with_0600_files()
    {
        var card = Card();
        var location = _servers.NewS3Location("cards");
        using var ps = new PowerShellSession();
        ps.Set("cred", new System.Management.Automation.PSCredential(StorageServers.S3Key, FleetTestKit.Secure(StorageServers.S3Secret)));
        ps.Set("endpoint", _servers.S3Endpoint);
        var r = ps.Run("Backup-SdCard -ComputerName fetched -Transport Local -DevicePath $args[0] -Destination $args[1] -StorageCredential $cred -Endpoint $endpoint", card.Loop!, location);
        Assert.True(r.Errors.Count == 0, string.Join("\n", r.Errors));
        var path = (string)r.Output.Single().Properties["Path"].Value;
        using var files = EdgeOps.Backup.ImageFiles.Fetch(path, _servers.S3Options, null, CancellationToken.None);
        Assert.Equal("700 root", Mode(Path.GetDirectoryName(files.Image)!));
        Assert.Equal("600 root", Mode(files.Image));
    }
}
