using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace EdgeOps.Backup
{
    /// <summary>What a filesystem reader found in one partition.</summary>
    public sealed class FileSystemFacts
    {
        public int Partition { get; set; }
        /// <summary>vfat, ext2, ext3, ext4, swap or unknown.</summary>
        public string Type { get; set; } = "unknown";
        /// <summary>FAT12, FAT16, FAT32 for vfat.</summary>
        public string Variant { get; set; }
        public string Label { get; set; }
        public string Uuid { get; set; }
        /// <summary>Bytes the filesystem uses (metadata included): what is read and stored.</summary>
        public long UsedBytes { get; set; }
        /// <summary>The filesystem's own size (may be smaller than its partition).</summary>
        public long SizeBytes { get; set; }
        public int BlockSize { get; set; }
        /// <summary>Why the whole partition was kept, when the reader could not tell used from free.</summary>
        public string Note { get; set; }
        /// <summary>Used ranges, relative to the start of the partition.</summary>
        internal List<ByteRange> Used { get; set; } = new List<ByteRange>();
    }

    /// <summary>Finds the filesystem in a partition and the byte ranges it uses.</summary>
    public static class FileSystemProbe
    {
        /// <summary>Reads a partition's filesystem headers. An unknown filesystem is kept whole.</summary>
        public static FileSystemFacts Read(IBlockSource disk, long start, long size, int number)
        {
            var head = disk.Read(start, (int)Math.Min(size, 8192));
            FileSystemFacts f = null;
            if (head.Length >= 2048 && Le.U16(head, 1024 + 56) == 0xEF53) f = Ext4Reader.Read(disk, start, size, head);
            else if (head.Length >= 4096 && System.Text.Encoding.ASCII.GetString(head, 4086, 10) is string sig && (sig == "SWAPSPACE2" || sig == "SWAP-SPACE"))
                f = new FileSystemFacts { Type = "swap", Uuid = FormatUuid(head, 1024 + 12), Label = Le.Ascii(head, 1024 + 28, 16), Used = { new ByteRange(0, 4096) }, SizeBytes = size, BlockSize = 4096 };
            else if (FatReader.LooksLikeFat(head)) f = FatReader.Read(disk, start, size, head);
            if (f == null)
                f = new FileSystemFacts { Type = "unknown", SizeBytes = size, Note = "filesystem not recognised: the whole partition is kept", Used = { new ByteRange(0, size) } };
            f.Partition = number;
            f.UsedBytes = Ranges.Total(Ranges.Normalize(f.Used));
            return f;
        }

        internal static string FormatUuid(byte[] b, int o)
        {
            var g = new byte[16];
            Array.Copy(b, o, g, 0, 16);
            var h = Hex.Lower(g);
            return h.Substring(0, 8) + "-" + h.Substring(8, 4) + "-" + h.Substring(12, 4) + "-" + h.Substring(16, 4) + "-" + h.Substring(20);
        }
    }

    /// <summary>FAT12/16/32: boot sector and the first allocation table give the used clusters.</summary>
    public static class FatReader
    {
        public static bool LooksLikeFat(byte[] bs)
        {
            if (bs.Length < 512 || bs[510] != 0x55 || bs[511] != 0xAA) return false;
            int bps = Le.U16(bs, 11), spc = bs[13], nfats = bs[16];
            return (bps == 512 || bps == 1024 || bps == 2048 || bps == 4096) && spc > 0 && (spc & (spc - 1)) == 0
                   && Le.U16(bs, 14) > 0 && nfats >= 1 && nfats <= 4 && (Le.U16(bs, 22) != 0 || Le.U32(bs, 36) != 0);
        }

        public static FileSystemFacts Read(IBlockSource disk, long start, long partSize, byte[] bs)
        {
            int bps = Le.U16(bs, 11), spc = bs[13], reserved = Le.U16(bs, 14), nfats = bs[16], rootEntries = Le.U16(bs, 17);
            long total = Le.U16(bs, 19) != 0 ? Le.U16(bs, 19) : Le.U32(bs, 32);
            long fatSectors = Le.U16(bs, 22) != 0 ? Le.U16(bs, 22) : Le.U32(bs, 36);
            long rootDirSectors = (rootEntries * 32L + bps - 1) / bps;
            long dataStart = reserved + nfats * fatSectors + rootDirSectors;
            if (total <= dataStart) throw new System.IO.InvalidDataException("FAT boot sector: total sectors do not exceed the metadata area.");
            long clusters = (total - dataStart) / spc;
            string variant = clusters < 4085 ? "FAT12" : clusters < 65525 ? "FAT16" : "FAT32";
            bool fat32 = variant == "FAT32";
            long fatBytes = fatSectors * bps;
            var fat = disk.Read(start + reserved * (long)bps, checked((int)fatBytes));
            var f = new FileSystemFacts
            {
                Type = "vfat", Variant = variant, SizeBytes = total * bps, BlockSize = bps * spc,
                Label = Le.Ascii(bs, fat32 ? 71 : 43, 11),
            };
            if (f.Label == "NO NAME") f.Label = "";
            uint serial = Le.U32(bs, fat32 ? 67 : 39);
            f.Uuid = (serial >> 16).ToString("X4", CultureInfo.InvariantCulture) + "-" + (serial & 0xFFFF).ToString("X4", CultureInfo.InvariantCulture);
            f.Used.Add(new ByteRange(0, dataStart * bps));
            long clusterBytes = (long)bps * spc;
            long runStart = -1;
            for (long c = 2; c < clusters + 2; c++)
            {
                bool used = Entry(fat, c, variant, out bool known) != 0 && known;
                if (used && runStart < 0) runStart = c;
                if (!used && runStart >= 0) { Add(f, runStart, c, dataStart * bps, clusterBytes); runStart = -1; }
            }
            if (runStart >= 0) Add(f, runStart, clusters + 2, dataStart * bps, clusterBytes);
            return f;
        }

        static void Add(FileSystemFacts f, long from, long to, long dataOffset, long clusterBytes) =>
            f.Used.Add(new ByteRange(dataOffset + (from - 2) * clusterBytes, (to - from) * clusterBytes));

        /// <summary>The FAT entry of a cluster (0 = free). Bad-cluster marks count as free: they hold no data.</summary>
        static uint Entry(byte[] fat, long c, string variant, out bool known)
        {
            known = true;
            switch (variant)
            {
                case "FAT12":
                {
                    long o = c + c / 2;
                    if (o + 1 >= fat.Length) { known = false; return 0; }
                    int v = fat[o] | fat[o + 1] << 8;
                    v = (c & 1) != 0 ? v >> 4 : v & 0xFFF;
                    return v == 0xFF7 ? 0u : (uint)v;
                }
                case "FAT16":
                {
                    long o = c * 2;
                    if (o + 1 >= fat.Length) { known = false; return 0; }
                    uint v = Le.U16(fat, (int)o);
                    return v == 0xFFF7 ? 0u : v;
                }
                default:
                {
                    long o = c * 4;
                    if (o + 3 >= fat.Length) { known = false; return 0; }
                    uint v = Le.U32(fat, (int)o) & 0x0FFFFFFF;
                    return v == 0x0FFFFFF7 ? 0u : v;
                }
            }
        }
    }

    /// <summary>
    /// ext2/3/4: superblock, group descriptors and block bitmaps give the used blocks. Honours 64bit
    /// (wide descriptors), flex_bg (metadata of a group may live in another group), BLOCK_UNINIT
    /// (no bitmap on disk: only the group's own metadata is in use), sparse_super/sparse_super2 and bigalloc.
    /// </summary>
    public static class Ext4Reader
    {
        const uint IncompatRecover = 0x4, IncompatMetaBg = 0x10, IncompatExtents = 0x40, Incompat64Bit = 0x80, IncompatFlexBg = 0x200;
        const uint RoCompatSparseSuper = 0x1, RoCompatGdtCsum = 0x10, RoCompatBigalloc = 0x200, RoCompatMetadataCsum = 0x400;
        const ushort InodeUninit = 0x1;
        const uint CompatJournal = 0x4, CompatSparseSuper2 = 0x200;
        const ushort BlockUninit = 0x2;

        public static FileSystemFacts Read(IBlockSource disk, long start, long partSize, byte[] head)
        {
            var sb = new byte[1024];
            Array.Copy(head, 1024, sb, 0, 1024);
            uint logBlock = Le.U32(sb, 24);
            if (logBlock > 6) throw new System.IO.InvalidDataException("ext superblock: block size is invalid.");
            int blockSize = 1024 << (int)logBlock;
            uint compat = Le.U32(sb, 92), incompat = Le.U32(sb, 96), roCompat = Le.U32(sb, 100);
            bool is64 = (incompat & Incompat64Bit) != 0;
            long blocks = Le.U32(sb, 4) | (is64 ? (long)Le.U32(sb, 0x150) << 32 : 0);
            long firstData = Le.U32(sb, 20);
            long blocksPerGroup = Le.U32(sb, 32);
            bool bigalloc = (roCompat & RoCompatBigalloc) != 0;
            long clustersPerGroup = bigalloc ? Le.U32(sb, 36) : blocksPerGroup;
            int clusterRatio = bigalloc ? (1 << (int)(Le.U32(sb, 28) - logBlock)) : 1;
            long inodesPerGroup = Le.U32(sb, 40);
            int inodeSize = Le.U32(sb, 76) >= 1 ? Le.U16(sb, 88) : 128;
            int descSize = is64 ? Math.Max(32, (int)Le.U16(sb, 0xFE)) : 32;
            if (blocksPerGroup == 0 || blocks == 0) throw new System.IO.InvalidDataException("ext superblock: zero blocks per group.");
            long groups = (blocks - firstData + blocksPerGroup - 1) / blocksPerGroup;
            var f = new FileSystemFacts
            {
                Type = (incompat & (IncompatExtents | Incompat64Bit | IncompatFlexBg)) != 0 ? "ext4" : (compat & CompatJournal) != 0 ? "ext3" : "ext2",
                Label = Le.Ascii(sb, 120, 16), Uuid = FileSystemProbe.FormatUuid(sb, 104),
                SizeBytes = blocks * blockSize, BlockSize = blockSize,
            };
            if ((incompat & IncompatMetaBg) != 0)
            {
                f.Note = "meta_bg layout: the whole filesystem is kept";
                f.Used.Add(new ByteRange(0, Math.Min(partSize, f.SizeBytes)));
                return f;
            }
            long gdtBlocks = (groups * descSize + blockSize - 1) / blockSize;
            long reservedGdt = Le.U16(sb, 0xCE);
            var gdt = disk.Read(start + (firstData + 1) * blockSize, checked((int)(gdtBlocks * blockSize)));
            long itableBlocks = (inodesPerGroup * inodeSize + blockSize - 1) / blockSize;

            // Blocks before the first group (the 1 KiB boot block of 1 KiB-block filesystems) and every group's own metadata.
            f.Used.Add(new ByteRange(0, (firstData + 1) * blockSize));
            // With group checksums (uninit_bg, metadata_csum) the tail of an inode table past the group's last used
            // inode is never read by the kernel or e2fsck (lazy init zeroes it): it is not kept.
            bool itableUnusedValid = (roCompat & (RoCompatGdtCsum | RoCompatMetadataCsum)) != 0;
            var unusedItable = new Dictionary<long, ByteRange>();
            var uninitGroups = new HashSet<long>();
            var bitmapReads = new List<ByteRange>();
            var bitmapGroups = new List<long>();
            int bitmapBytes = (int)Math.Min(blockSize, (clustersPerGroup + 7) / 8);
            for (long g = 0; g < groups; g++)
            {
                int o = (int)(g * descSize);
                long bb = BitmapBlock(gdt, g, descSize);
                long ib = Le.U32(gdt, o + 4) | (descSize >= 64 ? (long)Le.U32(gdt, o + 0x24) << 32 : 0);
                long it = Le.U32(gdt, o + 8) | (descSize >= 64 ? (long)Le.U32(gdt, o + 0x28) << 32 : 0);
                ushort flags = Le.U16(gdt, o + 0x12);
                if (bb >= blocks || ib >= blocks || it >= blocks) throw new System.IO.InvalidDataException($"ext group descriptor {g} points outside the filesystem.");
                f.Used.Add(new ByteRange(bb * blockSize, blockSize));
                f.Used.Add(new ByteRange(ib * blockSize, blockSize));
                f.Used.Add(new ByteRange(it * blockSize, itableBlocks * blockSize));
                if (itableUnusedValid)
                {
                    long unused = Le.U16(gdt, o + 0x1C) | (descSize >= 64 ? (long)Le.U16(gdt, o + 0x32) << 16 : 0);
                    long usedInodes = (flags & InodeUninit) != 0 ? 0 : Math.Max(0, inodesPerGroup - unused);
                    long keepBlocks = (usedInodes * inodeSize + blockSize - 1) / blockSize;
                    if (keepBlocks < itableBlocks) unusedItable[g] = new ByteRange((it + keepBlocks) * blockSize, (itableBlocks - keepBlocks) * blockSize);
                }
                if (HasSuperBackup(g, sb, compat, roCompat))
                    f.Used.Add(new ByteRange((firstData + g * blocksPerGroup) * blockSize, (1 + gdtBlocks + reservedGdt) * blockSize));
                if ((flags & BlockUninit) == 0)
                {
                    bitmapReads.Add(new ByteRange(start + bb * blockSize, bitmapBytes));
                    bitmapGroups.Add(g);
                }
                else uninitGroups.Add(g);
            }
            // A filesystem in use (or not cleanly unmounted) may hold writes in its journal that are not in place yet:
            // bitmaps and group descriptors newer than the ones above. Its journal's superblock comes with the bitmaps.
            bool recover = (incompat & IncompatRecover) != 0;
            var journal = recover ? Ext4Journal.Extents(sb) : null;
            long journalSuper = journal != null ? Ext4Journal.Physical(journal, 0) : -1;
            if (journalSuper >= 0) bitmapReads.Add(new ByteRange(start + journalSuper * blockSize, 1024));
            var bitmaps = bitmapReads.Count > 0 ? disk.Read(bitmapReads) : new byte[0];
            if (recover)
            {
                int jsb = bitmapGroups.Count * bitmapBytes;
                var bitmapOf = new Dictionary<long, int>();
                for (int k = 0; k < bitmapGroups.Count; k++) bitmapOf[BitmapBlock(gdt, bitmapGroups[k], descSize)] = k;
                long gdtFirst = firstData + 1;
                var pending = journalSuper < 0 ? null
                    : Ext4Journal.IsEmpty(bitmaps, jsb) ? new Dictionary<long, List<byte[]>>()
                    : Ext4Journal.Pending(disk, start, blockSize, journal, bitmaps, jsb, b => bitmapOf.ContainsKey(b) || (b >= gdtFirst && b < gdtFirst + gdtBlocks));
                if (pending == null)
                {
                    f.Note = "its journal holds writes that cannot be followed here (an external journal, fast commits or an unusual layout): the whole filesystem is kept";
                    f.Used.Clear();
                    f.Used.Add(new ByteRange(0, Math.Min(partSize, f.SizeBytes)));
                    return f;
                }
                // What a replay would write counts as well as what is in place: a block used in either is kept.
                foreach (var kv in pending)
                {
                    if (bitmapOf.TryGetValue(kv.Key, out int k))
                    {
                        foreach (var copy in kv.Value)
                            for (int i = 0; i < bitmapBytes; i++) bitmaps[k * bitmapBytes + i] |= copy[i];
                        continue;
                    }
                    // a journaled descriptor block: its groups' inode tables are kept whole, and a group uninitialised
                    // in place but in use in the journal is kept whole
                    long firstGroup = (kv.Key - gdtFirst) * blockSize / descSize;
                    for (long g = firstGroup; g < Math.Min(groups, firstGroup + blockSize / descSize); g++)
                    {
                        unusedItable.Remove(g);
                        int o = (int)((g - firstGroup) * descSize);
                        if (uninitGroups.Contains(g) && kv.Value.Exists(copy => (Le.U16(copy, o + 0x12) & BlockUninit) == 0))
                        {
                            long b0 = firstData + g * blocksPerGroup;
                            f.Used.Add(new ByteRange(b0 * blockSize, (Math.Min(blocks, b0 + blocksPerGroup) - b0) * blockSize));
                        }
                    }
                }
                if (pending.Count > 0) f.Note = $"{pending.Values.Sum(c => c.Count)} bitmap and descriptor blocks waiting in its journal were merged with those in place";
            }
            for (int k = 0; k < bitmapGroups.Count; k++)
            {
                long g = bitmapGroups[k];
                int off = k * bitmapBytes;
                long firstBlock = firstData + g * blocksPerGroup;
                long runStart = -1;
                long clustersHere = Math.Min(clustersPerGroup, ((blocks - firstBlock) + clusterRatio - 1) / clusterRatio);
                for (long c = 0; c <= clustersHere; c++)
                {
                    bool used = c < clustersHere && (bitmaps[off + (int)(c >> 3)] & (1 << (int)(c & 7))) != 0;
                    if (used && runStart < 0) runStart = c;
                    else if (!used && runStart >= 0)
                    {
                        long b0 = firstBlock + runStart * clusterRatio, b1 = Math.Min(blocks, firstBlock + c * clusterRatio);
                        f.Used.Add(new ByteRange(b0 * blockSize, (b1 - b0) * blockSize));
                        runStart = -1;
                    }
                }
            }
            f.Used = Ranges.Subtract(f.Used, unusedItable.Values);
            return f;
        }

        static long BitmapBlock(byte[] gdt, long g, int descSize)
        {
            int o = (int)(g * descSize);
            return Le.U32(gdt, o) | (descSize >= 64 ? (long)Le.U32(gdt, o + 0x20) << 32 : 0);
        }

        static bool HasSuperBackup(long g, byte[] sb, uint compat, uint roCompat)
        {
            if (g == 0) return true;
            if ((compat & CompatSparseSuper2) != 0) return g == Le.U32(sb, 0x24C) || g == Le.U32(sb, 0x250);
            if ((roCompat & RoCompatSparseSuper) == 0) return true;
            if (g == 1) return true;
            return IsPower(g, 3) || IsPower(g, 5) || IsPower(g, 7);
        }

        static bool IsPower(long n, long b) { while (n > 1 && n % b == 0) n /= b; return n == 1; }
    }
}
