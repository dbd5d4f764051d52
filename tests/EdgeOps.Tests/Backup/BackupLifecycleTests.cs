using System.Management.Automation;
using EdgeOps.Backup;
using EdgeOps.Tests.Infrastructure;
using Xunit;

namespace EdgeOps.Tests.Backup
{
    /// <summary>Retention, leftovers of interrupted runs, a full destination, refusals, corruption, bmaptool compatibility.</summary>
    public class BackupLifecycleTests : IDisposable
    {
        const long MiB = 1024 * 1024;
        readonly List<IDisposable> _cleanup = new();
        readonly string _root = Path.Combine(Path.GetTempPath(), "edgeops-life-" + Guid.NewGuid().ToString("n")[..8]);
        readonly List<string> _mounts = new();

        public BackupLifecycleTests() { Directory.CreateDirectory(_root); }

        public void Dispose()
        {
            foreach (var m in _mounts) Run.Try("umount", "-l", m);
            foreach (var d in _cleanup.AsEnumerable().Reverse()) d.Dispose();
            try { Directory.Delete(_root, true); } catch (IOException) { }
        }

        CardImage SmallCard(long randomBytes = 6 * MiB, int seed = 3)
        {
            var card = new CardImage(96 * MiB, "label: dos\nstart=2048, size=32768, type=c\nstart=34816, type=83\n");
            _cleanup.Add(card);
            card.Mkfs(1, "mkfs.vfat", "-F", "16", "-n", "BOOT");
            card.Mkfs(2, "mkfs.ext4", "-q", "-F", "-L", "root");
            card.Fill(1, 1 * MiB, seed);
            card.Fill(2, randomBytes, seed + 1);
            return card;
        }

        static string Errors(PSRun r) => string.Join("\n", r.Errors.Select(e => e.ToString()));

        [CardFact]
        public void Keep_removes_the_oldest_after_verifying_and_leftovers_are_cleaned()
        {
            var card = SmallCard();
            var dest = Path.Combine(_root, "dest");
            const string name = "pi 'one'; $(reboot) `x`";
            using var ps = new PowerShellSession();
            var paths = new List<string>();
            for (int i = 0; i < 3; i++)
            {
                var r = ps.Run("Backup-SdCard -ComputerName $args[0] -Transport Local -DevicePath $args[1] -Destination $args[2] -Keep 2", name, card.Loop!, dest);
                Assert.True(r.Errors.Count == 0, Errors(r));
                var o = Assert.Single(r.Output);
                Assert.Equal(name, o.Properties["ComputerName"].Value);
                paths.Add((string)o.Properties["Path"].Value);
                Assert.Equal(i < 2 ? "" : Path.GetFileName(paths[0]), o.Properties["Removed"].Value);
            }
            var folder = Path.GetDirectoryName(paths[0])!;
            Assert.Equal(Path.Combine(dest, name), folder);
            Assert.False(File.Exists(paths[0]));
            Assert.False(File.Exists(Path.ChangeExtension(paths[0], null).Replace(".img", "") + ".json"));

            // leftovers of an interrupted run: a temporary file and an image without manifest
            File.WriteAllText(Path.Combine(folder, ".x-20200101T000000Z.img.zst.partial"), "half");
            var orphan = Path.Combine(folder, BackupDestination.SafeName(name) + "-20200101T000000Z.img.zst");
            File.WriteAllText(orphan, "no manifest");
            var list = ps.Run("Get-SdCardBackup -Destination $args[0]", dest).Output;
            Assert.Equal(3, list.Count);
            Assert.False((bool)list.Single(o => (string)o.Properties["Path"].Value == orphan).Properties["Verified"].Value);
            var verified = list.Where(o => (bool)o.Properties["Verified"].Value).Select(o => (string)o.Properties["Path"].Value).ToList();
            Assert.Equal(new[] { paths[2], paths[1] }, verified); // newest first

            var r2 = ps.Run("Backup-SdCard -ComputerName $args[0] -Transport Local -DevicePath $args[1] -Destination $args[2] -Keep 1 -Verbose", name, card.Loop!, dest);
            Assert.True(r2.Errors.Count == 0, Errors(r2));
            Assert.Contains(r2.Verbose, v => v.Contains("interrupted run"));
            Assert.False(File.Exists(orphan));
            var files = Directory.GetFiles(folder).Select(Path.GetFileName).Where(f => !f!.StartsWith(".edgeops")).ToList();
            Assert.Equal(3, files.Count); // one image, its map, its manifest
            Assert.DoesNotContain(files, f => f!.EndsWith(".partial"));
            var latest = Assert.Single(ps.Run("Get-SdCardBackup $args[0] -ComputerName 'pi*' -Latest", dest).Output);
            Assert.True((bool)latest.Properties["Verified"].Value);
        }

