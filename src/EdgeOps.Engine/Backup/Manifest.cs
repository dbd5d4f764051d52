using System;
using System.Collections.Generic;
using System.IO;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace EdgeOps.Backup
{
    /// <summary>The JSON manifest beside each image: what was backed up, from where, and how to check it.</summary>
    public sealed class BackupManifest
    {
        public string Format { get; set; } = "edgeops-sdcard-backup/2";
        public string EdgeOpsVersion { get; set; }
        public string ComputerName { get; set; }
        public string Created { get; set; }
        public double Seconds { get; set; }
        public ManifestDevice Device { get; set; } = new ManifestDevice();
        public string SourcePath { get; set; }
        public long CardBytes { get; set; }
        public long ImageBytes { get; set; }
        public long UsedBytes { get; set; }
        public long StoredBytes { get; set; }
        public string ImageFile { get; set; }
        public string BmapFile { get; set; }
        public string Compression { get; set; }
        /// <summary>sha256 of the whole raw image: what earlier versions wrote (format 1); still checked when present.</summary>
        public string Sha256 { get; set; }
        /// <summary>
        /// The image's identity (format 2): the block map's own checksum (bmap BmapFileChecksum), which covers the image
        /// size and the sha256 of every mapped range; every other byte of the image is zero. Backup-SdCard checks all of
        /// it while the image streams (the frames written are decompressed here), so its zeros are never hashed.
        /// </summary>
        public string MapSha256 { get; set; }
        /// <summary>sha256 of the stored .img.zst, read back from the destination after writing.</summary>
        public string CompressedSha256 { get; set; }
        public bool Verified { get; set; }
        public string VerifiedAt { get; set; }
        public List<string> StoppedServices { get; set; } = new List<string>();
        public ManifestTable PartitionTable { get; set; } = new ManifestTable();
        public List<ManifestFileSystem> FileSystems { get; set; } = new List<ManifestFileSystem>();

        static readonly ISerializer s_writer = new SerializerBuilder().JsonCompatible()
            .WithNamingConvention(CamelCaseNamingConvention.Instance).Build();
        static readonly IDeserializer s_reader = new DeserializerBuilder()
            .WithNamingConvention(CamelCaseNamingConvention.Instance).IgnoreUnmatchedProperties().Build();

        public string ToJson() => s_writer.Serialize(this);

        public static BackupManifest Parse(string json)
        {
            try { return s_reader.Deserialize<BackupManifest>(json) ?? throw new InvalidDataException("The manifest is empty."); }
            catch (YamlDotNet.Core.YamlException e) { throw new InvalidDataException("The manifest is not valid JSON: " + e.Message, e); }
        }

        public DateTimeOffset CreatedTime =>
            DateTimeOffset.TryParse(Created, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var t) ? t : DateTimeOffset.MinValue;
    }

    public sealed class ManifestDevice
    {
        public string HostName { get; set; }
        public string Kind { get; set; }
        public string Model { get; set; }
        public string Architecture { get; set; }
        public string OS { get; set; }
        public string Kernel { get; set; }
        public string RootSource { get; set; }
    }

    public sealed class ManifestTable
    {
        public string Kind { get; set; }
        public string DiskId { get; set; }
        public int SectorSize { get; set; }
        public List<ManifestPartition> Partitions { get; set; } = new List<ManifestPartition>();
    }

    public sealed class ManifestPartition
    {
        public int Number { get; set; }
        public long Start { get; set; }
        public long Size { get; set; }
        public string Type { get; set; }
        public string Uuid { get; set; }
        public string Name { get; set; }
        public bool Bootable { get; set; }
    }

    public sealed class ManifestFileSystem
    {
        public int Partition { get; set; }
        public string Type { get; set; }
        public string Variant { get; set; }
        public string Label { get; set; }
        public string Uuid { get; set; }
        public long SizeBytes { get; set; }
        public long UsedBytes { get; set; }
        public string Note { get; set; }
    }
}
