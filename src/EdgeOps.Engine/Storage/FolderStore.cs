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

    /// <summary>
    /// A local or network folder (NFS/SMB mount). New objects are written to a temporary file beside the target
    /// (".edgeops-tmp-RANDOM-name.partial", hidden from listings), forced to disk and renamed into place (rename(2) replaces
    /// the target atomically). Staged objects (backups: every secret of a device is in a card image) are 0600; Put keeps
    /// the user's usual mode (published wheels are for others to read).
    /// </summary>
    public sealed class FolderStore : IObjectStore
    {
        /// <summary>Names of the store's own files (temporary files, locks): never listed.</summary>
        const string OwnPrefix = ".edgeops-", TempPrefix = ".edgeops-tmp-", TempSuffix = ".partial";
        /// <summary>The lock file of a prefix's folder (the name earlier versions' backups used, so they are kept out too).</summary>
        const string LockName = ".edgeops-backup.lock";

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

        /// <summary>The local path of a key (checked: it cannot leave the folder).</summary>
        public string FullPath(string key)
        {
            StorageKey.Check(key);
            // on Windows "C:/x" or "x:stream" would leave the folder (a drive, an alternate data stream): refused everywhere
            if (key.IndexOf(':') >= 0)
                throw new StorageException("StorageInvalidKey", "InvalidArgument", $"The object key '{key}' is not valid in a folder: it contains ':' (a drive or stream name on Windows).");
            return Path.Combine(_root, key.Replace('/', Path.DirectorySeparatorChar));
        }

        string FolderOf(string prefix) => string.IsNullOrEmpty(prefix?.TrimEnd('/')) ? _root : FullPath(prefix.TrimEnd('/'));
        string KeyOf(string file) => file.Substring(_root.Length).TrimStart(Path.DirectorySeparatorChar).Replace(Path.DirectorySeparatorChar, '/');

        public IReadOnlyList<StorageObject> List(string prefix, CancellationToken ct)
        {
            var result = new List<StorageObject>();
            if (!Directory.Exists(_root))
                throw new StorageException("StorageObjectNotFound", "ObjectNotFound", $"The folder '{_root}' does not exist. Check the path (-Source/-Destination).");
            prefix = prefix ?? "";
            foreach (var file in Directory.EnumerateFiles(_root, "*", SearchOption.AllDirectories))
            {
                ct.ThrowIfCancellationRequested();
                var rel = KeyOf(file);
                if (!rel.StartsWith(prefix, StringComparison.Ordinal) || Path.GetFileName(file).StartsWith(OwnPrefix, StringComparison.Ordinal)) continue;
                var info = new FileInfo(file);
                result.Add(new StorageObject(rel, info.Length, new DateTimeOffset(info.LastWriteTimeUtc, TimeSpan.Zero)));
            }
            result.Sort((a, b) => string.CompareOrdinal(a.Key, b.Key));
            return result;
        }

        public StorageObject Stat(string key, CancellationToken ct)
        {
            var info = new FileInfo(FullPath(key));
            if (!info.Exists) return null;
            return new StorageObject(key, info.Length, new DateTimeOffset(info.LastWriteTimeUtc, TimeSpan.Zero));
        }

        public Stream OpenRead(string key, long offset, CancellationToken ct)
        {
            var path = FullPath(key);
            if (!File.Exists(path)) throw StorageException.NotFound(Location, key);
            var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 1 << 16);
            if (offset > 0) fs.Seek(Math.Min(offset, fs.Length), SeekOrigin.Begin);
            return fs;
        }

        public void Put(string key, Stream content, long length, IProgress<long> progress, CancellationToken ct)
        {
            using (var staged = Stage(key, TempName(key), privateFile: false))
            {
                StorageTransfer.Copy(content, staged, 0, progress, ct);
                staged.Commit();
            }
        }

        public StagedObject Stage(string key, CancellationToken ct) => Stage(key, TempName(key), privateFile: true);

        /// <summary>A random name nobody can plant a link at in advance; it ends in the object's name (tests and people watching a folder see what grows).</summary>
        static string TempName(string key)
        {
            var name = key.Substring(key.LastIndexOf('/') + 1);
            if (name.Length > 150) name = name.Substring(name.Length - 150);   // file names stop at 255 bytes
            return TempPrefix + PrivateFiles.RandomName() + "-" + name + TempSuffix;
        }

        /// <summary><see cref="Stage(string, CancellationToken)"/> at a given temporary name (tests plant links there).</summary>
        internal StagedObject Stage(string key, string tempName, bool privateFile)
        {
            var path = FullPath(key);
            var dir = Path.GetDirectoryName(path);
            Directory.CreateDirectory(dir);
            var tmp = Path.Combine(dir, tempName);
            // unbuffered (1: also on .NET Framework, which refuses 0): a writer's batches go straight to the file. Private:
            // 0600, created afresh, a link planted under the temporary name replaced, never followed; else created
            // exclusively with the usual mode.
            var file = privateFile ? PrivateFiles.CreateNew(tmp, replace: true, bufferSize: 1)
                                   : new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.Read, 1);
            return new Staged(key, file, tmp, path);
        }

        sealed class Staged : StagedObject
        {
            readonly string _target;
            public Staged(string key, FileStream file, string tmp, string target) : base(key, file, tmp) { _target = target; }

            // rename(2) replaces the target atomically: readers see the old file or the new one.
            private protected override void Publish(string tempPath)
            {
                if (File.Exists(_target)) File.Replace(tempPath, _target, null);
                else File.Move(tempPath, _target);
            }
        }

        public IReadOnlyList<string> RemoveAbandoned(string prefix, CancellationToken ct)
        {
            var removed = new List<string>();
            var dir = FolderOf(prefix);
            if (!Directory.Exists(dir)) return removed;
            foreach (var file in Directory.EnumerateFiles(dir, TempPrefix + "*", SearchOption.AllDirectories))
            {
                ct.ThrowIfCancellationRequested();
                File.Delete(file);
                removed.Add(KeyOf(file));
            }
            return removed;
        }

        public IDisposable TryLock(string prefix)
        {
            var dir = FolderOf(prefix);
            Directory.CreateDirectory(dir);
            try { return new FileStream(Path.Combine(dir, LockName), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1); }
            catch (IOException) { return null; }
        }

        public bool Delete(string key, CancellationToken ct)
        {
            var path = FullPath(key);
            if (!File.Exists(path)) return false;
            File.Delete(path);
            return true;
        }

        public void Dispose() { }
    }
}
