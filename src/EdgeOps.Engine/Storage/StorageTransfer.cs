using System;
using System.IO;
using System.Net.Http;
using System.Security.Cryptography;
using System.Text;
using System.Threading;

namespace EdgeOps.Storage
{
    /// <summary>
    /// Copies on top of <see cref="IObjectStore"/>: downloads that resume after a broken connection (a new
    /// ranged read from the byte where the break happened), downloads into files that survive a failed run
    /// (a ".part" file resumed by the next run), uploads of files, small text objects.
    /// </summary>
    public static class StorageTransfer
    {
        const int Buffer = 256 * 1024;

        /// <summary>Copies a stream with progress (reported as <paramref name="start"/> + bytes copied) and cancellation.</summary>
        public static long Copy(Stream from, Stream to, long start, IProgress<long> progress, CancellationToken ct)
        {
            var buffer = new byte[Buffer];
            long total = 0, last = 0;
            int n;
            while ((n = from.Read(buffer, 0, buffer.Length)) > 0)
            {
                ct.ThrowIfCancellationRequested();
                to.Write(buffer, 0, n);
                total += n;
                if (progress != null && total - last >= (1 << 20)) { last = total; progress.Report(start + total); }
            }
            progress?.Report(start + total);
            return total;
        }

        /// <summary>
        /// Copies the object from <paramref name="offset"/> into <paramref name="destination"/>. When the transfer
        /// breaks (connection reset, short body), it reopens the object at the next byte, up to
        /// <paramref name="retries"/> times. <paramref name="expectedSize"/> (-1: unknown) detects short bodies.
        /// Returns the offset reached (the object's size on success).
        /// </summary>
        public static long Download(IObjectStore store, string key, Stream destination, long offset, long expectedSize,
                                    IProgress<long> progress, CancellationToken ct, int retries = 5, Action<string> log = null)
        {
            int attempt = 0;
            while (true)
            {
                ct.ThrowIfCancellationRequested();
                if (expectedSize >= 0 && offset >= expectedSize) return offset;
                try
                {
                    using (var s = store.OpenRead(key, offset, ct))
                    {
                        var buffer = new byte[Buffer];
                        long last = offset;
                        int n;
                        while ((n = s.Read(buffer, 0, buffer.Length)) > 0)
                        {
                            ct.ThrowIfCancellationRequested();
                            destination.Write(buffer, 0, n);
                            offset += n;   // counted as it lands, so a break resumes at the right byte
                            if (progress != null && offset - last >= (1 << 20)) { last = offset; progress.Report(offset); }
                        }
                        progress?.Report(offset);
                    }
                    if (expectedSize < 0 || offset >= expectedSize) return offset;
                    throw new IOException($"the transfer ended at byte {offset} of {expectedSize}");
                }
                catch (Exception e) when (IsTransient(e) && attempt < retries && !ct.IsCancellationRequested)
                {
                    attempt++;
                    log?.Invoke($"Download of '{key}' from {store.Location} broke at byte {offset} ({Flatten(e)}); resuming from there (attempt {attempt} of {retries}).");
                    Thread.Sleep(Math.Min(5000, 200 * attempt * attempt));
                }
                catch (Exception e) when (IsTransient(e) && !ct.IsCancellationRequested)
                {
                    throw new StorageException("StorageTransferFailed", "ConnectionError",
                        $"Download of '{key}' from {store.Location} failed after {retries} resumes at byte {offset}: {Flatten(e)}", e, transient: true);
                }
            }
        }

