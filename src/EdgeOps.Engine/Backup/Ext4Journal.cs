using System;
using System.Collections.Generic;

namespace EdgeOps.Backup
{
    /// <summary>
    /// The writes waiting in an ext3/ext4 journal (jbd2): the copies of filesystem blocks that a replay (the next mount,
    /// or e2fsck) would write in place. A filesystem in use, or one whose board lost power, has them: its bitmaps in
    /// place can be older than the journal's, and a block allocated since the last checkpoint would read as free. The
    /// journal is located through the copy of its inode's extents that the superblock keeps (s_jnl_blocks) and read
    /// from s_start, transaction by transaction, while the blocks carry the expected sequence numbers; an unfinished
    /// last transaction and revoked blocks are taken too (the caller merges, so more is only safer).
    /// </summary>
    static class Ext4Journal
    {
        const uint Magic = 0xC03B3998;
        const int Descriptor = 1, Commit = 2, Revoke = 5;
        const uint Incompat64Bit = 0x2, IncompatCsumV2 = 0x8, IncompatCsumV3 = 0x10, IncompatFastCommit = 0x20;
        const uint TagEscape = 1, TagSameUuid = 2, TagLast = 8;
        const int BatchBlocks = 256;

        /// <summary>The journal's extents (logical block, physical block, length) from the superblock; null when not there.</summary>
        public static List<(long logical, long physical, long length)> Extents(byte[] sb)
        {
            const int iblock = 0x10C;
            if (Le.U32(sb, 0xE0) == 0 || sb[0xFD] != 1 || Le.U16(sb, iblock) != 0xF30A || Le.U16(sb, iblock + 6) != 0) return null;
            var list = new List<(long, long, long)>();
            int entries = Math.Min((int)Le.U16(sb, iblock + 2), 4);
            for (int e = 0; e < entries; e++)
            {
                int o = iblock + 12 + e * 12;
                int len = Le.U16(sb, o + 4);
                if (len > 32768) len -= 32768;   // an unwritten extent
                list.Add((Le.U32(sb, o), (long)Le.U16(sb, o + 6) << 32 | Le.U32(sb, o + 8), len));
            }
            return list.Count > 0 ? list : null;
        }

        /// <summary>The physical block of a journal block; -1 outside the extents.</summary>
        public static long Physical(List<(long logical, long physical, long length)> extents, long logical)
        {
            foreach (var (l, p, n) in extents)
                if (logical >= l && logical < l + n) return p + (logical - l);
            return -1;
        }

        /// <summary>True when the journal superblock (its first 1024 bytes) says nothing waits to be replayed.</summary>
        public static bool IsEmpty(byte[] jsb, int offset) => Be(jsb, offset) == Magic && Be(jsb, offset + 28) == 0;

        /// <summary>
        /// The journaled copies of the filesystem blocks <paramref name="wanted"/> accepts, oldest first per block; null
        /// when the journal cannot be followed here (no journal superblock where the extents say, fast commits, a log
        /// block outside the extents): then nothing can be concluded from the bitmaps in place.
        /// </summary>
        public static Dictionary<long, List<byte[]>> Pending(IBlockSource disk, long partitionStart, int blockSize,
            List<(long logical, long physical, long length)> extents, byte[] jsb, int jsbOffset, Func<long, bool> wanted)
        {
            if (Be(jsb, jsbOffset) != Magic || (Be(jsb, jsbOffset + 4) != 3 && Be(jsb, jsbOffset + 4) != 4)) return null;
            long logBlockSize = Be(jsb, jsbOffset + 12), maxLen = Be(jsb, jsbOffset + 16), first = Be(jsb, jsbOffset + 20);
            uint sequence = Be(jsb, jsbOffset + 24);
            long start = Be(jsb, jsbOffset + 28);
            uint incompat = Be(jsb, jsbOffset + 4) == 4 ? Be(jsb, jsbOffset + 40) : 0;
            if (logBlockSize != blockSize || first == 0 || maxLen <= first || (incompat & IncompatFastCommit) != 0) return null;
            var result = new Dictionary<long, List<byte[]>>();
            if (start == 0) return result;
            bool csum3 = (incompat & IncompatCsumV3) != 0, csum2 = (incompat & IncompatCsumV2) != 0;
            int tagSize = csum3 ? 16 : 8 + ((incompat & Incompat64Bit) != 0 ? 4 : 0);
            int tail = csum2 || csum3 ? 4 : 0;

            // the log is read a batch of blocks at a time (one round trip each), wrapping from the end back to s_first
            var batches = new Dictionary<long, byte[]>();
            long Next(long l) => l + 1 >= maxLen ? first : l + 1;
            byte[] Block(long l, out int at)
            {
                long batch = (l - first) / BatchBlocks;
                if (!batches.TryGetValue(batch, out var bytes))
                {
                    // in log order (blocks next to each other on the card merged into one range)
                    var ranges = new List<ByteRange>();
                    long from = first + batch * BatchBlocks, to = Math.Min(maxLen, from + BatchBlocks);
                    for (long b = from; b < to && ranges != null; b++)
                    {
                        long p = Physical(extents, b);
                        if (p < 0) ranges = null;
                        else if (ranges.Count > 0 && ranges[ranges.Count - 1].End == partitionStart + p * blockSize)
                            ranges[ranges.Count - 1] = new ByteRange(ranges[ranges.Count - 1].Start, ranges[ranges.Count - 1].Length + blockSize);
                        else ranges.Add(new ByteRange(partitionStart + p * blockSize, blockSize));
                    }
                    bytes = ranges == null ? null : disk.Read(ranges);
                    batches[batch] = bytes;
                }
                at = (int)((l - first - batch * BatchBlocks) * blockSize);
                return bytes;
            }

            long block = start;
            for (long seen = 0; seen < maxLen; )
            {
                var b = Block(block, out int at);
                if (b == null) return null;
                if (Be(b, at) != Magic || Be(b, at + 8) != sequence) break;   // the end of what was committed
                uint type = Be(b, at + 4);
                block = Next(block); seen++;
                if (type == Commit) { sequence++; continue; }
                if (type == Revoke) continue;
                if (type != Descriptor) break;
                for (int o = at + 12; o + tagSize <= at + blockSize - tail; )
                {
                    long target = Be(b, o) | (tagSize > 8 ? (long)Be(b, o + 8) << 32 : 0);
                    uint flags = csum3 ? Be(b, o + 4) : (uint)(b[o + 6] << 8 | b[o + 7]);
                    o += tagSize + ((flags & TagSameUuid) != 0 ? 0 : 16);
                    var data = Block(block, out int dat);
                    if (data == null) return null;
                    if (wanted(target))
                    {
                        var copy = new byte[blockSize];
                        Array.Copy(data, dat, copy, 0, blockSize);
                        if ((flags & TagEscape) != 0) { copy[0] = 0xC0; copy[1] = 0x3B; copy[2] = 0x39; copy[3] = 0x98; }
                        if (!result.TryGetValue(target, out var copies)) result[target] = copies = new List<byte[]>();
                        copies.Add(copy);
                    }
                    block = Next(block); seen++;
                    if ((flags & TagLast) != 0) break;
                }
            }
            return result;
        }

        static uint Be(byte[] b, int o) => (uint)(b[o] << 24 | b[o + 1] << 16 | b[o + 2] << 8 | b[o + 3]);
    }
}
