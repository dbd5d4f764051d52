using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace EdgeOps.Backup
{
    /// <summary>One partition of an MBR or GPT disk.</summary>
    public sealed class PartitionEntry
    {
        public int Number { get; set; }
        public long Start { get; set; }
        public long Size { get; set; }
        public long End => Start + Size;
        /// <summary>MBR: the type byte as two hex digits ("0c", "83"); GPT: the type GUID.</summary>
        public string Type { get; set; }
        /// <summary>GPT: the partition's unique GUID; MBR: the PARTUUID Linux shows (disk id and number).</summary>
        public string Uuid { get; set; }
        public string Name { get; set; }
        public bool Bootable { get; set; }
    }

    /// <summary>A disk's partition table, read by the project's own reader (MBR with logical partitions, or GPT).</summary>
    public sealed class PartitionTable
    {
        /// <summary>"dos", "gpt" or "none".</summary>
        public string Kind { get; set; } = "none";
        /// <summary>MBR disk signature as 0x%08x, or the GPT disk GUID.</summary>
        public string DiskId { get; set; }
        public int SectorSize { get; set; } = 512;
        public List<PartitionEntry> Partitions { get; } = new List<PartitionEntry>();
        /// <summary>Where the table itself lives (MBR, EBRs, GPT header and entries): always part of the image.</summary>
        public List<ByteRange> MetadataRanges { get; } = new List<ByteRange>();

        public long LastPartitionEnd
        {
            get { long m = 0; foreach (var p in Partitions) m = Math.Max(m, p.End); return m; }
        }

        const int Sector = 512;

        /// <summary>Reads the table from the first sectors of a disk. Throws InvalidDataException for a damaged table.</summary>
        public static PartitionTable Read(IBlockSource disk, long diskSize)
        {
            var t = new PartitionTable();
            var mbr = disk.Read(0, Sector);
            t.MetadataRanges.Add(new ByteRange(0, Sector));
            if (mbr[510] != 0x55 || mbr[511] != 0xAA) return t;
            bool protective = false;
            for (int i = 0; i < 4; i++) if (mbr[0x1BE + i * 16 + 4] == 0xEE) protective = true;
            if (protective)
            {
                foreach (var ss in new[] { 512, 4096 })
                {
                    if ((long)ss * 2 > diskSize && diskSize > 0) continue;
                    var hdr = disk.Read(ss, ss == 512 ? 512 : 4096);
                    if (Encoding.ASCII.GetString(hdr, 0, 8) == "EFI PART") { ReadGpt(disk, t, hdr, ss); return t; }
                }
                throw new System.IO.InvalidDataException("The disk has a protective MBR but no GPT header at LBA 1.");
            }
            if (!LooksLikeMbr(mbr)) return t;
            t.Kind = "dos";
            uint sig = Le.U32(mbr, 440);
            t.DiskId = "0x" + sig.ToString("x8", CultureInfo.InvariantCulture);
            long extendedStart = 0;
            for (int i = 0; i < 4; i++)
            {
                int o = 0x1BE + i * 16;
                byte type = mbr[o + 4];
                long lba = Le.U32(mbr, o + 8), count = Le.U32(mbr, o + 12);
                if (type == 0 || count == 0) continue;
                if (type == 0x05 || type == 0x0F || type == 0x85)
                {
                    extendedStart = lba * Sector;
                    t.Partitions.Add(new PartitionEntry { Number = i + 1, Start = lba * Sector, Size = Sector, Type = type.ToString("x2"), Bootable = mbr[o] == 0x80 });
                    continue;
                }
                t.Partitions.Add(new PartitionEntry { Number = i + 1, Start = lba * Sector, Size = count * Sector, Type = type.ToString("x2"), Bootable = mbr[o] == 0x80 });
            }
            if (extendedStart > 0) ReadLogical(disk, t, extendedStart);
            foreach (var p in t.Partitions) p.Uuid = sig.ToString("x8", CultureInfo.InvariantCulture) + "-" + p.Number.ToString("00", CultureInfo.InvariantCulture);
            // The extended partition's own entry covers only its first EBR; its real extent is its logical partitions.
            return t;
        }

        static bool LooksLikeMbr(byte[] mbr)
        {
            for (int i = 0; i < 4; i++)
            {
                byte status = mbr[0x1BE + i * 16];
                if (status != 0 && status != 0x80) return false;
            }
            return true;
        }

        static void ReadLogical(IBlockSource disk, PartitionTable t, long extendedStart)
        {
            long ebr = extendedStart;
            int number = 5;
            var seen = new HashSet<long>();
            while (ebr > 0 && seen.Add(ebr) && number < 260)
            {
                var b = disk.Read(ebr, Sector);
                t.MetadataRanges.Add(new ByteRange(ebr, Sector));
                if (b[510] != 0x55 || b[511] != 0xAA) throw new System.IO.InvalidDataException($"Extended boot record at byte {ebr} has no signature.");
                long lba = Le.U32(b, 0x1BE + 8), count = Le.U32(b, 0x1BE + 12);
                byte type = b[0x1BE + 4];
                if (type != 0 && count > 0)
                    t.Partitions.Add(new PartitionEntry { Number = number++, Start = ebr + lba * Sector, Size = count * Sector, Type = type.ToString("x2"), Bootable = b[0x1BE] == 0x80 });
                long next = Le.U32(b, 0x1CE + 8);
                ebr = b[0x1CE + 4] == 0 || next == 0 ? 0 : extendedStart + next * Sector;
            }
        }

        static void ReadGpt(IBlockSource disk, PartitionTable t, byte[] hdr, int ss)
        {
            uint hsize = Le.U32(hdr, 12);
            if (hsize < 92 || hsize > ss) throw new System.IO.InvalidDataException("GPT header size is invalid.");
            var copy = new byte[hsize];
            Array.Copy(hdr, copy, hsize);
            uint crc = Le.U32(copy, 16);
            copy[16] = copy[17] = copy[18] = copy[19] = 0;
            if (Crc32.Compute(copy, 0, (int)hsize) != crc) throw new System.IO.InvalidDataException("GPT header CRC does not match: the partition table is damaged.");
            long entriesLba = (long)Le.U64(hdr, 72);
            uint count = Le.U32(hdr, 80), esize = Le.U32(hdr, 84);
            if (esize < 128 || count > 4096) throw new System.IO.InvalidDataException("GPT entry array is invalid.");
            int bytes = checked((int)(count * esize));
            var entries = disk.Read(entriesLba * ss, bytes);
            if (Crc32.Compute(entries, 0, bytes) != Le.U32(hdr, 88)) throw new System.IO.InvalidDataException("GPT partition entry CRC does not match: the partition table is damaged.");
            t.Kind = "gpt";
            t.SectorSize = ss;
            t.DiskId = GuidAt(hdr, 56);
            t.MetadataRanges.Add(new ByteRange(ss, ss));
            t.MetadataRanges.Add(new ByteRange(entriesLba * ss, bytes));
            for (int i = 0; i < count; i++)
            {
                int o = (int)(i * esize);
                bool empty = true;
                for (int k = 0; k < 16; k++) if (entries[o + k] != 0) { empty = false; break; }
                if (empty) continue;
                long first = (long)Le.U64(entries, o + 32), last = (long)Le.U64(entries, o + 40);
                var name = Encoding.Unicode.GetString(entries, o + 56, 72);
                int nul = name.IndexOf('\0');
                t.Partitions.Add(new PartitionEntry
                {
                    Number = i + 1, Start = first * ss, Size = (last - first + 1) * ss,
                    Type = GuidAt(entries, o), Uuid = GuidAt(entries, o + 16),
                    Name = nul >= 0 ? name.Substring(0, nul) : name,
                });
            }
        }

        static string GuidAt(byte[] b, int o)
        {
            var g = new byte[16];
            Array.Copy(b, o, g, 0, 16);
            return new Guid(g).ToString();
        }

        /// <summary>True when a partition entry is the MBR extended container (its logical partitions are listed separately).</summary>
        public static bool IsExtendedContainer(PartitionEntry p) => p.Type == "05" || p.Type == "0f" || p.Type == "85";
    }

    /// <summary>CRC-32 (IEEE 802.3), as GPT uses.</summary>
    public static class Crc32
    {
        static readonly uint[] s_table = Build();
        static uint[] Build()
        {
            var t = new uint[256];
            for (uint i = 0; i < 256; i++)
            {
                uint c = i;
                for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
                t[i] = c;
            }
            return t;
        }
        public static uint Compute(byte[] data, int offset, int count)
        {
            uint c = 0xFFFFFFFFu;
            for (int i = offset; i < offset + count; i++) c = s_table[(c ^ data[i]) & 0xFF] ^ (c >> 8);
            return c ^ 0xFFFFFFFFu;
        }
    }
}
