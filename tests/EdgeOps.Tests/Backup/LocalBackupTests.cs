using System.Management.Automation;
using System.Text.RegularExpressions;
using EdgeOps.Tests.Infrastructure;
using Xunit;

namespace EdgeOps.Tests.Backup
{
    /// <summary>
    /// Backup, test, list and restore of a card in a "local reader" (a loop device on this machine, LocalTransport),
    /// through the real cmdlets in a hosted PowerShell.
    /// </summary>
    public class LocalBackupTests : IDisposable
    {
        const long MiB = 1024 * 1024;
        readonly List<IDisposable> _cleanup = new();
        readonly string _dest = Path.Combine(Path.GetTempPath(), "edgeops-dest-" + Guid.NewGuid().ToString("n")[..8], "it's $(backups); `x`");

        public void Dispose()
        {
            foreach (var d in _cleanup.AsEnumerable().Reverse()) d.Dispose();
            try { Directory.Delete(Path.GetDirectoryName(_dest)!, true); } catch (IOException) { }
        }

        internal static CardImage MakeCard(long bytes = 256 * MiB, int seed = 1)
        {
            var card = new CardImage(bytes, "label: dos\nlabel-id: 0x0eed0001\nstart=8192, size=131072, type=c, bootable\nstart=139264, type=83\n");
            try
            {
                card.Mkfs(1, "mkfs.vfat", "-F", "32", "-n", "BOOT");
                card.Mkfs(2, "mkfs.ext4", "-q", "-F", "-L", "rootfs");
                card.Fill(1, 3 * MiB, seed);
                card.Fill(2, 40 * MiB, seed + 100);
                return card;
            }
            catch { card.Dispose(); throw; }
        }

        internal static string TableOf(string dev) =>
            string.Join("\n", Run.Cmd("sfdisk", "-d", dev).Split('\n').Where(l => !l.StartsWith("device:")).Select(l => Regex.Replace(l, @"^/dev/\S+?(p?\d+) :", "$1 :")));

        [CardFact]
        public void Backup_of_a_card_in_a_reader_restores_identically_and_with_plain_zstd_dd()
        {
            var card = MakeCard(); _cleanup.Add(card);
            var before1 = CardImage.HashDevice(card.Part(1), card.Dir);
            var before2 = CardImage.HashDevice(card.Part(2), card.Dir);
            var table = TableOf(card.Loop!);

            using var ps = new PowerShellSession();
            var r = ps.Run("Backup-SdCard -DevicePath $args[0] -Destination $args[1] -Verbose", card.Loop!, _dest);
            Assert.True(r.Errors.Count == 0, string.Join("\n", r.Errors));
            var b = Assert.Single(r.Output);
            Assert.Equal("EdgeOps.SdCardBackup", b.TypeNames[0]);
            string path = (string)b.Properties["Path"].Value;
            Assert.True(File.Exists(path), path);
            Assert.EndsWith(".img.zst", path);
            Assert.True((bool)b.Properties["Verified"].Value);
            Assert.Equal(256 * MiB, (long)b.Properties["ImageBytes"].Value);
            long used = (long)b.Properties["UsedBytes"].Value, stored = (long)b.Properties["StoredBytes"].Value;
            Assert.InRange(used, 20 * MiB, 100 * MiB);
            Assert.True(stored < used, $"stored {stored} used {used}");
            Assert.Equal(new FileInfo(path).Length, stored);
            Assert.Contains(r.Progress, p => p.PercentComplete > 0);

            // standard tools: zstd -dc gives the image the block map describes, the map the backup's identity names
            StoredImage.AssertMatchesItsMap(path, (string)b.Properties["MapSha256"].Value);

            // Test-SdCardBackup and Get-SdCardBackup
            var t = Assert.Single(ps.Run("Get-SdCardBackup -Destination $args[0] | Test-SdCardBackup", _dest).Output);
            Assert.True((bool)t.Properties["Passed"].Value, (string)t.Properties["FailedChecks"].Value);
            Assert.Equal("clean", t.Properties["E2fsck"].Value);
            Assert.Equal("dos", t.Properties["PartitionTable"].Value);

            // Restore to a fresh, larger card
            using var target = new CardImage(300 * MiB, "label: dos\ntype=83\n", "target.img");
            Run.Cmd("wipefs", "-a", target.Loop!);
            var rr = ps.Run("Restore-SdCard -Path $args[0] -DevicePath $args[1] -Confirm:$false", path, target.Loop!);
            Assert.True(rr.Errors.Count == 0, string.Join("\n", rr.Errors));
            var res = Assert.Single(rr.Output);
            Assert.True((bool)res.Properties["Verified"].Value);
            Run.Try("partx", "-a", target.Loop!);
            Thread.Sleep(300);
            Assert.Equal(table, TableOf(target.Loop!));
            Assert.Equal(0, Run.Try("e2fsck", "-fn", target.Loop + "p2").code);
            Assert.Equal(0, Run.Try("fsck.fat", "-n", target.Loop + "p1").code);
            Assert.Equal(before1, CardImage.HashDevice(target.Loop + "p1", card.Dir));
            Assert.Equal(before2, CardImage.HashDevice(target.Loop + "p2", card.Dir));

            // zstd -dc | dd restores the same without EdgeOps
            using var plain = new CardImage(256 * MiB, "label: dos\ntype=83\n", "plain.img");
            Run.Cmd("wipefs", "-a", plain.Loop!);
            Run.Sh($"zstd -dc '{path.Replace("'", "'\\''")}' | dd of={plain.Loop} bs=4M conv=fsync status=none");
            Run.Try("partx", "-d", plain.Loop!); Run.Try("partx", "-a", plain.Loop!);
            Thread.Sleep(300);
            Assert.Equal(table, TableOf(plain.Loop!));
            Assert.Equal(0, Run.Try("e2fsck", "-fn", plain.Loop + "p2").code);
            Assert.Equal(before2, CardImage.HashDevice(plain.Loop + "p2", card.Dir));
        }

