using System.Text.Json;
using System.Text.RegularExpressions;
using EdgeOps.Backup;
using Xunit;

namespace EdgeOps.Tests.Backup
{
    /// <summary>The project's own MBR/GPT/FAT/ext readers against images made by sfdisk, mkfs.vfat and mkfs.ext4.</summary>
    public class ReaderTests
    {
        const long MiB = 1024 * 1024;

        [CardFact]
        public void Mbr_fat32_and_ext4_match_sfdisk_blkid_and_fsck_counts()
        {
            using var card = new CardImage(256 * MiB, "label: dos\nlabel-id: 0x5eed1234\nstart=2048, size=163840, type=c, bootable\ntype=83\n");
            card.Mkfs(1, "mkfs.vfat", "-F", "32", "-n", "BOOT", "-i", "a1b2c3d4");
            card.Mkfs(2, "mkfs.ext4", "-q", "-F", "-L", "rootfs", "-U", "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0", "-O", "64bit,flex_bg,metadata_csum");
            Fill(card, 1, 5 * MiB); Fill(card, 2, 40 * MiB);
            Assert.Contains("BLOCK_UNINIT", Run.Cmd("dumpe2fs", card.Part(2)));   // the reader must honour it

            var layout = Scan(card);
            AssertTableMatchesSfdisk(card, layout.Table);
            Assert.Equal("dos", layout.Table.Kind);
            Assert.Equal("0x5eed1234", layout.Table.DiskId);
            var fat = layout.FileSystems.Single(f => f.Partition == 1);
            Assert.Equal(("vfat", "FAT32", "BOOT", "A1B2-C3D4"), (fat.Type, fat.Variant, fat.Label, fat.Uuid));
            AssertBlkid(card, 1, fat);
            var ext = layout.FileSystems.Single(f => f.Partition == 2);
            Assert.Equal(("ext4", "rootfs", "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"), (ext.Type, ext.Label, ext.Uuid));
            AssertBlkid(card, 2, ext);
            AssertExtUsedMatchesDumpe2fs(card, 2, ext);
            AssertFatUsedMatchesFsck(card, 1, fat);
            Assert.Equal(256 * MiB, layout.ImageSize);
            AssertOnlyMappedIsEnough(card, layout, 2);
        }

        [CardFact]
        public void Bitmaps_waiting_in_an_ext4_journal_are_merged_with_those_in_place_and_an_unfollowable_journal_keeps_the_whole_filesystem()
        {
            foreach (bool checksums in new[] { false, true })
            {
                using var card = new CardImage(96 * MiB, "label: dos\ntype=83\n");
                card.Mkfs(1, "mkfs.ext4", "-q", "-F", "-L", "live");
                Fill(card, 1, 12 * MiB);
                var clean = Scan(card).FileSystems.Single();
                Assert.Null(clean.Note);
                Assert.True(clean.UsedBytes < clean.SizeBytes / 2, $"{clean.UsedBytes} of {clean.SizeBytes}");

                card.PendJournalWrite(1, checksums);
                // the oracle: the bitmap in place says group 0 is free, as on a card taken out of a running board
                var (code, output) = Run.Try("e2fsck", "-fn", card.Part(1));
                Assert.True(code == 4 && output.Contains("Block bitmap differences"), output);
                // the journal's copy is merged: every block the replayed filesystem uses is kept, and no more
                var pending = Scan(card).FileSystems.Single();
                Assert.Contains("waiting in its journal were merged", pending.Note);
                Assert.Equal(clean.UsedBytes, pending.UsedBytes);

                Run.Cmd("e2fsck", "-E", "journal_only", "-p", card.Part(1));
                Assert.Equal(0, Run.Try("e2fsck", "-fn", card.Part(1)).code);
                var replayed = Scan(card).FileSystems.Single();
                Assert.Null(replayed.Note);
                Assert.Equal(clean.UsedBytes, replayed.UsedBytes);
            }

            // ext3's journal has no extents for the superblock to point at: not followed, so the whole filesystem is kept
            using var ext3 = new CardImage(64 * MiB, "label: dos\ntype=83\n");
            ext3.Mkfs(1, "mkfs.ext3", "-q", "-F");
            Fill(ext3, 1, 4 * MiB);
            ext3.PendJournalWrite(1);
            var whole = Scan(ext3).FileSystems.Single();
            Assert.Contains("cannot be followed here", whole.Note);
            Assert.Equal(whole.SizeBytes, whole.UsedBytes);
        }