        [Fact]
        public void Daily_weekly_monthly_rules_keep_one_per_period_and_always_the_newest()
        {
            var start = new DateTimeOffset(2026, 3, 31, 12, 0, 0, TimeSpan.Zero);
            var entries = Enumerable.Range(0, 200).Select(i => new Catalog.Entry
            {
                Base = "b" + i.ToString("000"),
                Manifest = new BackupManifest { Created = start.AddHours(-12 * i).ToString("o"), Verified = true },
            }).ToList(); // newest first, two per day
            var daily = Retention.Keepers(entries, 0, 3, 0, 0);
            Assert.Equal(new[] { "b000", "b002", "b004" }, daily.OrderBy(x => x)); // the newest of the 31st, 30th, 29th
            var weekly = Retention.Keepers(entries, 0, 0, 2, 0);
            Assert.Equal(new[] { "b000", "b004" }, weekly.OrderBy(x => x)); // Tuesday 31st (week from Monday 30th), then Sunday 29th
            var monthly = Retention.Keepers(entries, 0, 0, 0, 2);
            Assert.Equal(new[] { "b000", "b062" }, monthly.OrderBy(x => x)); // March, then 28 February 12:00
            Assert.Equal(new[] { "b000", "b001", "b002", "b004", "b062" }, Retention.Keepers(entries, 2, 3, 2, 2).OrderBy(x => x));
            Assert.Contains("b000", Retention.Keepers(entries, 0, 0, 0, 0));
            Assert.Single(Retention.Keepers(entries, 1, 0, 0, 0));
        }

        [CardFact]
        public void A_full_destination_gives_a_clear_error_and_loses_nothing() => FullDestination("tmpfs");

        /// <summary>The same on ext4, where the image is written with O_DIRECT (the error comes from pwrite, not the FileStream).</summary>
        [CardFact]
        public void A_full_ext4_destination_written_past_the_page_cache_gives_the_same_clear_error() => FullDestination("ext4");

        void FullDestination(string fs)
        {
            var card = SmallCard(8 * MiB);
            var dest = Path.Combine(_root, "small " + fs);
            Directory.CreateDirectory(dest);
            if (fs == "tmpfs") Run.Cmd("mount", "-t", "tmpfs", "-o", "size=12m", "tmpfs", dest);
            else
            {
                var image = Path.Combine(_root, "small-" + fs + ".img");
                Run.Cmd("truncate", "-s", "14M", image);
                Run.Cmd("mkfs.ext4", "-q", "-F", "-m", "0", "-O", "^has_journal", image);
                Run.Cmd("mount", "-o", "loop", image, dest);   // the loop device goes with the unmount (autoclear)
            }
            _mounts.Add(dest);
            using var ps = new PowerShellSession();
            var first = ps.Run("Backup-SdCard -DevicePath $args[0] -Destination $args[1]", card.Loop!, dest);
            Assert.True(first.Errors.Count == 0, Errors(first));
            var good = (string)first.Output.Single().Properties["Path"].Value;
            card.Fill(2, 30 * MiB, 99); // more data than the destination can hold
            var r = ps.Run("Backup-SdCard -DevicePath $args[0] -Destination $args[1] -Keep 1", card.Loop!, dest);
            var e = Assert.Single(r.Errors);
            Assert.Empty(r.Output);
            Assert.Equal("BackupDestinationFull,EdgeOps", e.FullyQualifiedErrorId.Split(',')[0] + ",EdgeOps");
            Assert.Contains("full", e.ToString());
            Assert.Contains(Environment.MachineName.ToLowerInvariant(), e.ToString());
            var files = Directory.GetFiles(Path.GetDirectoryName(good)!).Select(Path.GetFileName).ToList();
            Assert.DoesNotContain(files, f => f!.EndsWith(".partial"));
            var t = Assert.Single(ps.Run("Test-SdCardBackup -Path $args[0]", good).Output);
            Assert.True((bool)t.Properties["Passed"].Value, (string)t.Properties["FailedChecks"].Value);
        }

        [CardFact]
        public void Compression_on_the_controller_gives_the_same_image()
        {
            var card = SmallCard();
            var dest = Path.Combine(_root, "ctl");
            using var ps = new PowerShellSession();
            var a = ps.Run("Backup-SdCard -DevicePath $args[0] -Destination $args[1] -CompressOn Controller -CompressionLevel 1", card.Loop!, dest);
            var b = ps.Run("Backup-SdCard -DevicePath $args[0] -Destination $args[1] -CompressOn Device", card.Loop!, dest);
            Assert.True(a.Errors.Count + b.Errors.Count == 0, Errors(a) + Errors(b));
            var oa = a.Output.Single(); var ob = b.Output.Single();
            Assert.Contains("controller", (string)oa.Properties["Compression"].Value);
            Assert.Contains("device", (string)ob.Properties["Compression"].Value);
            Assert.Equal(ob.Properties["MapSha256"].Value, oa.Properties["MapSha256"].Value);
            StoredImage.AssertMatchesItsMap((string)oa.Properties["Path"].Value, (string)oa.Properties["MapSha256"].Value);
        }

