using System.Text.Json;
using EdgeOps.Backup;
using Xunit;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace EdgeOps.Tests.Backup
{
    /// <summary>
    /// The manifest beside each image is JSON written by System.Text.Json's source-generated context. Manifests that
    /// earlier builds wrote (YamlDotNet's JSON-compatible serializer, one line, the device's OS as "oS") stay readable:
    /// backups are kept for months, and Get-SdCardBackup, Test-SdCardBackup and Restore-SdCard read them.
    /// </summary>
    public sealed class ManifestJsonTests
    {
        static BackupManifest Sample() => new BackupManifest
        {
            EdgeOpsVersion = "0.1.0", ComputerName = "pi4 \"lab\" $(x)", Created = "2026-12-03T21:00:00.0000000+00:00", Seconds = 9.25,
            Device = new ManifestDevice { HostName = "pi4-00", Kind = "RaspberryPi4", Model = "Raspberry Pi 4 Model B Rev 1.5", Architecture = "aarch64",
                                          OS = "Debian GNU/Linux 13 (trixie)", Kernel = "6.12.47", RootSource = "/dev/mmcblk0p2" },
            SourcePath = "/dev/mmcblk0", CardBytes = 31_914_983_424, ImageBytes = 31_914_983_424, UsedBytes = 352_321_536, StoredBytes = 196_083_712,
            ImageFile = "pi4-00-20261203T210000Z.img.zst", BmapFile = "pi4-00-20261203T210000Z.img.bmap", Compression = "zstd -3 (on the device)",
            MapSha256 = new string('a', 64), CompressedSha256 = new string('b', 64), Verified = true, VerifiedAt = "2026-12-03T21:00:09Z",
            StoppedServices = { "edge-infer", "edge-mqtt" },
            PartitionTable = new ManifestTable { Kind = "dos", DiskId = "0x6c3bb3a5", SectorSize = 512, Partitions =
                { new ManifestPartition { Number = 1, Start = 4_194_304, Size = 268_435_456, Type = "c", Bootable = true },
                  new ManifestPartition { Number = 2, Start = 272_629_760, Size = 31_642_353_664, Type = "83", Uuid = "6c3bb3a5-02" } } },
            FileSystems = { new ManifestFileSystem { Partition = 2, Type = "ext4", Label = "rootfs", Uuid = "0f0e", SizeBytes = 31_642_353_664, UsedBytes = 300_000_000, Note = "journal written in place" } },
        };

        [Fact]
        public void A_manifest_round_trips_with_camelCase_names()
        {
            var m = Sample();
            var json = m.ToJson();
            using (var doc = JsonDocument.Parse(json))
            {
                var root = doc.RootElement;
                Assert.Equal("edgeops-sdcard-backup/2", root.GetProperty("format").GetString());
                Assert.Equal(new string('a', 64), root.GetProperty("mapSha256").GetString());
                Assert.Equal("Debian GNU/Linux 13 (trixie)", root.GetProperty("device").GetProperty("os").GetString());
                Assert.Equal(31_642_353_664, root.GetProperty("partitionTable").GetProperty("partitions")[1].GetProperty("size").GetInt64());
                Assert.True(root.GetProperty("verified").GetBoolean());
                Assert.Equal(JsonValueKind.Null, root.GetProperty("sha256").ValueKind);   // format 1's whole-image hash: not taken
            }
            Assert.Equal(json, BackupManifest.Parse(json).ToJson());
        }

        [Fact]
        public void A_manifest_an_earlier_build_wrote_reads_the_same()
        {
            // the serializer those builds used, as they configured it
            var earlier = new SerializerBuilder().JsonCompatible().WithNamingConvention(CamelCaseNamingConvention.Instance).Build().Serialize(Sample());
            Assert.Contains("\"oS\": ", earlier);
            var read = BackupManifest.Parse(earlier);
            Assert.Equal("Debian GNU/Linux 13 (trixie)", read.Device.OS);
            Assert.Equal(Sample().ToJson(), read.ToJson());
        }

        [Fact]
        public void Unknown_names_are_skipped_and_what_is_not_a_manifest_is_InvalidData()
        {
            var m = BackupManifest.Parse("{\"format\": \"edgeops-sdcard-backup/3\", \"storedBytes\": \"42\", \"future\": {\"x\": [1, 2]}, \"verified\": true}");
            Assert.Equal("edgeops-sdcard-backup/3", m.Format);
            Assert.Equal(42, m.StoredBytes);
            Assert.True(m.Verified);
            foreach (var bad in new[] { "", "{\"storedBytes\": ", "not json", "[1, 2]", "{\"verified\": \"maybe\"}" })
            {
                var e = Assert.Throws<InvalidDataException>(() => BackupManifest.Parse(bad));
                Assert.Contains("manifest", e.Message);
            }
            Assert.Equal("The manifest is empty.", Assert.Throws<InvalidDataException>(() => BackupManifest.Parse("null")).Message);
        }
    }
}
