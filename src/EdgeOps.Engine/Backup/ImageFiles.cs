using System;
using System.IO;
using System.Text;
using System.Threading;
using EdgeOps.Storage;

namespace EdgeOps.Backup
{
    /// <summary>
    /// The files of one stored backup: image, block map beside it, manifest beside it, read through the store that holds
    /// them (a <see cref="FolderStore"/> over the image's folder; objects elsewhere are downloaded into a private folder
    /// first and read from there the same way).
    /// </summary>
    public sealed class ImageFiles : IDisposable
    {
        string _downloaded;
        IObjectStore _store;
        string _imageKey, _mapKey, _manifestKey;
        /// <summary>Where the image is, as the user gave it (a local path, or the object's URL).</summary>
        public string Source { get; private set; }
        /// <summary>The local paths of the three files, for messages (and the tests' look at their modes).</summary>
        public string Image => _store.PathOf(_imageKey);
        public string Map => _store.PathOf(_mapKey);
        public string Manifest => _store.PathOf(_manifestKey);

        /// <summary>From the path of any of the three files (or the image).</summary>
        public static ImageFiles From(string path)
        {
            var full = Path.GetFullPath(path);
            try { return FromFull(full); }
            catch (StorageException e) when (e.ErrorId == "StorageInvalidKey")
            {
                throw new EdgeOpsException("BackupImageNotFound", "InvalidArgument",
                    $"Image '{full}' cannot be read as a stored backup: its file name has a ':' or '\\'. Rename the file (and its .img.bmap and .json), then give the new name as -Path.", e);
            }
        }

        static ImageFiles FromFull(string full)
        {
            var store = new FolderStore(Path.GetDirectoryName(full) ?? full);
            var name = Path.GetFileName(full);
            string b = name;
            foreach (var s in new[] { SdCardBackupService.ImageSuffix, SdCardBackupService.MapSuffix, SdCardBackupService.ManifestSuffix })
                if (name.EndsWith(s, StringComparison.OrdinalIgnoreCase)) { b = name.Substring(0, name.Length - s.Length); break; }
            var f = new ImageFiles
            {
                _store = store, _imageKey = b + SdCardBackupService.ImageSuffix, _mapKey = b + SdCardBackupService.MapSuffix,
                _manifestKey = b + SdCardBackupService.ManifestSuffix,
            };
            f.Source = f.Image;
            if (!f.Has(f._imageKey))
            {
                if (f.Has(name) && !name.EndsWith(".json", StringComparison.OrdinalIgnoreCase) && !name.EndsWith(".bmap", StringComparison.OrdinalIgnoreCase)) f._imageKey = name;
                else throw new EdgeOpsException("BackupImageNotFound", "ObjectNotFound", $"Image '{f.Image}' does not exist: check -Path.");
            }
            return f;
        }

        /// <summary>Whether the file is there (a name no store key can be, such as an empty one, is not).</summary>
        bool Has(string key)
        {
            try { return _store.Stat(key, CancellationToken.None) != null; }
            catch (StorageException e) when (e.ErrorId == "StorageInvalidKey") { return false; }
        }

        /// <summary>
        /// A local or object-store image (s3://..., az://..., Azure https URL): objects are downloaded, with the block map
        /// and manifest beside them, into a temporary folder that Dispose removes.
        /// </summary>
        public static ImageFiles Fetch(string path, StorageOptions storage, string tempDirectory, CancellationToken ct)
        {
            var kind = ObjectStores.KindOf(path ?? "", storage);
            if (kind == "Folder") return From(path);
            int slash = path.TrimEnd('/').LastIndexOf('/');
            var location = path.Substring(0, slash);
            var name = path.Substring(slash + 1);
            int q = name.IndexOf('?');
            if (q >= 0) { location += name.Substring(q); name = name.Substring(0, q); }
            var baseName = name.EndsWith(SdCardBackupService.ImageSuffix, StringComparison.OrdinalIgnoreCase) ? name.Substring(0, name.Length - SdCardBackupService.ImageSuffix.Length) : name;
            var dir = PrivateFiles.CreateFolder(tempDirectory, "edgeops-fetch-");
            try
            {
                using (var store = ObjectStores.Open(location, storage))
                {
                    foreach (var suffix in new[] { SdCardBackupService.ImageSuffix, SdCardBackupService.MapSuffix, SdCardBackupService.ManifestSuffix })
                    {
                        var key = baseName + suffix;
                        if (suffix != SdCardBackupService.ImageSuffix && store.Stat(key, ct) == null) continue;
                        using (var s = store.OpenRead(key, 0, ct))
                        using (var f = PrivateFiles.CreateNew(Path.Combine(dir, key), share: FileShare.None))
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

        public BlockMap ReadMap() { var text = ReadText(_mapKey); return text == null ? null : BlockMap.Parse(text); }
        public BackupManifest ReadManifest() { var text = ReadText(_manifestKey); return text == null ? null : BackupManifest.Parse(text); }

        /// <summary>A file's text (UTF-8, a byte order mark skipped), or null when it is not there.</summary>
        string ReadText(string key)
        {
            if (_store.Stat(key, CancellationToken.None) == null) return null;
            using (var r = new StreamReader(_store.OpenRead(key, 0, CancellationToken.None), Encoding.UTF8)) return r.ReadToEnd();
        }

        /// <summary>The stored (compressed) image as it is.</summary>
        public Stream OpenImage() => _store.OpenRead(_imageKey, 0, CancellationToken.None);

        /// <summary>The raw image: the .img.zst decompressed as it is read.</summary>
        public Stream OpenRaw() => ZstdDecoder.Open(OpenImage(), leaveOpen: false);
    }
}
