using System;
using System.Collections.Concurrent;
using System.IO;
using System.Security.Cryptography;
using System.Text;
using System.Threading;
using EdgeOps.Fleet;
using EdgeOps.Storage;

namespace EdgeOps.Wheels
{
    /// <summary>A wheel file in the local cache, verified.</summary>
    public sealed class CachedWheel
    {
        public string Path { get; set; }
        public string FileName { get; set; }
        public string Sha256 { get; set; }
        public long Size { get; set; }
        /// <summary>True when this run fetched it from storage (false: it was already in the cache).</summary>
        public bool Downloaded { get; set; }
    }

    /// <summary>
    /// The local content-addressed wheel cache: sha256/&lt;hash&gt;/&lt;file name&gt; (pip needs the real name),
    /// partial/ for downloads a broken run left (resumed by the next), index/ mapping an object version
    /// (location, key, size, time, etag) to its hash for catalog-less sources.
    /// One <see cref="WheelCache"/> per run: each wheel is fetched once however many devices want it.
    /// </summary>
    public sealed class WheelCache
    {
        readonly ConcurrentDictionary<string, Lazy<CachedWheel>> _run = new ConcurrentDictionary<string, Lazy<CachedWheel>>();
        long _downloads, _bytes;

        public WheelCache(string root = null, int retries = 5)
        {
            Root = System.IO.Path.GetFullPath(string.IsNullOrEmpty(root) ? DefaultRoot() : root);
            Retries = retries;
        }

        public string Root { get; }
        public int Retries { get; }
        /// <summary>Objects fetched from storage by this run.</summary>
        public int Downloads => (int)Interlocked.Read(ref _downloads);
        public long BytesDownloaded => Interlocked.Read(ref _bytes);

        /// <summary>$XDG_CACHE_HOME/edgeops/wheels, else ~/.cache/edgeops/wheels.</summary>
        public static string DefaultRoot()
        {
            var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
            var baseDir = !string.IsNullOrEmpty(xdg) ? xdg
                : System.IO.Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
            return System.IO.Path.Combine(baseDir, "edgeops", "wheels");
        }

        string HashDir(string sha) => System.IO.Path.Combine(Root, "sha256", sha);

        static string Id(string text)
        {
            using (var sha = SHA256.Create())
                return Hex.Lower(sha.ComputeHash(Encoding.UTF8.GetBytes(text))).Substring(0, 40);
        }

        /// <summary>
        /// The verified local file of a wheel; fetched from the source at most once per run (other devices wait for
        /// it). A hash or size that differs from the catalog deletes the file and throws WheelHashMismatch.
        /// </summary>
        public CachedWheel Get(WheelSource source, WheelEntry entry, IDeviceContext ctx)
        {
            var key = source.Store.Location + "\n" + source.KeyOf(entry);
            var lazy = _run.GetOrAdd(key, _ => new Lazy<CachedWheel>(() => Fetch(source, entry, ctx), LazyThreadSafetyMode.ExecutionAndPublication));
            return lazy.Value;
        }