        [CardFact]
        public void Bmaptool_accepts_the_block_map_and_writes_the_same_card()
        {
            Assert.True(File.Exists("/usr/bin/bmaptool"), "bmaptool is missing: tests/setup/backup.sh installs it (Debian package bmap-tools)");
            var card = SmallCard();
            var dest = Path.Combine(_root, "bmap");
            using var ps = new PowerShellSession();
            var r = ps.Run("Backup-SdCard -DevicePath $args[0] -Destination $args[1]", card.Loop!, dest);
            Assert.True(r.Errors.Count == 0, Errors(r));
            var path = (string)r.Output.Single().Properties["Path"].Value;
            var bmap = path.Replace(".img.zst", ".img.bmap");
            using var target = new CardImage(96 * MiB, "label: dos\ntype=83\n", "bmap-target.img");
            var before = CardImage.HashDevice(card.Part(2), card.Dir);
            Run.Cmd("bmaptool", "copy", "--bmap", bmap, path, target.Loop!);
            Run.Try("partx", "-d", target.Loop!); Run.Try("partx", "-a", target.Loop!);
            Thread.Sleep(300);
            Assert.Equal(0, Run.Try("e2fsck", "-fn", target.Loop + "p2").code);
            Assert.Equal(before, CardImage.HashDevice(target.Loop + "p2", card.Dir));
        }

        [CardFact]
        public void Test_SdCardBackup_finds_damage_and_Restore_refuses_bad_targets()
        {
            var card = SmallCard();
            var dest = Path.Combine(_root, "dmg");
            using var ps = new PowerShellSession();
            var r = ps.Run("Backup-SdCard -DevicePath $args[0] -Destination $args[1]", card.Loop!, dest);
            Assert.True(r.Errors.Count == 0, Errors(r));
            var path = (string)r.Output.Single().Properties["Path"].Value;

            // refusals: a mounted card, a card too small, a file that is no block device
            var m = card.Mount(2);
            var mounted = ps.Run("Restore-SdCard -Path $args[0] -DevicePath $args[1] -Confirm:$false", path, card.Loop!);
            Assert.Contains("RestoreTargetMounted", Assert.Single(mounted.Errors).FullyQualifiedErrorId);
            card.Unmount(m);
            using var tiny = new CardImage(32 * MiB, "label: dos\ntype=83\n", "tiny.img");
            var small = ps.Run("Restore-SdCard -Path $args[0] -DevicePath $args[1] -Confirm:$false", path, tiny.Loop!);
            Assert.Contains("RestoreTargetTooSmall", Assert.Single(small.Errors).FullyQualifiedErrorId);
            var notBlock = ps.Run("Restore-SdCard -Path $args[0] -DevicePath $args[1] -Confirm:$false", path, tiny.ImagePath);
            Assert.Contains("RestoreTargetNotBlockDevice", Assert.Single(notBlock.Errors).FullyQualifiedErrorId);
            // hostile device paths are data, never shell text
            var marker = Path.Combine(_root, "pwned");
            var hostile = ps.Run("Backup-SdCard -DevicePath $args[0] -Destination $args[1]", $"/dev/x'; touch {marker}; echo '$(touch {marker})`touch {marker}`", dest);
            Assert.Equal("SdCardNotFound", Assert.Single(hostile.Errors).FullyQualifiedErrorId.Split(',')[0]);
            var hostileRestore = ps.Run("Restore-SdCard -Path $args[0] -DevicePath $args[1] -Confirm:$false", path, $"/dev/y\"; touch {marker} #");
            Assert.Single(hostileRestore.Errors);
            Assert.False(File.Exists(marker));
            var whatIf = ps.Run("Restore-SdCard -Path $args[0] -DevicePath $args[1] -WhatIf", path, card.Loop!);
            Assert.Empty(whatIf.Errors); Assert.Empty(whatIf.Output);

            // damage: one byte of the compressed image
            var copy = Path.Combine(_root, "copy");
            Directory.CreateDirectory(copy);
            foreach (var f in Directory.GetFiles(Path.GetDirectoryName(path)!).Where(f => !Path.GetFileName(f).StartsWith(".")))
                File.Copy(f, Path.Combine(copy, Path.GetFileName(f)));
            var damaged = Path.Combine(copy, Path.GetFileName(path));
            using (var fs = new FileStream(damaged, FileMode.Open)) { fs.Position = fs.Length / 2; int b = fs.ReadByte(); fs.Position--; fs.WriteByte((byte)(b ^ 0x5a)); }
            var t = Assert.Single(ps.Run("Test-SdCardBackup $args[0]", damaged).Output);
            Assert.False((bool)t.Properties["Passed"].Value);
            Assert.False((bool)t.Properties["CompressedHashOk"].Value);
            Assert.Contains("compressed sha256", (string)t.Properties["FailedChecks"].Value);
        }
    }
}