        /// <summary>
        /// Downloads into <paramref name="path"/> through "path.part": a part file left by an earlier broken run is
        /// resumed, not restarted. The part file is renamed into place only when complete.
        /// </summary>
        public static void DownloadToFile(IObjectStore store, string key, string path, long expectedSize, IProgress<long> progress,
                                          CancellationToken ct, int retries = 5, Action<string> log = null)
        {
            var part = path + ".part";
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path)));
            using (var fs = new FileStream(part, FileMode.OpenOrCreate, FileAccess.Write, FileShare.None, 1 << 16))
            {
                long offset = fs.Length;
                if (expectedSize >= 0 && offset > expectedSize) { fs.SetLength(0); offset = 0; }
                if (offset > 0) log?.Invoke($"Resuming the download of '{key}' at byte {offset} (a part file from an earlier run).");
                fs.Seek(offset, SeekOrigin.Begin);
                Download(store, key, fs, offset, expectedSize, progress, ct, retries, log);
                fs.Flush(true);
            }
            if (File.Exists(path)) File.Delete(path);
            File.Move(part, path);
        }

        /// <summary>Uploads a local file atomically (see <see cref="IObjectStore.Put"/>).</summary>
        public static void PutFile(IObjectStore store, string key, string path, IProgress<long> progress, CancellationToken ct)
        {
            using (var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16))
                store.Put(key, fs, fs.Length, progress, ct);
        }

        /// <summary>A small text object (UTF-8), or null when it does not exist.</summary>
        public static string ReadText(IObjectStore store, string key, CancellationToken ct)
        {
            if (store.Stat(key, ct) == null) return null;
            using (var ms = new MemoryStream())
            {
                Download(store, key, ms, 0, -1, null, ct);
                return new UTF8Encoding(false).GetString(ms.ToArray());
            }
        }

        /// <summary>Writes a small text object (UTF-8) atomically.</summary>
        public static void WriteText(IObjectStore store, string key, string text, CancellationToken ct)
        {
            var bytes = new UTF8Encoding(false).GetBytes(text);
            using (var ms = new MemoryStream(bytes))
                store.Put(key, ms, bytes.Length, null, ct);
        }

        /// <summary>Lowercase hex SHA-256 of a file.</summary>
        public static string Sha256File(string path)
        {
            using (var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20))
                return Sha256(fs, CancellationToken.None);
        }

        /// <summary>Lowercase hex SHA-256 of what is left of a stream, read 1 MiB at a time (cancellable between reads).</summary>
        public static string Sha256(Stream s, CancellationToken ct)
        {
            using (var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256))
            {
                ReadAll(s, (b, n) => sha.AppendData(b, 0, n), ct);
                return Hex.Lower(sha.GetHashAndReset());
            }
        }

        /// <summary>
        /// Lowercase hex CRC-64 (ECMA-182) of what is left of a stream: a check, not an identity (not cryptographic), for
        /// proving that bytes read back are the bytes written, at about 10 GB/s. A CRC and not XXH128: System.IO.Hashing's
        /// CRC-64 is in its ReadyToRun image (carry-less multiply, Vector128), while XXH128's accumulators take Vector256
        /// arguments, which crossgen2 leaves out, so a new pwsh ran them as Tier-0 code: 0.2 s of CPU for the first 187 MiB
        /// against 0.03 s (docs/backup.md, "Fifth round").
        /// </summary>
        public static string Crc64(Stream s, CancellationToken ct)
        {
            var h = new System.IO.Hashing.Crc64();
            ReadAll(s, (b, n) => h.Append(new ReadOnlySpan<byte>(b, 0, n)), ct);
            return Hex.Lower(h.GetCurrentHash());
        }

        static void ReadAll(Stream s, Action<byte[], int> append, CancellationToken ct)
        {
            var buf = new byte[1 << 20];
            int n;
            while ((n = s.Read(buf, 0, buf.Length)) > 0) { ct.ThrowIfCancellationRequested(); append(buf, n); }
        }

        internal static bool IsTransient(Exception e)
        {
            for (var x = e; x != null; x = x.InnerException)
            {
                if (x is StorageException se) return se.Transient;
                if (x is IOException || x is HttpRequestException || x is System.Net.Sockets.SocketException) return true;
            }
            return false;
        }

        static string Flatten(Exception e)
        {
            var sb = new StringBuilder();
            for (var x = e; x != null; x = x.InnerException)
            {
                if (sb.Length > 0) sb.Append(": ");
                sb.Append(x.Message);
                if (sb.Length > 400) break;
            }
            return sb.ToString();
        }
    }
}