        CachedWheel Fetch(WheelSource source, WheelEntry entry, IDeviceContext ctx)
        {
            var objectKey = source.KeyOf(entry);
            var name = entry.FileName;
            if (entry.Sha256 != null)
            {
                var cached = System.IO.Path.Combine(HashDir(entry.Sha256), name);
                if (File.Exists(cached))
                {
                    var actual = StorageTransfer.Sha256File(cached);
                    if (actual == entry.Sha256)
                    {
                        ctx.Verbose($"{name}: in the local cache ({Root}), sha256 verified.");
                        return new CachedWheel { Path = cached, FileName = name, Sha256 = actual, Size = new FileInfo(cached).Length };
                    }
                    ctx.Warning($"{name}: the cached copy's hash changed (disk corruption?); it was deleted and is fetched again.");
                    File.Delete(cached);
                }
            }

            var stat = source.Store.Stat(objectKey, ctx.Cancellation);
            if (stat == null) throw StorageException.NotFound(source.Store.Location, objectKey);
            long size = entry.Size >= 0 ? entry.Size : stat.Size;
            string indexFile = null;
            if (entry.Sha256 == null)
            {
                indexFile = System.IO.Path.Combine(Root, "index", Id(string.Join("\n", source.Store.Location, objectKey, stat.Size,
                    stat.LastModified?.ToUnixTimeSeconds() ?? 0, stat.ETag ?? "")));
                if (File.Exists(indexFile))
                {
                    var sha = File.ReadAllText(indexFile).Trim();
                    var cached = System.IO.Path.Combine(HashDir(sha), name);
                    if (File.Exists(cached) && new FileInfo(cached).Length == stat.Size && StorageTransfer.Sha256File(cached) == sha)
                    {
                        ctx.Verbose($"{name}: in the local cache ({Root}), unchanged at the source.");
                        return new CachedWheel { Path = cached, FileName = name, Sha256 = sha, Size = stat.Size };
                    }
                }
            }
            if (entry.Size >= 0 && stat.Size >= 0 && entry.Size != stat.Size)
                throw Mismatch(source, entry, $"the object is {stat.Size} bytes but the catalog says {entry.Size}", null);

            var partialDir = System.IO.Path.Combine(Root, "partial");
            Directory.CreateDirectory(partialDir);
            var temp = System.IO.Path.Combine(partialDir, Id(source.Store.Location + "\n" + objectKey + "\n" + (entry.Sha256 ?? stat.ETag ?? "")));
            var activity = "Downloading " + name;
            var progress = new Progress(ctx, activity, "from " + source.Store.Kind, size);
            ctx.Verbose($"Downloading {name} ({RateMeter.Human(Math.Max(0, size))}) from {source.Store.Location}.");
            var sw = System.Diagnostics.Stopwatch.StartNew();
            StorageTransfer.DownloadToFile(source.Store, objectKey, temp, size, progress, ctx.Cancellation, Retries, ctx.Verbose);
            ctx.ProgressDone(activity);
            Interlocked.Increment(ref _downloads);
            var got = new FileInfo(temp).Length;
            Interlocked.Add(ref _bytes, got);
            var hash = StorageTransfer.Sha256File(temp);
            ctx.Verbose($"Downloaded {name}: {RateMeter.Human(got)} in {sw.Elapsed.TotalSeconds:0.0} s, sha256 {hash}.");
            if (entry.Sha256 != null && hash != entry.Sha256)
            {
                File.Delete(temp);
                throw Mismatch(source, entry, $"its sha256 is {hash} but the catalog says {entry.Sha256}", null);
            }
            if (size >= 0 && got != size)
            {
                File.Delete(temp);
                throw Mismatch(source, entry, $"{got} bytes arrived but {size} were expected", null);
            }
            var dir = HashDir(hash);
            Directory.CreateDirectory(dir);
            var final = System.IO.Path.Combine(dir, name);
            if (File.Exists(final)) File.Delete(temp);
            else File.Move(temp, final);
            if (indexFile != null)
            {
                Directory.CreateDirectory(System.IO.Path.GetDirectoryName(indexFile));
                File.WriteAllText(indexFile, hash);
            }
            return new CachedWheel { Path = final, FileName = name, Sha256 = hash, Size = got, Downloaded = true };
        }

        static EdgeOpsException Mismatch(WheelSource source, WheelEntry entry, string what, Exception inner) =>
            new EdgeOpsException("WheelHashMismatch", "InvalidData",
                $"{entry.FileName} from {source.Where} is not the file the catalog describes: {what}. The download was deleted and nothing was installed. " +
                "Publish the wheel again (Publish-TorchWheel -Force) or fix the catalog.", inner);

        /// <summary>Byte progress of a download, reported to one device's progress bar.</summary>
        internal sealed class Progress : IProgress<long>
        {
            readonly IDeviceContext _ctx; readonly string _activity, _status; readonly long _total;
            public Progress(IDeviceContext ctx, string activity, string status, long total) { _ctx = ctx; _activity = activity; _status = status; _total = total; }
            public void Report(long value) => _ctx.Progress(_activity, _status, value, _total);
        }
    }
}