        [CardFact]
        public void Gpt_fat16_ext4_1k_blocks_without_flex_bg_and_ext2()
        {
            using var card = new CardImage(160 * MiB,
                "label: gpt\nlabel-id: 6A0F3D8E-4B1C-4F7E-9A52-2D7C1E5B9F31\n" +
                "start=2048, size=40960, type=EBD0A0A2-B9E5-4433-87C0-68B6B72699C7, name=\"EFI boot\"\n" +
                "size=120000, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, name=\"root fs\"\n" +
                "size=40000, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, name=data\n");
            card.Mkfs(1, "mkfs.vfat", "-F", "16", "-n", "FAT16VOL");
            card.Mkfs(2, "mkfs.ext4", "-q", "-F", "-b", "1024", "-O", "^flex_bg,^64bit", "-L", "onek");
            card.Mkfs(3, "mkfs.ext2", "-q", "-F", "-L", "plain");
            Fill(card, 1, 3 * MiB); Fill(card, 2, 20 * MiB); Fill(card, 3, 6 * MiB);
            var layout = Scan(card);
            Assert.Equal("gpt", layout.Table.Kind);
            Assert.Equal("6a0f3d8e-4b1c-4f7e-9a52-2d7c1e5b9f31", layout.Table.DiskId);
            AssertTableMatchesSfdisk(card, layout.Table);
            Assert.Equal(new[] { "EFI boot", "root fs", "data" }, layout.Table.Partitions.Select(p => p.Name));
            var f1 = layout.FileSystems[0]; var f2 = layout.FileSystems[1]; var f3 = layout.FileSystems[2];
            Assert.Equal(("vfat", "FAT16"), (f1.Type, f1.Variant));
            Assert.Equal(("ext4", 1024), (f2.Type, f2.BlockSize));
            Assert.Equal("ext2", f3.Type);
            for (int i = 0; i < 3; i++) AssertBlkid(card, i + 1, layout.FileSystems[i]);
            AssertFatUsedMatchesFsck(card, 1, f1);
            AssertExtUsedMatchesDumpe2fs(card, 2, f2);
            AssertExtUsedMatchesDumpe2fs(card, 3, f3);
            Assert.Equal(layout.Table.Partitions.Max(p => p.End), layout.ImageSize);
            AssertOnlyMappedIsEnough(card, layout, 2, 3);
        }

        [CardFact]
        public void Mbr_logical_partitions_fat12_and_swap()
        {
            using var card = new CardImage(96 * MiB, "label: dos\ncard.img1 : start=2048, size=8192, type=1\ncard.img2 : start=12288, type=5\ncard.img5 : size=16384, type=82\ncard.img6 : type=83\n");
            card.Mkfs(1, "mkfs.vfat", "-F", "12", "-n", "TINY");
            card.Mkfs(5, "mkswap", "-L", "swp");
            card.Mkfs(6, "mkfs.ext4", "-q", "-F", "-L", "logical");
            Fill(card, 1, 1 * MiB); Fill(card, 6, 10 * MiB);
            var layout = Scan(card);
            AssertTableMatchesSfdisk(card, layout.Table);
            Assert.Equal(new[] { 1, 2, 5, 6 }, layout.Table.Partitions.Select(p => p.Number));
            Assert.Equal(("vfat", "FAT12"), (layout.FileSystems[0].Type, layout.FileSystems[0].Variant));
            var swap = layout.FileSystems.Single(f => f.Partition == 5);
            Assert.Equal(("swap", 4096L), (swap.Type, swap.UsedBytes));
            AssertBlkid(card, 5, swap);
            AssertFatUsedMatchesFsck(card, 1, layout.FileSystems[0]);
            AssertExtUsedMatchesDumpe2fs(card, 6, layout.FileSystems.Single(f => f.Partition == 6));
            AssertOnlyMappedIsEnough(card, layout, 6);
        }

