using System.Runtime.InteropServices;
using System.Security.Cryptography;
using EdgeOps.Storage;
using Xunit;

namespace EdgeOps.Tests.Storage
{
    /// <summary>
    /// The staging contract (IObjectStore.Stage, RemoveAbandoned, TryLock) that backups write through, against every
    /// writable store kind: a folder, s3rver, Azurite.
    /// </summary>
    public sealed partial class ObjectStoreTests
    {
        static byte[] ReadStaged(StagedObject s)
        {
            using var ms = new MemoryStream();
            using (var r = s.OpenRead()) r.CopyTo(ms);
            return ms.ToArray();
        }

        /// <summary>Every file under the folder store's root, hidden ones included.</summary>
        string[] FilesOnDisk() => Directory.GetFiles(Path.Combine(_temp, "folder root"), "*",
            new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 });

        [StructLayout(LayoutKind.Sequential)] struct CachestatRange { public ulong Offset, Length; }
        [StructLayout(LayoutKind.Sequential)] struct Cachestat { public ulong Cache, Dirty, Writeback, Evicted, RecentlyEvicted; }
        [DllImport("libc", SetLastError = true)] static extern long syscall(long number, int fd, ref CachestatRange range, out Cachestat stat, uint flags);

        /// <summary>Pages of the file still dirty (not yet queued for the disk), from the kernel's cachestat(2) (Linux 6.5+).</summary>
        static long DirtyPages(string path) => PageCache(path).Dirty;

        /// <summary>The file's pages in the page cache, and of those the dirty ones (cachestat(2)).</summary>
        static (long Cached, long Dirty) PageCache(string path)
        {
            using var f = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            var range = new CachestatRange();
            Assert.True(syscall(451, (int)f.SafeFileHandle.DangerousGetHandle(), ref range, out var stat, 0) == 0, $"cachestat: errno {Marshal.GetLastWin32Error()}");
            return ((long)stat.Cache, (long)stat.Dirty);
        }

        [Fact]
        public void A_staged_object_goes_past_the_page_cache_with_O_DIRECT_and_reads_back_byte_for_byte()
        {
            if (!OperatingSystem.IsLinux() || Environment.OSVersion.Version < new Version(6, 5)) return;
            // 40 MiB and an odd tail, in pieces that are neither block- nor buffer-sized
            var data = Bytes((40 << 20) + 12_345, 9);
            // the control: the same bytes through a plain FileStream are all in the page cache, so the check below can fail
            var plain = Path.Combine(_temp, "plain direct.bin");
            File.WriteAllBytes(plain, data);
            Assert.True(PageCache(plain).Cached >= (data.Length >> 12) - 16, $"a plain file's pages are cached: {PageCache(plain).Cached}");
            File.Delete(plain);

            using var store = OpenWritable("Folder");
            const string key = HostileKey;
            string temp;
            using (var staged = store.Stage(key, _ct))
            {
                temp = staged.TempPath;
                Assert.True(staged.DirectIo, "an ext4 folder takes O_DIRECT");
                for (int at = 0; at < data.Length; at += 100_003) staged.Write(data, at, Math.Min(100_003, data.Length - at));
                // what is read back is the disk's: the image has no page in the cache (the last part block went through it)
                Assert.Equal(SHA256.HashData(data), SHA256.HashData(ReadStaged(staged)));
                var (cached, _) = PageCache(temp);
                Assert.True(cached <= 4, $"{cached} pages of the staged file in the page cache, of {data.Length >> 12}");
                staged.Commit();
            }
            Assert.False(File.Exists(temp));
            Assert.Equal(data.Length, store.Stat(key, _ct)!.Size);
            Assert.Equal(SHA256.HashData(data), SHA256.HashData(ReadAll(store, key)));
        }

        /// <summary>Bytes this thread has had read from a block device (/proc/thread-self/io: direct reads count, page-cache hits do not).</summary>
        static long ThreadReadBytes() => long.Parse(File.ReadAllLines("/proc/thread-self/io").Single(l => l.StartsWith("read_bytes:"))["read_bytes:".Length..].Trim());

