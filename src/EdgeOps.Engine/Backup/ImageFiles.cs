using System;
using System.IO;
using System.Text;

namespace EdgeOps.Backup
{
    /// <summary>The files of one stored backup: image, block map beside it, manifest beside it.</summary>
    public sealed class ImageFiles
    {
        public string Image { get; private set; }
        public string Map { get; private set; }
        public string Manifest { get; private set; }

        /// <summary>From the path of any of the three files (or the image).</summary>
        public static ImageFiles From(string path)
        {
            var full = Path.GetFullPath(path);
            string b = full;
            foreach (var s in new[] { SdCardBackupService.ImageSuffix, SdCardBackupService.MapSuffix, SdCardBackupService.ManifestSuffix })
                if (full.EndsWith(s, StringComparison.OrdinalIgnoreCase)) { b = full.Substring(0, full.Length - s.Length); break; }
            var f = new ImageFiles
            {
                Image = b + SdCardBackupService.ImageSuffix, Map = b + SdCardBackupService.MapSuffix, Manifest = b + SdCardBackupService.ManifestSuffix,
            };
            if (!File.Exists(f.Image))
            {
                if (File.Exists(full) && !full.EndsWith(".json", StringComparison.OrdinalIgnoreCase) && !full.EndsWith(".bmap", StringComparison.OrdinalIgnoreCase)) f.Image = full;
                else throw new EdgeOpsException("BackupImageNotFound", "ObjectNotFound", $"Image '{f.Image}' does not exist: check -Path.");
            }
            return f;
        }

        public BlockMap ReadMap() => File.Exists(Map) ? BlockMap.Parse(File.ReadAllText(Map, Encoding.UTF8)) : null;
        public BackupManifest ReadManifest() => File.Exists(Manifest) ? BackupManifest.Parse(File.ReadAllText(Manifest, Encoding.UTF8)) : null;

        /// <summary>The raw image: the .img.zst decompressed as it is read.</summary>
        public Stream OpenRaw()
        {
            var file = new FileStream(Image, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.SequentialScan);
            return new ZstdSharp.DecompressionStream(file, 1 << 20, checkEndOfStream: true, leaveOpen: false);
        }
    }
}
