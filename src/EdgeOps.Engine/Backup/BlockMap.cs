using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Text;
using System.Xml.Linq;

namespace EdgeOps.Backup
{
    /// <summary>One mapped range of the block map: blocks First..Last (inclusive) and the sha256 of their bytes.</summary>
    public sealed class MappedRange
    {
        public long First { get; set; }
        public long Last { get; set; }
        public string Sha256 { get; set; }
    }

    /// <summary>
    /// The block map beside an image, in bmaptool's format (version 2.0, sha256 per range), so
    /// `bmaptool copy card.img.zst /dev/sdX` writes only the mapped blocks and checks each range.
    /// </summary>
    public sealed class BlockMap
    {
        public long ImageSize { get; set; }
        public int BlockSize { get; set; } = CardLayout.MapBlockSize;
        public List<MappedRange> Ranges { get; } = new List<MappedRange>();
        public long BlocksCount => (ImageSize + BlockSize - 1) / BlockSize;
        public long MappedBlocks => Ranges.Sum(r => r.Last - r.First + 1);

        /// <summary>The byte range of a mapped range (the last block of the image may be partial).</summary>
        public ByteRange Bytes(MappedRange r)
        {
            long s = r.First * BlockSize;
            return new ByteRange(s, Math.Min(ImageSize, (r.Last + 1) * BlockSize) - s);
        }

        public static BlockMap FromRanges(long imageSize, IEnumerable<ByteRange> mapped, int blockSize = CardLayout.MapBlockSize)
        {
            var m = new BlockMap { ImageSize = imageSize, BlockSize = blockSize };
            foreach (var r in mapped)
            {
                if (r.Start % blockSize != 0 || (r.End % blockSize != 0 && r.End != imageSize))
                    throw new ArgumentException("Mapped ranges must be aligned to the block size.");
                m.Ranges.Add(new MappedRange { First = r.Start / blockSize, Last = (r.End + blockSize - 1) / blockSize - 1 });
            }
            return m;
        }

        const string ZeroSum = "0000000000000000000000000000000000000000000000000000000000000000";

        public string ToXml() => ToXmlWith(Checksum());

        string ToXmlWith(string checksum)
        {
            var ci = CultureInfo.InvariantCulture;
            var sb = new StringBuilder();
            sb.Append("<?xml version=\"1.0\" ?>\n");
            sb.Append("<!-- Block map of an SD-card image written by EdgeOps Backup-SdCard. Mapped blocks hold\n");
            sb.Append("     data; the others are zeros. bmaptool copy uses it to write only the mapped blocks. -->\n");
            sb.Append("<bmap version=\"2.0\">\n");
            sb.Append("    <!-- Image size in bytes -->\n");
            sb.Append("    <ImageSize> ").Append(ImageSize.ToString(ci)).Append(" </ImageSize>\n");
            sb.Append("    <!-- Size of a block in bytes -->\n");
            sb.Append("    <BlockSize> ").Append(BlockSize.ToString(ci)).Append(" </BlockSize>\n");
            sb.Append("    <!-- Count of blocks in the image -->\n");
            sb.Append("    <BlocksCount> ").Append(BlocksCount.ToString(ci)).Append(" </BlocksCount>\n");
            sb.Append("    <!-- Count of mapped blocks -->\n");
            sb.Append("    <MappedBlocksCount> ").Append(MappedBlocks.ToString(ci)).Append(" </MappedBlocksCount>\n");
            sb.Append("    <!-- Checksum type of the ranges and of this file -->\n");
            sb.Append("    <ChecksumType> sha256 </ChecksumType>\n");
            sb.Append("    <!-- sha256 of this file, computed with this field set to zeros -->\n");
            sb.Append("    <BmapFileChecksum> ").Append(checksum).Append(" </BmapFileChecksum>\n");
            sb.Append("    <!-- Mapped ranges of blocks (first-last), each with the sha256 of its bytes -->\n");
            sb.Append("    <BlockMap>\n");
            foreach (var r in Ranges)
            {
                sb.Append("        <Range chksum=\"").Append(r.Sha256).Append("\"> ").Append(r.First.ToString(ci));
                if (r.Last != r.First) sb.Append('-').Append(r.Last.ToString(ci));
                sb.Append(" </Range>\n");
            }
            sb.Append("    </BlockMap>\n</bmap>\n");
            return sb.ToString();
        }

        /// <summary>
        /// The map's own checksum (bmap's BmapFileChecksum: the sha256 of the file with that field zeroed). It covers the
        /// image size, the block size and every mapped range with its sha256; the other blocks are zeros. So it
        /// identifies the image, and Backup-SdCard's manifest keeps it as MapSha256.
        /// </summary>
        public string Checksum()
        {
            using (var sha = SHA256.Create())
                return Hex.Lower(sha.ComputeHash(Encoding.UTF8.GetBytes(ToXmlWith(ZeroSum))));
        }

        /// <summary>The checksum a parsed map carried (checked against its text by <see cref="Parse"/>).</summary>
        public string FileChecksum { get; private set; }

        /// <summary>Reads a bmap file (version 2.x with sha256) and checks its own checksum.</summary>
        public static BlockMap Parse(string xml)
        {
            var doc = XDocument.Parse(xml);
            var root = doc.Root;
            if (root == null || root.Name != "bmap") throw new InvalidDataException("Not a bmap file.");
            var version = (string)root.Attribute("version") ?? "";
            if (!version.StartsWith("2.", StringComparison.Ordinal)) throw new InvalidDataException($"bmap version {version} is not supported (2.x is).");
            string Field(string n) => (root.Element(n)?.Value ?? throw new InvalidDataException($"bmap file has no <{n}>.")).Trim();
            var ci = CultureInfo.InvariantCulture;
            var m = new BlockMap { ImageSize = long.Parse(Field("ImageSize"), ci), BlockSize = int.Parse(Field("BlockSize"), ci) };
            m.FileChecksum = Field("BmapFileChecksum").ToLowerInvariant();
            if (!string.Equals(Field("ChecksumType"), "sha256", StringComparison.OrdinalIgnoreCase))
                throw new InvalidDataException("bmap file does not use sha256 checksums.");
            var own = Field("BmapFileChecksum");
            int at = xml.IndexOf(own, StringComparison.Ordinal);
            var zeroed = xml.Substring(0, at) + ZeroSum + xml.Substring(at + own.Length);
            using (var sha = SHA256.Create())
                if (!string.Equals(Hex.Lower(sha.ComputeHash(Encoding.UTF8.GetBytes(zeroed))), own, StringComparison.OrdinalIgnoreCase))
                    throw new InvalidDataException("The bmap file's own checksum does not match: it was changed or damaged.");
            foreach (var r in root.Element("BlockMap")?.Elements("Range") ?? Enumerable.Empty<XElement>())
            {
                var t = r.Value.Trim();
                int dash = t.IndexOf('-');
                long first = long.Parse(dash < 0 ? t : t.Substring(0, dash), ci);
                long last = dash < 0 ? first : long.Parse(t.Substring(dash + 1), ci);
                m.Ranges.Add(new MappedRange { First = first, Last = last, Sha256 = ((string)r.Attribute("chksum"))?.ToLowerInvariant() });
            }
            if (long.Parse(Field("MappedBlocksCount"), ci) != m.MappedBlocks) throw new InvalidDataException("bmap MappedBlocksCount does not match its ranges.");
            return m;
        }
    }
}