        static string Crc64Of(byte[] data) => Convert.ToHexString(System.IO.Hashing.Crc64.Hash(data)).ToLowerInvariant();

        [Fact]
        public void Read_back_while_writing_reads_each_block_from_the_disk_as_it_is_written_and_leaves_only_the_tail()
        {
            if (!OperatingSystem.IsLinux() || !File.Exists("/proc/thread-self/io")) return;
            var data = Bytes((24 << 20) + 5_555, 13);
            using var store = OpenWritable("Folder");
            foreach (bool readBack in new[] { false, true })
            {
                using var staged = store.Stage(HostileKey, _ct);
                Assert.True(staged.DirectIo, "an ext4 folder takes O_DIRECT");
                if (readBack) Assert.True(staged.ReadBackWhileWriting(), "an ext4 folder reads back with O_DIRECT");
                long before = ThreadReadBytes();
                for (int at = 0; at < data.Length; at += 300_007) staged.Write(data, at, Math.Min(300_007, data.Length - at));
                long whileWriting = ThreadReadBytes() - before;
                before = ThreadReadBytes();
                var crc = staged.StoredCrc64(_ct, out bool sawAll);
                long atTheEnd = ThreadReadBytes() - before;
                Assert.Equal(Crc64Of(data), crc);
                Assert.Equal(readBack, sawAll);
                if (readBack)
                {
                    // every whole MiB written was read from the disk right after its write; only the last buffer's worth is left
                    Assert.True(whileWriting >= 24L << 20, $"{whileWriting} bytes read from the disk while writing {data.Length}");
                    Assert.True(atTheEnd <= (1 << 20) + 8192, $"{atTheEnd} bytes read at the end");
                }
                else
                {
                    // the control: without it nothing is read while writing, and the whole file at the end (from the disk)
                    Assert.True(whileWriting < 1 << 20, $"{whileWriting} bytes read while writing");
                    Assert.True(atTheEnd >= data.Length - 4096, $"{atTheEnd} bytes read at the end of {data.Length}");
                }
                staged.Commit();
                Assert.Equal(data, ReadAll(store, HostileKey));
            }
        }

        [Fact]
        public void Read_back_while_writing_covers_only_what_it_saw_a_later_write_is_read_from_the_file()
        {
            if (!OperatingSystem.IsLinux()) return;
            var data = Bytes((3 << 20) + 333, 17);
            using var store = OpenWritable("Folder");
            using var staged = store.Stage("dev/image.img.zst", _ct);
            Assert.True(staged.ReadBackWhileWriting());
            staged.Write(data, 0, 2 << 20);
            staged.Flush();   // direct writes end here; the rest goes through the page cache, which the read-back did not see
            staged.Write(data, 2 << 20, data.Length - (2 << 20));
            Assert.Equal(Crc64Of(data), staged.StoredCrc64(_ct, out bool sawAll));
            Assert.False(sawAll);
            Assert.Throws<InvalidOperationException>(() =>
            {
                using var late = store.Stage("dev/late.img.zst", _ct);
                late.Write(data, 0, 4096 * 300);   // more than a buffer taken (one on the disk already): too late to start
                late.ReadBackWhileWriting();
            });
        }

        [Fact]
        public void Off_a_local_disk_file_system_a_staged_object_goes_through_the_page_cache_as_before()
        {
            if (!OperatingSystem.IsLinux() || !Directory.Exists("/dev/shm")) return;
            // tmpfs (as NFS, SMB, FUSE): no disk to go past the cache to, so no O_DIRECT
            var root = Path.Combine("/dev/shm", "edgeops staged " + Guid.NewGuid().ToString("N"));
            try
            {
                using var store = new FolderStore(root);
                var data = Bytes((3 << 20) + 777, 4);
                using (var staged = store.Stage("dev/image.img.zst", _ct))
                {
                    Assert.False(staged.DirectIo);
                    Assert.False(staged.ReadBackWhileWriting(), "no direct reads off a local disk: the check reads the file after");
                    staged.Write(data, 0, 1_000_000);
                    staged.Write(data, 1_000_000, data.Length - 1_000_000);
                    Assert.Equal(data, ReadStaged(staged));
                    Assert.Equal(Crc64Of(data), staged.StoredCrc64(_ct, out bool sawAll));
                    Assert.False(sawAll);
                    staged.Commit();
                }
                Assert.Equal(data, File.ReadAllBytes(Path.Combine(root, "dev", "image.img.zst")));
                Assert.True(PageCache(Path.Combine(root, "dev", "image.img.zst")).Cached >= data.Length >> 12, "tmpfs keeps the file in the page cache");
            }
            finally { if (Directory.Exists(root)) Directory.Delete(root, true); }
        }

