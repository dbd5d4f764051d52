using System;
using System.Collections.Generic;
using System.IO;
using System.Threading;

namespace EdgeOps.Storage
{
    /// <summary>Keys: validation and joining, shared by every store.</summary>
    public static class StorageKey
    {
        /// <summary>Throws StorageInvalidKey for keys that could escape the root or are ambiguous.</summary>
        public static string Check(string key)
        {
            if (string.IsNullOrEmpty(key))
                throw new StorageException("StorageInvalidKey", "InvalidArgument", "An object key cannot be empty.");
            if (key.IndexOf('\\') >= 0 || key.IndexOf('\0') >= 0 || key.StartsWith("/", StringComparison.Ordinal))
                throw new StorageException("StorageInvalidKey", "InvalidArgument", $"The object key '{key}' is not valid: use '/' separators, no leading '/', no backslash.");
            foreach (var seg in key.Split('/'))
                if (seg.Length == 0 || seg == "." || seg == "..")
                    throw new StorageException("StorageInvalidKey", "InvalidArgument", $"The object key '{key}' is not valid: it has an empty, '.' or '..' segment.");
            return key;
        }

        /// <summary>Joins a directory-like prefix and a key with one '/'.</summary>
        public static string Join(string prefix, string key)
        {
            if (string.IsNullOrEmpty(prefix)) return key;
            if (string.IsNullOrEmpty(key)) return prefix;
            return prefix.TrimEnd('/') + "/" + key.TrimStart('/');
        }

        /// <summary>The directory part of a key ("a/b/c.yaml" -> "a/b", "c.yaml" -> "").</summary>
        public static string Parent(string key)
        {
            int i = key.LastIndexOf('/');
            return i < 0 ? "" : key.Substring(0, i);
        }
    }

    /// <summary>A local or network folder (NFS/SMB mount). Put writes a temporary file beside the target and renames it.</summary>
    public sealed class FolderStore : IObjectStore
    {
        readonly string _root;

        public FolderStore(string root)
        {
            if (string.IsNullOrEmpty(root))
                throw new StorageException("StorageInvalidLocation", "InvalidArgument", "A folder location cannot be empty.");
            _root = Path.GetFullPath(root);
        }

        public string Kind => "Folder";
        public string Location => _root;
        public bool CanWrite => true;
        public string Root => _root;

        string PathOf(string key)
        {
            StorageKey.Check(key);
            // on Windows "C:/x" or "x:stream" would leave the folder (a drive, an alternate data stream): refused everywhere
            if (key.IndexOf(':') >= 0)
                throw new StorageException("StorageInvalidKey", "InvalidArgument", $"The object key '{key}' is not valid in a folder: it contains ':' (a drive or stream name on Windows).");
            return Path.Combine(_root, key.Replace('/', Path.DirectorySeparatorChar));
        }

        public IReadOnlyList<StorageObject> List(string prefix, CancellationToken ct)
        {
            var result = new List<StorageObject>();
            if (!Directory.Exists(_root))
                throw new StorageException("StorageObjectNotFound", "ObjectNotFound", $"The folder '{_root}' does not exist. Check the path (-Source/-Destination).");
            prefix = prefix ?? "";
            foreach (var file in Directory.EnumerateFiles(_root, "*", SearchOption.AllDirectories))
            {
                ct.ThrowIfCancellationRequested();
                var rel = file.Substring(_root.Length).TrimStart(Path.DirectorySeparatorChar).Replace(Path.DirectorySeparatorChar, '/');
                if (!rel.StartsWith(prefix, StringComparison.Ordinal) || IsTemp(rel)) continue;
                var info = new FileInfo(file);
                result.Add(new StorageObject(rel, info.Length, new DateTimeOffset(info.LastWriteTimeUtc, TimeSpan.Zero)));
            }
            result.Sort((a, b) => string.CompareOrdinal(a.Key, b.Key));
            return result;
        }

        static bool IsTemp(string rel)
        {
            var name = rel.Substring(rel.LastIndexOf('/') + 1);
            return name.StartsWith(".edgeops-tmp-", StringComparison.Ordinal);
        }

        public StorageObject Stat(string key, CancellationToken ct)
        {
            var info = new FileInfo(PathOf(key));
            if (!info.Exists) return null;
            return new StorageObject(key, info.Length, new DateTimeOffset(info.LastWriteTimeUtc, TimeSpan.Zero));
        }

        public Stream OpenRead(string key, long offset, CancellationToken ct)
        {
            var path = PathOf(key);
            if (!File.Exists(path)) throw StorageException.NotFound(Location, key);
            var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 1 << 16);
            if (offset > 0) fs.Seek(Math.Min(offset, fs.Length), SeekOrigin.Begin);
            return fs;
        }

        public void Put(string key, Stream content, long length, IProgress<long> progress, CancellationToken ct)
        {
            var path = PathOf(key);
            var dir = Path.GetDirectoryName(path);
            Directory.CreateDirectory(dir);
            var tmp = Path.Combine(dir, ".edgeops-tmp-" + Guid.NewGuid().ToString("N"));
            try
            {
                using (var fs = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
                {
                    StorageTransfer.Copy(content, fs, 0, progress, ct);
                    fs.Flush(true);
                }
                // rename(2) replaces the target atomically: readers see the old file or the new one.
                if (File.Exists(path)) File.Replace(tmp, path, null);
                else File.Move(tmp, path);
            }
            finally
            {
                if (File.Exists(tmp)) File.Delete(tmp);
            }
        }

        public bool Delete(string key, CancellationToken ct)
        {
            var path = PathOf(key);
            if (!File.Exists(path)) return false;
            File.Delete(path);
            return true;
        }

        public void Dispose() { }
    }
}
