using System;
using System.IO;
using System.Text;

namespace EdgeOps.Backup
{
    /// <summary>The files of one stored backup: image, block map beside it, manifest beside it.</summary>
    public sealed class ImageFiles : IDisposable
    {
        string _downloaded;
        /// <summary>Where the image is, as the user gave it (a local path, or the object's URL).</summary>
        public string Source { get; private set; }
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
            f.Source = f.Image;
            if (!File.Exists(f.Image))
            {
                if (File.Exists(full) && !full.EndsWith(".json", StringComparison.OrdinalIgnoreCase) && !full.EndsWith(".bmap", StringComparison.OrdinalIgnoreCase)) f.Image = full;
                else throw new EdgeOpsException("BackupImageNotFound", "ObjectNotFound", $"Image '{f.Image}' does not exist: check -Path.");
            }
            return f;
        }

        /// <summary>
        /// A local or object-store image (s3://..., az://..., Azure https URL): objects are downloaded, with the block map
        /// and manifest beside them, into a temporary folder that Dispose removes.
        /// </summary>
        public static ImageFiles Fetch(string path, EdgeOps.Storage.StorageOptions storage, string tempDirectory, System.Threading.CancellationToken ct)
        {
            var kind = EdgeOps.Storage.ObjectStores.KindOf(path ?? "", storage);
            if (kind == "Folder") return From(path);
            int slash = path.TrimEnd('/').LastIndexOf('/');
            var location = path.Substring(0, slash);
            var name = path.Substring(slash + 1);
            int q = name.IndexOf('?');
            if (q >= 0) { location += name.Substring(q); name = name.Substring(0, q); }
            var baseName = name.EndsWith(SdCardBackupService.ImageSuffix, StringComparison.OrdinalIgnoreCase) ? name.Substring(0, name.Length - SdCardBackupService.ImageSuffix.Length) : name;
            var dir = EdgeOps.Storage.PrivateFiles.CreateFolder(tempDirectory, "edgeops-fetch-");
            try
            {
                using (var store = EdgeOps.Storage.ObjectStores.Open(location, storage))
                {
                    foreach (var suffix in new[] { SdCardBackupService.ImageSuffix, SdCardBackupService.MapSuffix, SdCardBackupService.ManifestSuffix })
                    {
                        var key = baseName + suffix;
                        if (suffix != SdCardBackupService.ImageSuffix && store.Stat(key, ct) == null) continue;
                        using (var s = store.OpenRead(key, 0, ct))
                        using (var f = EdgeOps.Storage.PrivateFiles.CreateNew(Path.Combine(dir, key), share: FileShare.None))
                            s.CopyTo(f, 1 << 20);
                    }
                }
                var files = From(Path.Combine(dir, baseName + SdCardBackupService.ImageSuffix));
                files._downloaded = dir;
                files.Source = path;
                return files;
            }
            catch { try { Directory.Delete(dir, true); } catch (IOException) { } throw; }
        }

        public void Dispose()
        {
            if (_downloaded == null) return;
            try { Directory.Delete(_downloaded, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            _downloaded = null;
        }

        public BlockMap ReadMap() => File.Exists(Map) ? BlockMap.Parse(File.ReadAllText(Map, Encoding.UTF8)) : null;
        public BackupManifest ReadManifest() => File.Exists(Manifest) ? BackupManifest.Parse(File.ReadAllText(Manifest, Encoding.UTF8)) : null;

        /// <summary>The raw image: the .img.zst decompressed as it is read.</summary>
        public Stream OpenRaw()
        {
            var file = new FileStream(Image, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.SequentialScan);
            return ZstdDecoder.Open(file, leaveOpen: false);
        }
    }
}