        [Fact]
        public void A_staged_object_goes_to_the_disk_while_it_is_written_not_all_at_its_commit()
        {
            // Not on Linux (or an older kernel than cachestat's 6.5) this has nothing to measure; CI and this machine run 6.x.
            if (!OperatingSystem.IsLinux() || Environment.OSVersion.Version < new Version(6, 5)) return;
            const int mib = 96;
            var piece = Bytes(1 << 20, 5);
            using var store = OpenWritable("Folder");
            // The control: the same bytes through a plain unbuffered FileStream stay dirty (the kernel writes them back
            // after 30 s, or at an fsync), so the check below can fail.
            var plain = Path.Combine(_temp, "plain.bin");
            using (var f = new FileStream(plain, FileMode.CreateNew, FileAccess.Write, FileShare.Read, 1))
            {
                for (int i = 0; i < mib; i++) f.Write(piece, 0, piece.Length);
                Assert.True(DirtyPages(plain) > (mib - 16) * 256L, $"a plain file's pages stay dirty: {DirtyPages(plain)} of {mib * 256}");
            }
            using (var staged = store.Stage("big image.img.zst", _ct))
            {
                for (int i = 0; i < mib; i++) staged.Write(piece, 0, piece.Length);
                // everything but the last step is queued for the disk as it came: at most one step (8 MiB) is left dirty
                long dirty = DirtyPages(staged.TempPath);
                Assert.True(dirty <= WriteBehind.Step / 4096 + 256, $"{dirty} pages of {mib * 256} still dirty after writing {mib} MiB");
                staged.Commit();
            }
            Assert.Equal(mib << 20, store.Stat("big image.img.zst", _ct)!.Size);
            File.Delete(plain);
        }

        [Theory]
        [InlineData("Folder")]
        [InlineData("S3")]
        [InlineData("AzureSas")]
        public void A_staged_object_is_invisible_until_commit_readable_before_it_and_gone_when_disposed_uncommitted(string how)
        {
            using var store = OpenWritable(how);
            var data = Bytes(300_000, 11);
            string temp;
            using (var staged = store.Stage(HostileKey, _ct))
            {
                temp = staged.TempPath;
                Assert.Equal(HostileKey, staged.Key);
                staged.Write(data, 0, 100_000);
                Assert.Null(store.Stat(HostileKey, _ct));
                Assert.Empty(store.List("", _ct));
                Assert.Equal(data.Take(100_000).ToArray(), ReadStaged(staged));
                staged.Write(data, 100_000, data.Length - 100_000);
                Assert.Equal(data, ReadStaged(staged));
                Assert.Empty(store.List("", _ct));
            }
            Assert.False(File.Exists(temp), "an uncommitted object's temporary file goes with Dispose");
            Assert.Null(store.Stat(HostileKey, _ct));
            Assert.Empty(store.List("", _ct));
            if (how == "Folder") Assert.Empty(FilesOnDisk());

            using (var staged = store.Stage(HostileKey, _ct))
            {
                temp = staged.TempPath;
                staged.Write(data, 0, data.Length);
                staged.Commit();
                Assert.True(staged.Committed);
                Assert.Throws<InvalidOperationException>(() => staged.Commit());
            }
            Assert.False(File.Exists(temp));
            var listed = Assert.Single(store.List("", _ct));
            Assert.Equal(HostileKey, listed.Key);
            Assert.Equal(data.Length, listed.Size);
            Assert.Equal(data, ReadAll(store, HostileKey));   // Dispose after Commit keeps the object
            Assert.False(File.Exists(Path.Combine(_temp, "pwned")) || File.Exists("pwned"));
            if (how == "Folder") Assert.Single(FilesOnDisk());
        }

