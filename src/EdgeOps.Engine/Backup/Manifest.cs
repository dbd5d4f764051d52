using System;
using System.Collections.Generic;
using System.IO;
using System.Text.Json;
using System.Text.Json.Serialization;

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

        // System.Text.Json with a source-generated context (ManifestJson below): no reflection, and on PowerShell 7 the
        // framework's own precompiled serializer, where YamlDotNet's reflecting serializer JIT-compiled hundreds of methods
        // (and emitted accessors) in every new process, and again as they became hot.
        public string ToJson() => JsonSerializer.Serialize(this, ManifestJson.Default.BackupManifest);

        /// <summary>A manifest from its text, whichever build wrote it: unknown names are skipped and names match in any
        /// case (earlier builds wrote the device's OS as "oS", this one as "os").</summary>
        public static BackupManifest Parse(string json)
        {
            try { return JsonSerializer.Deserialize(json, ManifestJson.Default.BackupManifest) ?? throw new InvalidDataException("The manifest is empty."); }
            catch (JsonException e) { throw new InvalidDataException("The manifest is not valid JSON: " + e.Message, e); }
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

    /// <summary>The manifest's JSON: camelCase names, indented for people who open it, read case-insensitively.</summary>
    [JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true, PropertyNameCaseInsensitive = true,
        NumberHandling = JsonNumberHandling.AllowReadingFromString)]
    [JsonSerializable(typeof(BackupManifest))]
    internal sealed partial class ManifestJson : JsonSerializerContext { }
}
