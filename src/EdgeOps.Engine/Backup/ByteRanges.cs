using System;
using System.Collections.Generic;
using System.Linq;

namespace EdgeOps.Backup
{
    /// <summary>A byte range [Start, Start + Length) of a disk or image.</summary>
    public struct ByteRange : IEquatable<ByteRange>
    {
        public ByteRange(long start, long length) { Start = start; Length = length; }
        public long Start { get; }
        public long Length { get; }
        public long End => Start + Length;
        public bool Equals(ByteRange o) => o.Start == Start && o.Length == Length;
        public override bool Equals(object obj) => obj is ByteRange r && Equals(r);
        public override int GetHashCode() => Start.GetHashCode() * 31 + Length.GetHashCode();
        public override string ToString() => $"{Start}+{Length}";
    }

    /// <summary>Range arithmetic: sorted, merged, aligned lists of byte ranges.</summary>
    public static class Ranges
    {
        /// <summary>Sorts and merges overlapping or touching ranges; drops empty ones.</summary>
        public static List<ByteRange> Normalize(IEnumerable<ByteRange> ranges)
        {
            var list = ranges.Where(r => r.Length > 0).OrderBy(r => r.Start).ToList();
            var result = new List<ByteRange>(list.Count);
            foreach (var r in list)
            {
                if (result.Count > 0 && r.Start <= result[result.Count - 1].End)
                {
                    var last = result[result.Count - 1];
                    result[result.Count - 1] = new ByteRange(last.Start, Math.Max(last.End, r.End) - last.Start);
                }
                else result.Add(r);
            }
            return result;
        }

        /// <summary>Widens every range outward to multiples of <paramref name="block"/>, clamped to <paramref name="limit"/>, then merges.</summary>
        public static List<ByteRange> AlignOut(IEnumerable<ByteRange> ranges, long block, long limit)
        {
            var widened = new List<ByteRange>();
            foreach (var r in ranges)
            {
                if (r.Length <= 0 || r.Start >= limit) continue;
                long s = r.Start / block * block;
                long e = Math.Min(limit, (r.End + block - 1) / block * block);
                widened.Add(new ByteRange(s, e - s));
            }
            return Normalize(widened);
        }

        public static long Total(IEnumerable<ByteRange> ranges) => ranges.Sum(r => r.Length);

        /// <summary>The parts of <paramref name="ranges"/> not covered by <paramref name="remove"/> (both any order).</summary>
        public static List<ByteRange> Subtract(IEnumerable<ByteRange> ranges, IEnumerable<ByteRange> remove)
        {
            var cut = Normalize(remove);
            var result = new List<ByteRange>();
            int j = 0;
            foreach (var r in Normalize(ranges))
            {
                long s = r.Start;
                while (j < cut.Count && cut[j].End <= s) j++;
                int k = j;
                while (k < cut.Count && cut[k].Start < r.End)
                {
                    if (cut[k].Start > s) result.Add(new ByteRange(s, cut[k].Start - s));
                    s = Math.Max(s, cut[k].End);
                    k++;
                }
                if (s < r.End) result.Add(new ByteRange(s, r.End - s));
            }
            return result;
        }

        /// <summary>
        /// Groups sorted ranges into chunks: a chunk is read as one piece, its inner gaps (free space shorter
        /// than <paramref name="maxGap"/>) filled with zeros, and it never spans more than <paramref name="maxSpan"/>
        /// unless a single range is longer.
        /// </summary>
        public static List<List<ByteRange>> Chunk(IReadOnlyList<ByteRange> sorted, long maxGap, long maxSpan)
        {
            var chunks = new List<List<ByteRange>>();
            List<ByteRange> cur = null;
            foreach (var r in sorted)
            {
                if (cur != null)
                {
                    var first = cur[0]; var last = cur[cur.Count - 1];
                    if (r.Start - last.End <= maxGap && r.End - first.Start <= maxSpan) { cur.Add(r); continue; }
                }
                cur = new List<ByteRange> { r };
                chunks.Add(cur);
            }
            return chunks;
        }

        /// <summary>Splits ranges longer than <paramref name="max"/> so each piece is at most that long.</summary>
        public static List<ByteRange> SplitLong(IEnumerable<ByteRange> ranges, long max)
        {
            var result = new List<ByteRange>();
            foreach (var r in ranges)
                for (long s = r.Start; s < r.End; s += max) result.Add(new ByteRange(s, Math.Min(max, r.End - s)));
            return result;
        }
    }

    /// <summary>Random access to the bytes of a card (a local file or block device, or a device over the transport).</summary>
    public interface IBlockSource
    {
        /// <summary>Reads the ranges and returns their bytes one after another.</summary>
        byte[] Read(IReadOnlyList<ByteRange> ranges);
    }

    /// <summary>A block source where each read costs a round trip: what will surely be read next can be fetched ahead, at once.</summary>
    public interface IPrefetchingBlockSource : IBlockSource
    {
        void Prefetch(IReadOnlyList<ByteRange> ranges);
    }

    public static class BlockSourceExtensions
    {
        public static byte[] Read(this IBlockSource source, long offset, int length) =>
            source.Read(new[] { new ByteRange(offset, length) });
    }

    /// <summary>Little-endian field access for on-disk structures.</summary>
    static class Le
    {
        public static ushort U16(byte[] b, int o) => (ushort)(b[o] | b[o + 1] << 8);
        public static uint U32(byte[] b, int o) => (uint)(b[o] | b[o + 1] << 8 | b[o + 2] << 16 | b[o + 3] << 24);
        public static ulong U64(byte[] b, int o) => U32(b, o) | (ulong)U32(b, o + 4) << 32;
        public static string Ascii(byte[] b, int o, int n)
        {
            int end = o;
            while (end < o + n && b[end] != 0) end++;
            return System.Text.Encoding.ASCII.GetString(b, o, end - o).TrimEnd(' ');
        }
    }
}
