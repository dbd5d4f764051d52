using System;
using System.IO;
using System.Security.Cryptography;
using System.Threading;

namespace EdgeOps.Storage
{
    /// <summary>
    /// Staging for the stores whose objects cannot be renamed (S3, Azure Blob). A staged object is written to a file
    /// on the controller, in a folder of this store object that only its user can open (0700, fresh name; files 0600,
    /// created exclusively: see <see cref="PrivateFiles"/>); Commit uploads it with Put (atomic: the object appears
    /// whole or not at all), then reads the object back and compares its sha256 with the file's. The folder goes
    /// with the store (Dispose), so nothing is left for <see cref="IObjectStore.RemoveAbandoned"/> in the store itself.
    /// </summary>
    sealed class Spool : IDisposable
    {
        readonly object _gate = new object();
        string _folder;

        public StagedObject Stage(IObjectStore store, string key, CancellationToken ct)
        {
            StorageKey.Check(key);
            string folder;
            lock (_gate)
            {
                if (_folder == null) _folder = PrivateFiles.CreateFolder(null, "edgeops-spool-");
                folder = _folder;
            }
            var path = Path.Combine(folder, PrivateFiles.RandomName());
            // unbuffered (1: also on .NET Framework, which refuses 0): the writer's batches go straight to the file
            return new Spooled(store, key, PrivateFiles.CreateNew(path, bufferSize: 1), path, ct);
        }

        public void Dispose()
        {
            string folder;
            lock (_gate) { folder = _folder; _folder = null; }
            if (folder == null) return;
            try { Directory.Delete(folder, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }

        sealed class Spooled : StagedObject
        {
            readonly IObjectStore _store;
            readonly CancellationToken _ct;

            public Spooled(IObjectStore store, string key, FileStream file, string path, CancellationToken ct) : base(key, file, path)
            {
                _store = store; _ct = ct;
            }

            private protected override void Publish(string tempPath)
            {
                string local;
                using (var f = new FileStream(tempPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20))
                using (var sha = SHA256.Create())
                using (var hashing = new CryptoStream(f, sha, CryptoStreamMode.Read))
                {
                    _store.Put(Key, hashing, f.Length, null, _ct);
                    hashing.CopyTo(Stream.Null);
                    if (!hashing.HasFlushedFinalBlock) hashing.FlushFinalBlock();
                    local = Hex.Lower(sha.Hash);
                }
                string remote;
                using (var s = _store.OpenRead(Key, 0, _ct)) remote = StorageTransfer.Sha256(s, _ct);
                if (remote != local)
                    throw new StorageException("StorageVerifyFailed", "WriteError",
                        $"'{_store.PathOf(Key)}' read back differs from what was uploaded (sha256 {remote} vs {local}): check the store, then write it again.");
                File.Delete(tempPath);
            }
        }
    }
}