        [CardFact]
        public void A_card_taken_from_a_running_board_keeps_the_blocks_its_journal_uses_and_is_tested_after_replaying_it()
        {
            var card = new CardImage(96 * MiB, "label: dos\nstart=2048, type=83\n");
            _cleanup.Add(card);
            card.Mkfs(1, "mkfs.ext4", "-q", "-F", "-L", "rootfs");
            card.Fill(1, 8 * MiB, 5);
            card.PendJournalWrite(1);

            using var ps = new PowerShellSession();
            var r = ps.Run("Backup-SdCard -DevicePath $args[0] -Destination $args[1] -Verbose", card.Loop!, _dest);
            Assert.True(r.Errors.Count == 0, string.Join("\n", r.Errors));
            Assert.Contains(r.Verbose, v => v.Contains("waiting in its journal were merged"));
            var path = (string)r.Output.Single().Properties["Path"].Value;
            var before = CardImage.HashDevice(card.Part(1), card.Dir);   // (mounting replays the card's journal: after the backup)

            // read-only e2fsck of the image as stored fails on the stale bitmap; Test-SdCardBackup replays the journal
            // in its own decompressed copy first, as the first mount after a restore would
            var t = Assert.Single(ps.Run("Test-SdCardBackup -Path $args[0]", path).Output);
            Assert.True((bool)t.Properties["Passed"].Value, (string)t.Properties["FailedChecks"].Value);
            Assert.Equal("clean", t.Properties["E2fsck"].Value);
            Assert.Contains("journal of partition 1 replayed (a filesystem that was in use); e2fsck -fn partition 1", (string)t.Properties["PassedChecks"].Value);

            // every block came along: the restored card, replayed, holds the same files
            using var target = new CardImage(96 * MiB, "label: dos\ntype=83\n", "target.img");
            Run.Cmd("wipefs", "-a", target.Loop!);
            var rr = ps.Run("Restore-SdCard -Path $args[0] -DevicePath $args[1] -Confirm:$false", path, target.Loop!);
            Assert.True(rr.Errors.Count == 0, string.Join("\n", rr.Errors));
            Run.Try("partx", "-d", target.Loop!); Run.Try("partx", "-a", target.Loop!);
            Thread.Sleep(300);
            Assert.Equal(4, Run.Try("e2fsck", "-fn", target.Loop + "p1").code);
            Run.Cmd("e2fsck", "-E", "journal_only", "-p", target.Loop + "p1");
            Assert.Equal(0, Run.Try("e2fsck", "-fn", target.Loop + "p1").code);
            Assert.Equal(before, CardImage.HashDevice(target.Loop + "p1", card.Dir));
        }

        [CardFact]
        public void A_gpt_card_restored_to_a_larger_card_gets_its_backup_table_at_the_end()
        {
            var card = new CardImage(96 * MiB, "label: gpt\nsize=32768, type=EBD0A0A2-B9E5-4433-87C0-68B6B72699C7, name=\"boot\"\ntype=0FC63DAF-8483-4772-8E79-3D69D8477DE4, name=\"root fs\"\n");
            _cleanup.Add(card);
            card.Mkfs(1, "mkfs.vfat", "-F", "16", "-n", "BOOT");
            card.Mkfs(2, "mkfs.ext4", "-q", "-F", "-L", "rootfs");
            card.Fill(2, 8 * MiB, 11);
            var before = CardImage.HashDevice(card.Part(2), card.Dir);
            var table = TableOf(card.Loop!);
            using var ps = new PowerShellSession();
            var r = ps.Run("Backup-SdCard -DevicePath $args[0] -Destination $args[1]", card.Loop!, _dest);
            Assert.True(r.Errors.Count == 0, string.Join("\n", r.Errors));
            var path = (string)r.Output.Single().Properties["Path"].Value;
            Assert.True((long)r.Output.Single().Properties["ImageBytes"].Value < 96 * MiB); // ends at the last partition

            // plain dd of the image leaves a card whose backup GPT is missing
            using var plain = new CardImage(128 * MiB, "label: dos\ntype=83\n", "plain.img");
            Run.Cmd("wipefs", "-a", plain.Loop!);
            Run.Sh($"zstd -dc {Run.Q(path)} | dd of={plain.Loop} bs=4M conv=fsync status=none");
            Assert.Contains("backup GPT table is corrupt", Run.Try("sfdisk", "-V", plain.Loop!).output);

            using var target = new CardImage(128 * MiB, "label: dos\ntype=83\n", "target.img");
            Run.Cmd("wipefs", "-a", target.Loop!);
            var rr = ps.Run("Restore-SdCard -Path $args[0] -DevicePath $args[1] -Confirm:$false -Verbose", path, target.Loop!);
            Assert.True(rr.Errors.Count == 0, string.Join("\n", rr.Errors));
            Assert.Contains(rr.Verbose, v => v.Contains("backup GPT"));
            var verify = Run.Try("sfdisk", "-V", target.Loop!);
            Assert.True(verify.code == 0 && verify.output.Contains("No errors detected") && !verify.output.Contains("corrupt") && !verify.output.Contains("mismatch"), verify.output);
            Run.Try("partx", "-d", target.Loop!); Run.Try("partx", "-a", target.Loop!);
            Thread.Sleep(300);
            Assert.Equal(table, TableOf(target.Loop!));
            Assert.Equal(0, Run.Try("e2fsck", "-fn", target.Loop + "p2").code);
            Assert.Equal(before, CardImage.HashDevice(target.Loop + "p2", card.Dir));
        }
    }
}
