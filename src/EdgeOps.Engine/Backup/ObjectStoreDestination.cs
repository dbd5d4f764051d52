using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Threading;
using EdgeOps.Storage;

namespace EdgeOps.Backup
{
    /// <summary>
    /// A backup destination in an object store (S3, Azure Blob) through the project's storage layer. Objects cannot
    /// be renamed and a half-written object must never be seen, so the temporary files of a run are spooled on the
    /// controller, in a folder of this run that only its user can open (0700, fresh name; files 0600, created
    /// exclusively); "renaming" one into place uploads it (an atomic Put: the object
    /// appears complete or not at all), then reads it back and compares its sha256 with the spooled file's.
    /// The lock only guards against runs from the same controller.
    /// </summary>
    sealed class ObjectStoreDestination : IBackupDestination
    {
        readonly IObjectStore _store;
        readonly string _spool;
        readonly CancellationToken _ct;
        static readonly ConcurrentDictionary<string, object> s_locks = new ConcurrentDictionary<string, object>();

        public ObjectStoreDestination(IObjectStore store, CancellationToken ct)
        {
            _store = store; _ct = ct;
            _spool = PrivateFiles.CreateFolder(null, "edgeops-backup-spool-");
        }

        public string Display => _store.Location;
        static bool IsTemp(string name) => name.StartsWith(".", StringComparison.Ordinal) && name.EndsWith(SdCardBackupService.PartialSuffix, StringComparison.Ordinal);
        static string Prefix(string device) => BackupDestination.SafeName(device) + "/";
        string Key(string device, string name) => Prefix(device) + name;
        string SpoolPath(string device, string name) =>
            Path.Combine(_spool, Hex.Lower(SHA256.Create().ComputeHash(System.Text.Encoding.UTF8.GetBytes(_store.Location + "|" + device))).Substring(0, 16) + "-" + name);

        public string PathOf(string device, string name) => _store.Location.TrimEnd('/') + "/" + Key(device, name);

        public IReadOnlyList<string> Devices() =>
            _store.List("", _ct).Select(o => o.Key).Where(k => k.IndexOf('/') > 0).Select(k => k.Substring(0, k.IndexOf('/')))
                  .Distinct(StringComparer.Ordinal).OrderBy(n => n, StringComparer.OrdinalIgnoreCase).ToList();

        public IReadOnlyList<StoredFile> List(string device)
        {
            var prefix = Prefix(device);
            var result = _store.List(prefix, _ct).Where(o => o.Key.IndexOf('/', prefix.Length) < 0)
                .Select(o => new StoredFile { Name = o.Key.Substring(prefix.Length), Length = o.Size, Modified = o.LastModified ?? DateTimeOffset.MinValue }).ToList();
            // temporary files of a run in progress on this controller
            var spoolPrefix = Path.GetFileName(SpoolPath(device, ""));
            foreach (var f in new DirectoryInfo(_spool).GetFiles(spoolPrefix + "*"))
                result.Add(new StoredFile { Name = f.Name.Substring(spoolPrefix.Length), Length = f.Length, Modified = f.LastWriteTimeUtc });
            return result;
        }

        public Stream Create(string device, string name)
        {
            if (!IsTemp(name)) throw new InvalidOperationException("Objects are written by renaming a temporary file into place.");
            return PrivateFiles.CreateNew(SpoolPath(device, name), replace: true, bufferSize: 1);
        }

        public void Flush(Stream written) { if (written is FileStream fs) fs.Flush(true); else written.Flush(); }

        public Stream OpenRead(string device, string name) =>
            IsTemp(name) ? new FileStream(SpoolPath(device, name), FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20)
                         : _store.OpenRead(Key(device, name), 0, _ct);

        public void Rename(string device, string from, string to)
        {
            var spool = SpoolPath(device, from);
            string local;
            using (var f = new FileStream(spool, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20))
            using (var sha = SHA256.Create())
            using (var hashing = new CryptoStream(f, sha, CryptoStreamMode.Read))
            {
                _store.Put(Key(device, to), hashing, f.Length, null, _ct);
                hashing.CopyTo(Stream.Null);
                if (!hashing.HasFlushedFinalBlock) hashing.FlushFinalBlock();
                local = Hex.Lower(sha.Hash);
            }
            string remote;
            using (var s = _store.OpenRead(Key(device, to), 0, _ct))
            using (var sha = SHA256.Create())
                remote = Hex.Lower(sha.ComputeHash(s));
            if (remote != local)
                throw new EdgeOpsException("BackupVerifyFailed", "WriteError", $"'{PathOf(device, to)}' read back differs from what was uploaded.");
            File.Delete(spool);
        }

        public void Delete(string device, string name)
        {
            if (IsTemp(name)) { var p = SpoolPath(device, name); if (File.Exists(p)) File.Delete(p); }
            else _store.Delete(Key(device, name), _ct);
        }

        public void Dispose()
        {
            _store.Dispose();
            try { Directory.Delete(_spool, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }

        public IDisposable TryLock(string device)
        {
            var key = _store.Location + "|" + device;
            var gate = new object();
            if (!s_locks.TryAdd(key, gate)) return null;
            return new Release(() => s_locks.TryRemove(key, out _));
        }

        sealed class Release : IDisposable
        {
            Action _a;
            public Release(Action a) { _a = a; }
            public void Dispose() { Interlocked.Exchange(ref _a, null)?.Invoke(); }
        }
    }
}