        [Theory]
        [InlineData("Folder")]
        [InlineData("S3")]
        [InlineData("AzureSas")]
        public async Task Commit_is_atomic_a_reader_sees_the_old_object_or_the_new_one_never_a_part(string how)
        {
            using var store = OpenWritable(how);
            const string key = "dev/image.img.zst";
            var old = Bytes(3 << 20, 1);
            var next = Bytes(4 << 20, 2);
            using (var ms = new MemoryStream(old)) store.Put(key, ms, old.Length, null, _ct);
            var oldHash = Convert.ToHexString(SHA256.HashData(old));
            var newHash = Convert.ToHexString(SHA256.HashData(next));

            using var staged = store.Stage(key, _ct);
            staged.Write(next, 0, next.Length / 2);
            Assert.Equal(oldHash, Convert.ToHexString(SHA256.HashData(ReadAll(store, key))));
            staged.Write(next, next.Length / 2, next.Length - next.Length / 2);
            Assert.Equal(oldHash, Convert.ToHexString(SHA256.HashData(ReadAll(store, key))));

            // a reader reading the object over and over while it is committed; a read that fails saw nothing and is
            // only counted (s3rver replaces an object's body and its ETag in two steps: the SDK's MD5 check then refuses
            // the read, "Expected hash not equal to calculated hash", rather than hand over a mix)
            var seen = new System.Collections.Concurrent.ConcurrentQueue<string>();
            int broken = 0;
            using var stop = new CancellationTokenSource();
            var reader = Task.Run(() =>
            {
                while (!stop.IsCancellationRequested)
                {
                    try { seen.Enqueue(Convert.ToHexString(SHA256.HashData(ReadAll(store, key)))); }
                    catch (Exception e) when (e is StorageException || e is IOException || e is Amazon.Runtime.AmazonClientException) { Interlocked.Increment(ref broken); }
                }
            });
            async Task WaitForReads(int count)
            {
                var deadline = DateTime.UtcNow.AddSeconds(60);
                while (seen.Count < count && !reader.IsCompleted && DateTime.UtcNow < deadline) await Task.Delay(10);
                if (reader.IsCompleted) await reader;   // the reader's own failure, if any
                Assert.True(seen.Count >= count, $"the reader read {seen.Count} times in 60 s ({broken} broken off)");
            }
            await WaitForReads(2);
            staged.Commit();
            await WaitForReads(seen.Count + 2);
            stop.Cancel();
            await reader.WaitAsync(TimeSpan.FromSeconds(60));

            var reads = seen.ToArray();
            Assert.All(reads, h => Assert.True(h == oldHash || h == newHash, $"a reader saw {h}: neither the old object nor the new one"));
            Assert.Equal(oldHash, reads[0]);
            Assert.Equal(newHash, reads[^1]);
            Assert.Equal(newHash, Convert.ToHexString(SHA256.HashData(ReadAll(store, key))));
            Assert.Single(store.List("", _ct));
        }