        [Fact]
        public void Damaged_gpt_is_reported_not_guessed()
        {
            var disk = new byte[64 * 1024];
            disk[0x1BE + 4] = 0xEE; disk[510] = 0x55; disk[511] = 0xAA;
            System.Text.Encoding.ASCII.GetBytes("EFI PART").CopyTo(disk, 512);
            disk[512 + 12] = 92;
            var e = Assert.Throws<InvalidDataException>(() => PartitionTable.Read(new ArraySource(disk), disk.Length));
            Assert.Contains("CRC", e.Message);
        }

        [Fact]
        public void Ranges_align_merge_and_chunk()
        {
            var r = Ranges.AlignOut(new[] { new ByteRange(5000, 10), new ByteRange(8190, 3), new ByteRange(20000, 100) }, 4096, 20050);
            Assert.Equal(new[] { new ByteRange(4096, 8192), new ByteRange(16384, 20050 - 16384) }, r);
            var chunks = Ranges.Chunk(new[] { new ByteRange(0, 10), new ByteRange(20, 10), new ByteRange(1000, 10) }, 100, 1 << 20);
            Assert.Equal(2, chunks.Count);
            Assert.Equal(2, chunks[0].Count);
        }

        // ---- helpers ----

        static void Fill(CardImage card, int part, long bytes) => card.Fill(part, bytes);

        static CardLayout Scan(CardImage card)
        {
            using var src = new FileBlockSource(card.ImagePath);
            return CardLayout.Scan(src, new FileInfo(card.ImagePath).Length);
        }

        static void AssertTableMatchesSfdisk(CardImage card, PartitionTable table)
        {
            using var doc = JsonDocument.Parse(Run.Cmd("sfdisk", "-J", card.ImagePath));
            var pt = doc.RootElement.GetProperty("partitiontable");
            var expected = pt.GetProperty("partitions").EnumerateArray().Select(p => (
                n: int.Parse(Regex.Match(p.GetProperty("node").GetString()!, @"(\d+)$").Groups[1].Value),
                start: p.GetProperty("start").GetInt64() * 512,
                size: p.GetProperty("size").GetInt64() * 512,
                type: p.GetProperty("type").GetString()!.ToLowerInvariant(),
                uuid: p.TryGetProperty("uuid", out var u) ? u.GetString()!.ToLowerInvariant() : null)).ToList();
            var actual = table.Partitions.Where(p => !PartitionTable.IsExtendedContainer(p)).ToList();
            Assert.Equal(expected.Where(e => e.type != "5" && e.type != "f").Select(e => (e.n, e.start, e.size)), actual.Select(p => (p.Number, p.Start, p.Size)));
            if (table.Kind == "gpt") Assert.Equal(expected.Select(e => (e.type, e.uuid ?? "")), actual.Select(p => (p.Type, p.Uuid)));
            else Assert.Equal(expected.Where(e => e.type != "5").Select(e => e.type.PadLeft(2, '0')), actual.Select(p => p.Type));
        }

        static void AssertBlkid(CardImage card, int part, FileSystemFacts fs)
        {
            var map = Run.Cmd("blkid", "-p", "-o", "export", card.Part(part)).Split('\n').Where(l => l.Contains('='))
                .ToDictionary(l => l[..l.IndexOf('=')], l => l[(l.IndexOf('=') + 1)..]);
            Assert.Equal(map["TYPE"], fs.Type);
            Assert.Equal(map.GetValueOrDefault("UUID", ""), fs.Uuid ?? "");
            Assert.Equal(map.GetValueOrDefault("LABEL", ""), fs.Label ?? "");
        }

