using EdgeOps.Tests.Infrastructure;
using Xunit;

namespace EdgeOps.Tests.Backup
{
    /// <summary>
    /// The backup errors a user meets say which device or parameter, what failed and what to do, with no raw .NET
    /// text and no device stderr glued into a sentence (every record is also checked by ErrorContract); and a
    /// device whose name had to be changed for its folder is still listed.
    /// </summary>
    public class BackupErrorTextTests : IDisposable
    {
        const long MiB = 1024 * 1024;
        readonly string _root = Directory.CreateTempSubdirectory("edgeops-errtext-").FullName;
        readonly PowerShellSession _ps = new();
        readonly List<IDisposable> _cleanup = new();

        public void Dispose()
        {
            _ps.Dispose();
            foreach (var d in _cleanup.AsEnumerable().Reverse()) d.Dispose();
            Directory.Delete(_root, true);
        }

        CardImage Card()
        {
            var card = new CardImage(64 * MiB, "label: dos\nstart=2048, type=83\n");
            _cleanup.Add(card);
            card.Mkfs(1, "mkfs.ext4", "-q", "-F", "-L", "root");
            card.Fill(1, 2 * MiB, 5);
            return card;
        }

        string OneError(string script, params object[] args)
        {
            var r = _ps.Run(script, args);
            Assert.Empty(r.Output);
            return Assert.Single(r.Errors).ToString();
        }

        [CardFact]
        public void Destinations_that_cannot_hold_backups_are_named_with_what_to_do()
        {
            var card = Card();
            var proc = OneError("Backup-SdCard -DevicePath $args[0] -Destination /proc/edgeops-forbidden", card.Loop!);
            Assert.Contains("-Destination '/proc/edgeops-forbidden' cannot be made or used as a folder", proc);
            Assert.Contains("give a folder you can write to", proc);
            Assert.DoesNotContain("Could not", proc);

            var file = Path.Combine(_root, "afile");
            File.WriteAllText(file, "x");
            var isFile = OneError("Backup-SdCard -DevicePath $args[0] -Destination $args[1]", card.Loop!, file);
            Assert.Contains($"-Destination '{file}' is a file, not a folder", isFile);
            Assert.DoesNotContain("part of the path", isFile);
            Assert.Equal("x", File.ReadAllText(file));
        }

        [CardFact]
        public void A_device_whose_folder_another_run_holds_is_refused_until_the_lock_goes()
        {
            var card = Card();
            var dest = Path.Combine(_root, "dest");
            const string name = "pi 'locked'; $(reboot)";
            using (var store = EdgeOps.Backup.BackupDestination.Open(dest))
            using (store.TryLock(EdgeOps.Backup.BackupDestination.SafeName(name)))
            {
                var r = _ps.Run("Backup-SdCard -ComputerName $args[0] -Transport Local -DevicePath $args[1] -Destination $args[2]", name, card.Loop!, dest);
                Assert.Empty(r.Output);
                var e = Assert.Single(r.Errors);
                Assert.StartsWith("BackupInProgress", e.FullyQualifiedErrorId);
                Assert.Contains($"{name}: another backup of this device is writing to '{dest}': wait for it to finish", e.ToString());
                Assert.Empty(store.List("", CancellationToken.None));
            }
            var after = _ps.Run("Backup-SdCard -ComputerName $args[0] -Transport Local -DevicePath $args[1] -Destination $args[2]", name, card.Loop!, dest);
            Assert.True(after.Errors.Count == 0, string.Join("\n", after.Errors));
            Assert.Equal("True", Assert.Single(after.Output).Properties["Verified"].Value.ToString());
        }

        [Fact]
        public void An_image_whose_file_name_no_store_key_can_be_is_named_with_what_to_do()
        {
            var image = Path.Combine(_root, "pi:one-20260101T000000Z.img.zst");
            File.WriteAllText(image, "x");
            var e = OneError("Test-SdCardBackup -Path $args[0]", image);
            Assert.Contains($"Image '{image}' cannot be read as a stored backup: its file name has a ':'", e);
            Assert.Contains("Rename the file", e);
            Assert.Equal("x", File.ReadAllText(image));
        }

        [CardFact]
        public void The_controller_needs_DevicePath_and_control_characters_in_it_are_named()
        {
            var dest = Path.Combine(_root, "dest");
            var local = OneError("Backup-SdCard -Destination $args[0]", dest);
            Assert.Contains("give -DevicePath", local);
            Assert.DoesNotContain("cannot open", local);
            Assert.False(Directory.Exists(dest) && Directory.EnumerateFiles(dest, "*.img.zst", SearchOption.AllDirectories).Any());

            var card = Card();
            var newline = OneError("Backup-SdCard -DevicePath $args[0] -Destination $args[1]", card.Loop! + "\n/tmp/x", dest);
            Assert.Contains("contains a control character", newline);
            Assert.Contains("\\n", newline);
            Assert.DoesNotContain("neither a block device", newline);
        }

        [CardFact]
        public void A_device_whose_name_was_changed_for_its_folder_is_listed()
        {
            var card = Card();
            var dest = Path.Combine(_root, "dest");
            const string name = "../../etc/evil";
            var r = _ps.Run("Backup-SdCard -ComputerName $args[0] -Transport Local -DevicePath $args[1] -Destination $args[2]", name, card.Loop!, dest);
            Assert.True(r.Errors.Count == 0, string.Join("\n", r.Errors));
            var path = (string)Assert.Single(r.Output).Properties["Path"].Value;
            Assert.StartsWith(dest + "/", path);                       // inside the destination, never above it
            Assert.False(Directory.Exists(Path.Combine(dest, "..", "..", "etc")) && Directory.GetFiles(Path.Combine(dest, "..", "..", "etc")).Any(f => f.EndsWith(".img.zst")));
            foreach (var filter in new[] { "", "-ComputerName $args[1]" })
            {
                var list = _ps.Run($"Get-SdCardBackup -Destination $args[0] {filter}", dest, name);
                Assert.Empty(list.Errors);
                var info = Assert.Single(list.Output);
                Assert.Equal(name, info.Properties["ComputerName"].Value);
                Assert.Equal(path, info.Properties["Path"].Value);
            }
        }
    }
}
