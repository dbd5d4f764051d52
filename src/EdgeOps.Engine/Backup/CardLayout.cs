using System;
using System.Collections.Generic;
using System.Linq;

namespace EdgeOps.Backup
{
    /// <summary>
    /// What is worth keeping of a card: the image ends at the end of the last partition; the table,
    /// the space before the first partition (boot loaders) and the used blocks of each filesystem are
    /// mapped; everything else is restored as zeros.
    /// </summary>
    public sealed class CardLayout
    {
        /// <summary>How much of each partition's start is fetched ahead when reads are round trips.</summary>
        const long HeadBytes = 64 * 1024;

        /// <summary>The block size of the block map (bmaptool's unit).</summary>
        public const int MapBlockSize = 4096;

        public long DiskSize { get; set; }
        public long ImageSize { get; set; }
        public PartitionTable Table { get; set; }
        public List<FileSystemFacts> FileSystems { get; } = new List<FileSystemFacts>();
        /// <summary>Mapped ranges, sorted, merged, aligned to <see cref="MapBlockSize"/> (the last one may end at a partial block).</summary>
        public List<ByteRange> Mapped { get; set; } = new List<ByteRange>();
        public long MappedBytes => Ranges.Total(Mapped);

        public static CardLayout Scan(IBlockSource disk, long diskSize)
        {
            var layout = new CardLayout { DiskSize = diskSize };
            var table = PartitionTable.Read(disk, diskSize);
            layout.Table = table;
            var mapped = new List<ByteRange>(table.MetadataRanges);
            var parts = table.Partitions.Where(p => !PartitionTable.IsExtendedContainer(p)).ToList();
            if (parts.Count == 0)
            {
                // No partition table: a filesystem on the whole disk (or something unknown, kept whole).
                var fs = FileSystemProbe.Read(disk, 0, diskSize, 0);
                layout.FileSystems.Add(fs);
                layout.ImageSize = fs.Type == "unknown" ? diskSize : Math.Min(diskSize, Math.Max(fs.SizeBytes, 1));
                mapped.AddRange(fs.Used);
            }
            else
            {
                layout.ImageSize = table.LastPartitionEnd;
                if (diskSize > 0 && layout.ImageSize > diskSize)
                    throw new System.IO.InvalidDataException($"The partition table ends at byte {layout.ImageSize}, past the end of the disk ({diskSize} bytes).");
                long firstStart = parts.Min(p => p.Start);
                mapped.Add(new ByteRange(0, firstStart));
                // every filesystem's header (FAT boot sector, ext superblock and, on a card-sized ext, its group
                // descriptors) in one round trip instead of one or two per partition
                if (disk is IPrefetchingBlockSource ahead)
                    ahead.Prefetch(parts.Select(p => new ByteRange(p.Start, Math.Min(p.Size, HeadBytes))).ToList());
                var ordered = parts.OrderBy(p => p.Number).ToList();
                foreach (var (p, fs) in ordered.Zip(ReadFileSystems(disk, ordered), (p, fs) => (p, fs)))
                {
                    layout.FileSystems.Add(fs);
                    foreach (var r in fs.Used)
                    {
                        long s = Math.Min(r.Start, p.Size), e = Math.Min(r.End, p.Size);
                        if (e > s) mapped.Add(new ByteRange(p.Start + s, e - s));
                    }
                }
            }
            layout.Mapped = Ranges.AlignOut(mapped, MapBlockSize, layout.ImageSize);
            return layout;
        }

        /// <summary>
        /// Each partition's filesystem, in the given order. Where reads are round trips, the filesystems are read side by
        /// side (the FAT's table and the ext bitmaps are each a round trip: two become the time of one), on threads of
        /// their own, since each waits on the network.
        /// </summary>
        static FileSystemFacts[] ReadFileSystems(IBlockSource disk, List<PartitionEntry> parts)
        {
            var found = new FileSystemFacts[parts.Count];
            if (!(disk is IPrefetchingBlockSource) || parts.Count < 2)
            {
                for (int i = 0; i < parts.Count; i++) found[i] = FileSystemProbe.Read(disk, parts[i].Start, parts[i].Size, parts[i].Number);
                return found;
            }
            var work = parts.Select((p, i) => EdgeOps.Transport.OwnThread.Run(() => found[i] = FileSystemProbe.Read(disk, p.Start, p.Size, p.Number), "EdgeOps card header")).ToArray();
            try { System.Threading.Tasks.Task.WaitAll(work); }
            catch (AggregateException e) { System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerExceptions[0]).Throw(); }
            return found;
        }
    }
}