        static void AssertExtUsedMatchesDumpe2fs(CardImage card, int part, FileSystemFacts fs)
        {
            var h = Run.Cmd("dumpe2fs", "-h", card.Part(part));
            long blocks = long.Parse(Regex.Match(h, @"Block count:\s+(\d+)").Groups[1].Value);
            long free = long.Parse(Regex.Match(h, @"Free blocks:\s+(\d+)").Groups[1].Value);
            int bs = int.Parse(Regex.Match(h, @"Block size:\s+(\d+)").Groups[1].Value);
            // inode-table tails past each group's last used inode are not kept when group checksums make them known
            long skipped = 0;
            var full = Run.Cmd("dumpe2fs", card.Part(part));
            if (Regex.IsMatch(h, @"features:.*(uninit_bg|metadata_csum)"))
            {
                long ipg = long.Parse(Regex.Match(h, @"Inodes per group:\s+(\d+)").Groups[1].Value);
                long isz = long.Parse(Regex.Match(h, @"Inode size:\s+(\d+)").Groups[1].Value);
                foreach (var g in Regex.Split(full, @"\nGroup \d+:").Skip(1))
                {
                    var t = Regex.Match(g, @"Inode table at (\d+)-(\d+)");
                    long tableBlocks = long.Parse(t.Groups[2].Value) - long.Parse(t.Groups[1].Value) + 1;
                    long unused = long.Parse(Regex.Match(g, @"(\d+) unused inodes").Groups[1].Value);
                    long used = g[..g.IndexOf('\n')].Contains("INODE_UNINIT") ? 0 : ipg - unused;
                    skipped += tableBlocks - (used * isz + bs - 1) / bs;
                }
                Assert.True(skipped > 0);
            }
            Assert.Equal((blocks - free - skipped) * bs, fs.UsedBytes);
        }

        static void AssertFatUsedMatchesFsck(CardImage card, int part, FileSystemFacts fs)
        {
            var o = Run.Try("fsck.fat", "-n", "-v", card.Part(part)).output;
            var m = Regex.Match(o, @"(\d+)/(\d+) clusters");
            long usedClusters = long.Parse(m.Groups[1].Value);
            var dataStart = fs.UsedBytes - usedClusters * fs.BlockSize;
            Assert.True(dataStart > 0 && dataStart < 2 * 1024 * 1024, $"metadata area {dataStart} (clusters {usedClusters}, used {fs.UsedBytes})");
            Assert.Equal(0, dataStart % 512);
        }

        /// <summary>Copies only the mapped ranges into a fresh sparse file: every filesystem checks clean and every file is identical.</summary>
        static void AssertOnlyMappedIsEnough(CardImage card, CardLayout layout, params int[] extParts)
        {
            var copy = Path.Combine(card.Dir, "mapped-only.img");
            using (var src = new FileStream(card.ImagePath, FileMode.Open, FileAccess.Read))
            using (var dst = new FileStream(copy, FileMode.CreateNew))
            {
                dst.SetLength(layout.DiskSize); // a card as large as the original (a GPT's header names the disk's last sector)
                var buf = new byte[1 << 20];
                foreach (var r in layout.Mapped)
                {
                    src.Position = r.Start; dst.Position = r.Start;
                    long left = r.Length;
                    while (left > 0) { int n = src.Read(buf, 0, (int)Math.Min(buf.Length, left)); dst.Write(buf, 0, n); left -= n; }
                }
            }
            Assert.True(layout.MappedBytes < layout.ImageSize / 2, $"mapped {layout.MappedBytes} of {layout.ImageSize}");
            var before = new Dictionary<int, SortedDictionary<string, string>>();
            foreach (var p in layout.FileSystems.Where(f => f.Type is "vfat" or "ext4" or "ext2").Select(f => f.Partition))
                before[p] = CardImage.HashDevice(card.Part(p), card.Dir);
            card.Detach(card.Loop!);
            var loop = card.Attach(copy);
            foreach (var p in extParts) { var r = Run.Try("e2fsck", "-fn", loop + "p" + p); Assert.True(r.code == 0, r.output); }
            foreach (var f in layout.FileSystems.Where(f => f.Type == "vfat")) Assert.Equal(0, Run.Try("fsck.fat", "-n", loop + "p" + f.Partition).code);
            foreach (var kv in before)
            {
                Assert.NotEmpty(kv.Value);
                Assert.Equal(kv.Value, CardImage.HashDevice(loop + "p" + kv.Key, card.Dir));
            }
        }
    }

    sealed class ArraySource : IBlockSource
    {
        readonly byte[] _b;
        public ArraySource(byte[] b) { _b = b; }
        public byte[] Read(IReadOnlyList<ByteRange> ranges)
        {
            var ms = new MemoryStream();
            foreach (var r in ranges) { var x = new byte[r.Length]; Array.Copy(_b, r.Start, x, 0, Math.Max(0, Math.Min(r.Length, _b.Length - r.Start))); ms.Write(x); }
            return ms.ToArray();
        }
    }
}