        [Fact]
        [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
        public void A_folder_stages_0600_files_and_a_link_planted_at_the_temporary_name_is_replaced_not_followed()
        {
            using var store = (FolderStore)OpenWritable("Folder");
            var dir = Path.Combine(store.Root, "dev");
            Directory.CreateDirectory(dir);
            var victim = Path.Combine(_temp, "victim");
            File.WriteAllText(victim, "keep me\n");
            var planted = ".edgeops-tmp-planted-x.img.zst.partial";
            File.CreateSymbolicLink(Path.Combine(dir, planted), victim);

            using (var staged = store.Stage("dev/x.img.zst", planted, privateFile: true))
            {
                Assert.Equal(Path.Combine(dir, planted), staged.TempPath);
                Assert.Equal(0, (int)(File.GetAttributes(staged.TempPath) & FileAttributes.ReparsePoint));
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(staged.TempPath));
                staged.Write(new byte[] { 1, 2, 3 }, 0, 3);
                staged.Commit();
            }
            Assert.Equal("keep me\n", File.ReadAllText(victim));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(dir, "x.img.zst")));
            Assert.Equal(new byte[] { 1, 2, 3 }, ReadAll(store, "dev/x.img.zst"));

            // the public Stage is private too (backups); Put keeps the usual mode (published wheels are for others to read)
            using (var staged = store.Stage("dev/y.json", _ct)) { staged.WriteByte(7); staged.Commit(); }
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(dir, "y.json")));
            StorageTransfer.WriteText(store, "wheels/w.whl", "wheel", _ct);
            var usual = Path.Combine(_temp, "usual");
            using (File.Create(usual)) { }
            Assert.Equal(File.GetUnixFileMode(usual), File.GetUnixFileMode(Path.Combine(store.Root, "wheels", "w.whl")));
            Assert.NotEqual(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(usual));
        }

        [Theory]
        [InlineData("Folder")]
        [InlineData("S3")]
        [InlineData("AzureSas")]
        public void A_lock_is_exclusive_per_prefix_and_released_on_dispose(string how)
        {
            var location = how switch
            {
                "Folder" => Path.Combine(_temp, "folder root"),
                "S3" => _servers.NewS3Location("pre fix"),
                _ => _servers.NewAzureSasLocation("pre fix"),
            };
            IObjectStore Open() => ObjectStores.Open(location, how == "S3" ? _servers.S3Options : null);
            using var store = Open();
            const string prefix = "pi 'one'; $(reboot)";
            var held = store.TryLock(prefix);
            Assert.NotNull(held);
            Assert.Null(store.TryLock(prefix));
            Assert.Null(store.TryLock(prefix + "/"));
            using (var again = Open())
                Assert.Null(again.TryLock(prefix));          // another store object on the same location
            using (var other = store.TryLock("pi two")) Assert.NotNull(other);
            Assert.Empty(store.List("", _ct));               // a lock is no object
            held!.Dispose();
            using (var next = store.TryLock(prefix)) Assert.NotNull(next);
        }

        [Theory]
        [InlineData("Folder")]
        [InlineData("S3")]
        [InlineData("AzureSas")]
        public void What_a_dead_run_left_staged_is_removed_under_the_lock_and_only_under_the_prefix(string how)
        {
            using var store = OpenWritable(how);
            var mine = store.Stage("dev/a.img.zst", _ct);       // a run killed before Commit or Dispose
            mine.WriteByte(1);
            using var others = store.Stage("other/b.img.zst", _ct);
            others.WriteByte(2);
            var removed = store.RemoveAbandoned("dev", _ct);
            if (how == "Folder")
            {
                var key = Assert.Single(removed);
                Assert.StartsWith("dev/.edgeops-tmp-", key);
                Assert.EndsWith("-a.img.zst.partial", key);
                Assert.False(File.Exists(mine.TempPath));
                Assert.True(File.Exists(others.TempPath));
            }
            else Assert.Empty(removed);                       // the spool is on the controller and goes with the store
            mine.Dispose();
            Assert.Empty(store.List("", _ct));
        }

        [Fact]
        public void An_http_store_refuses_to_stage_or_lock_with_a_clear_error()
        {
            var (_, url) = _servers.NewHttpFolder();
            using var store = ObjectStores.Open(url);
            foreach (var call in new Action[] { () => store.Stage("x.bin", _ct), () => store.TryLock("dev"), () => store.RemoveAbandoned("dev", _ct) })
            {
                var e = Assert.Throws<StorageException>(call);
                Assert.Equal("StorageReadOnly", e.ErrorId);
                Assert.Contains("read-only", e.Message);
                Assert.Contains("Publish to a folder, s3:// or Azure Blob location instead", e.Message);
            }
        }
    }
}
