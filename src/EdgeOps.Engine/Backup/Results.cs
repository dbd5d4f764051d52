using System;

namespace EdgeOps
{
    /// <summary>One backup made by Backup-SdCard.</summary>
    public sealed class SdCardBackup
    {
        public string ComputerName { get; set; }
        public string Path { get; set; }
        public string SourcePath { get; set; }
        /// <summary>Size of the raw image (the card up to the end of its last partition).</summary>
        public long ImageBytes { get; set; }
        /// <summary>Size of the compressed file stored.</summary>
        public long StoredBytes { get; set; }
        /// <summary>Bytes the filesystems use: what was read and sent.</summary>
        public long UsedBytes { get; set; }
        /// <summary>The image's identity: its block map's checksum (the sha256 of each mapped range; zeros elsewhere).</summary>
        public string MapSha256 { get; set; }
        public double Seconds { get; set; }
        /// <summary>Image megabytes (MiB) per second of wall time.</summary>
        public double MBps { get; set; }
        public bool Verified { get; set; }
        /// <summary>File names retention removed, separated by ", ".</summary>
        public string Removed { get; set; } = "";
        public string Compression { get; set; }
    }

    /// <summary>One stored image, as Get-SdCardBackup lists it.</summary>
    public sealed class SdCardBackupInfo
    {
        public string ComputerName { get; set; }
        public string Path { get; set; }
        public DateTimeOffset Created { get; set; }
        public long ImageBytes { get; set; }
        public long StoredBytes { get; set; }
        public long UsedBytes { get; set; }
        public bool Verified { get; set; }
        /// <summary>sha256 of the whole image (backups of format 1), else null.</summary>
        public string Sha256 { get; set; }
        /// <summary>The image's identity, its block map's checksum (backups of format 2), else null.</summary>
        public string MapSha256 { get; set; }
        public string Model { get; set; }
        public string EdgeOpsVersion { get; set; }
        /// <summary>Why the image is not usable, when it isn't (no manifest, size differs...).</summary>
        public string Problem { get; set; }
    }

    /// <summary>What Test-SdCardBackup found for one image.</summary>
    public sealed class SdCardBackupTest
    {
        public string ComputerName { get; set; }
        public string Path { get; set; }
        public bool Passed { get; set; }
        /// <summary>Checks that passed, separated by "; ".</summary>
        public string PassedChecks { get; set; } = "";
        /// <summary>Checks that failed with the reason, separated by "; ".</summary>
        public string FailedChecks { get; set; } = "";
        public bool CompressedHashOk { get; set; }
        public bool ImageHashOk { get; set; }
        public bool BlockMapOk { get; set; }
        public string PartitionTable { get; set; }
        public int Partitions { get; set; }
        public string FileSystems { get; set; }
        /// <summary>"clean", "errors", "not run" (no e2fsck) or "none" (no ext filesystem).</summary>
        public string E2fsck { get; set; }
        public double Seconds { get; set; }
    }

    /// <summary>One image written by Restore-SdCard.</summary>
    public sealed class SdCardRestore
    {
        public string ComputerName { get; set; }
        public string Path { get; set; }
        public string DevicePath { get; set; }
        public long ImageBytes { get; set; }
        /// <summary>Bytes sent and written (mapped blocks; the whole image with -Full).</summary>
        public long WrittenBytes { get; set; }
        public double Seconds { get; set; }
        public double MBps { get; set; }
        public bool Full { get; set; }
        public bool Verified { get; set; }
    }
}
