using System.Net;
using System.Security.Cryptography;
using System.Text;
using EdgeOps.Storage;
using Xunit;

namespace EdgeOps.Tests.Storage
{
    /// <summary>The store contract, against each real store: a folder, the HTTP server, s3rver, Azurite.</summary>
    [Collection("storage")]
    public sealed partial class ObjectStoreTests : IDisposable
    {
        readonly StorageServers _servers;
        readonly string _temp = Directory.CreateTempSubdirectory("edgeops-store-").FullName;
        readonly CancellationToken _ct = CancellationToken.None;
        public ObjectStoreTests(StorageServers servers) { _servers = servers; }
        public void Dispose() { try { Directory.Delete(_temp, true); } catch (Exception) { } }

        // A key with a space, quotes, a semicolon, $(...) and a backtick: none of them may be interpreted.
        const string HostileKey = "dir with space/it's \"x\" ;$(touch pwned)`id`.bin";

        IObjectStore OpenWritable(string kind) => kind switch
        {
            "Folder" => ObjectStores.Open(Path.Combine(_temp, "folder root")),
            "S3" => ObjectStores.Open(_servers.NewS3Location("pre fix"), _servers.S3Options),
            "AzureSas" => ObjectStores.Open(_servers.NewAzureSasLocation("pre fix")),
            "AzureConnectionString" => ObjectStores.Open(_servers.NewAzureContainer("pre fix"), new StorageOptions { AzureConnectionString = _servers.AzureConnectionString }),
            "AzureAccountKey" => ObjectStores.Open(_servers.NewAzureContainer("p"), new StorageOptions
                { Credential = new NetworkCredential(StorageServers.AzureAccount, StorageServers.AzureKey), Endpoint = _servers.AzureEndpoint }),
            _ => throw new ArgumentException(kind),
        };

        static byte[] Bytes(int n, int seed)
        {
            var b = new byte[n];
            new Random(seed).NextBytes(b);
            return b;
        }

        static byte[] ReadAll(IObjectStore s, string key, long offset = 0)
        {
            using var ms = new MemoryStream();
            using (var r = s.OpenRead(key, offset, CancellationToken.None)) r.CopyTo(ms);
            return ms.ToArray();
        }

        [Theory]
        [InlineData("Folder", "Folder")]
        [InlineData("S3", "S3")]
        [InlineData("AzureSas", "AzureBlob")]
        [InlineData("AzureConnectionString", "AzureBlob")]
        [InlineData("AzureAccountKey", "AzureBlob")]
        public void Put_list_stat_ranged_read_and_delete(string how, string kind)
        {
            using var store = OpenWritable(how);
            Assert.Equal(kind, store.Kind);
            Assert.True(store.CanWrite);
            var data = Bytes(300_000, 1);
            using (var ms = new MemoryStream(data)) store.Put(HostileKey, ms, data.Length, null, _ct);
            StorageTransfer.WriteText(store, "top.txt", "hello", _ct);

            var all = store.List("", _ct);
            Assert.Equal(new[] { HostileKey, "top.txt" }, all.Select(o => o.Key).ToArray());
            Assert.Equal(data.Length, all[0].Size);
            Assert.Equal("it's \"x\" ;$(touch pwned)`id`.bin", all[0].Name);
            Assert.Single(store.List("dir with", _ct));

            var st = store.Stat(HostileKey, _ct);
            Assert.NotNull(st);
            Assert.Equal(data.Length, st!.Size);
            Assert.NotNull(st.LastModified);
            Assert.Null(store.Stat("missing.bin", _ct));

            Assert.Equal(data, ReadAll(store, HostileKey));
            Assert.Equal(data.Skip(123_456).ToArray(), ReadAll(store, HostileKey, 123_456));
            Assert.Empty(ReadAll(store, HostileKey, data.Length));
            Assert.Equal("hello", StorageTransfer.ReadText(store, "top.txt", _ct));
            Assert.False(File.Exists(Path.Combine(_temp, "pwned")) || File.Exists("pwned"));

            var e = Assert.Throws<StorageException>(() => store.OpenRead("missing.bin", 0, _ct));
            Assert.Equal("StorageObjectNotFound", e.ErrorId);
            Assert.Contains("missing.bin", e.Message);

            Assert.True(store.Delete(HostileKey, _ct));
            Assert.False(store.Delete(HostileKey, _ct));
            Assert.Null(store.Stat(HostileKey, _ct));
            Assert.DoesNotContain("sig=", store.Location);
        }

        [Theory]
        [InlineData("Folder")]
        [InlineData("S3")]
        [InlineData("AzureSas")]
        public async Task Put_is_atomic_readers_see_the_old_object_until_the_new_one_is_complete(string how)
        {
            using var store = OpenWritable(how);
            StorageTransfer.WriteText(store, "catalog.yaml", "old", _ct);
            var gate = new GatedStream(Encoding.UTF8.GetBytes(new string('n', 200_000)), 100_000);
            var put = Task.Run(() => store.Put("catalog.yaml", gate, 200_000, null, _ct));
            Assert.True(gate.Reached.Wait(TimeSpan.FromSeconds(20)), "the writer did not start");
            Thread.Sleep(200);
            Assert.Equal("old", StorageTransfer.ReadText(store, "catalog.yaml", _ct));
            Assert.Single(store.List("", _ct));   // no temporary object visible
            gate.Release.Set();
            await put.WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(200_000, StorageTransfer.ReadText(store, "catalog.yaml", _ct)!.Length);
            Assert.Single(store.List("", _ct));
        }

        [Fact]
        public void S3_multipart_upload_for_large_objects()
        {
            using var store = (S3Store)OpenWritable("S3");
            store.SinglePutLimit = 1 << 20;
            store.PartSize = 5 << 20;
            var data = Bytes(12 << 20, 7);
            var reports = new List<long>();
            using (var ms = new NonSeekable(data)) store.Put("big.bin", ms, data.Length, new SyncProgress(reports.Add), _ct);
            Assert.Equal(data.Length, store.Stat("big.bin", _ct)!.Size);
            Assert.Equal(SHA256.HashData(data), SHA256.HashData(ReadAll(store, "big.bin")));
            Assert.Equal(3, reports.Count);   // one report per part
            Assert.Equal(data.Length, reports[^1]);
        }

        [Fact]
        public void Http_store_reads_lists_and_is_read_only()
        {
            var (folder, url) = _servers.NewHttpFolder();
            var data = Bytes(200_000, 3);
            Directory.CreateDirectory(Path.Combine(folder, "sub"));
            File.WriteAllBytes(Path.Combine(folder, "a b.whl"), data);
            File.WriteAllText(Path.Combine(folder, "catalog.yaml"), "x");
            using var store = ObjectStores.Open(url + "?token=secret-value");
            Assert.Equal("Http", store.Kind);
            Assert.False(store.CanWrite);
            Assert.DoesNotContain("secret-value", store.Location);
            Assert.Equal(new[] { "a b.whl", "catalog.yaml" }, store.List("", _ct).Select(o => o.Key).ToArray());
            Assert.Equal(data.Length, store.Stat("a b.whl", _ct)!.Size);
            Assert.Null(store.Stat("nope.whl", _ct));
            Assert.Equal(data.Skip(1000).ToArray(), ReadAll(store, "a b.whl", 1000));
            var e = Assert.Throws<StorageException>(() => StorageTransfer.WriteText(store, "x.txt", "y", _ct));
            Assert.Equal("StorageReadOnly", e.ErrorId);
            var nf = Assert.Throws<StorageException>(() => store.OpenRead("nope.whl", 0, _ct));
            Assert.Equal("StorageObjectNotFound", nf.ErrorId);
            Assert.DoesNotContain("secret-value", nf.Message);
        }

        [Fact]
        public void Http_download_cut_half_way_resumes_with_a_range_request()
        {
            var (folder, url) = _servers.NewHttpFolder();
            var data = Bytes(4 << 20, 5);
            File.WriteAllBytes(Path.Combine(folder, "w.whl"), data);
            using var store = ObjectStores.Open(url);
            var path = "/" + new Uri(url).AbsolutePath.Trim('/') + "/w.whl";
            _servers.Http.CutNextTransfer(path, 2 << 20);
            var logs = new List<string>();
            var dest = Path.Combine(_temp, "w.whl");
            StorageTransfer.DownloadToFile(store, "w.whl", dest, data.Length, null, _ct, log: logs.Add);
            Assert.Equal(SHA256.HashData(data), SHA256.HashData(File.ReadAllBytes(dest)));
            var gets = _servers.Http.Requests.Where(r => r.Path == path && r.Method == "GET").ToList();
            Assert.Equal(2, gets.Count);
            Assert.Null(gets[0].Range);
            Assert.Equal("bytes=" + (2 << 20) + "-", gets[1].Range);
            Assert.Equal(data.Length, _servers.Http.BodyBytesSent(path));   // nothing fetched twice
            Assert.Contains(logs, l => l.Contains("resuming"));
            Assert.False(File.Exists(dest + ".part"));
        }

        [Fact]
        public void A_part_file_left_by_a_broken_run_is_resumed_by_the_next_run()
        {
            var (folder, url) = _servers.NewHttpFolder();
            var data = Bytes(1 << 20, 9);
            File.WriteAllBytes(Path.Combine(folder, "w.whl"), data);
            var dest = Path.Combine(_temp, "resume.whl");
            File.WriteAllBytes(dest + ".part", data.Take(300_000).ToArray());
            using var store = ObjectStores.Open(url);
            StorageTransfer.DownloadToFile(store, "w.whl", dest, data.Length, null, _ct);
            Assert.Equal(data, File.ReadAllBytes(dest));
            var path = "/" + new Uri(url).AbsolutePath.Trim('/') + "/w.whl";
            Assert.Equal(data.Length - 300_000, _servers.Http.BodyBytesSent(path));
        }

        [Fact]
        public void A_server_that_ignores_range_still_gives_the_right_bytes()
        {
            var (folder, url) = _servers.NewHttpFolder();
            var data = Bytes(500_000, 11);
            File.WriteAllBytes(Path.Combine(folder, "w.whl"), data);
            using var store = ObjectStores.Open(url);
            _servers.Http.IgnoreRange = true;
            try { Assert.Equal(data.Skip(200_000).ToArray(), ReadAll(store, "w.whl", 200_000)); }
            finally { _servers.Http.IgnoreRange = false; }
        }

        [Fact]
        public void S3_download_resumes_with_a_range_after_a_break()
        {
            using var store = OpenWritable("S3");
            var data = Bytes(3 << 20, 13);
            using (var ms = new MemoryStream(data)) store.Put("w.whl", ms, data.Length, null, _ct);
            var breaking = new BreakOnceStream(1 << 20);
            var logs = new List<string>();
            StorageTransfer.Download(store, "w.whl", breaking, 0, data.Length, null, _ct, log: logs.Add);
            Assert.Equal(data, breaking.Written.ToArray());
            Assert.Single(logs);
        }

        [Fact]
        public void Wrong_credentials_are_reported_without_the_secret()
        {
            var loc = _servers.NewS3Location();
            using (var s3 = ObjectStores.Open(loc, new StorageOptions { Endpoint = _servers.S3Endpoint, Credential = new NetworkCredential("WRONGKEYID", "wrong-secret-123") }))
            {
                var e = Assert.Throws<StorageException>(() => s3.List("", _ct));
                Assert.Equal("StorageAccessDenied", e.ErrorId);
                Assert.DoesNotContain("wrong-secret-123", e.Message);
            }
            var sas = _servers.NewAzureSasLocation();
            var bad = System.Text.RegularExpressions.Regex.Replace(sas, "sig=[^&]+", "sig=AAAAbadsignatureAAAA");
            using (var az = ObjectStores.Open(bad))
            {
                var e = Assert.Throws<StorageException>(() => az.List("", _ct));
                Assert.Equal("StorageAccessDenied", e.ErrorId);
                Assert.DoesNotContain("badsignature", e.Message);
            }
        }

        [Theory]
        [InlineData("../escape.txt")]
        [InlineData("a//b")]
        [InlineData("/abs")]
        [InlineData("a\\b")]
        public void Keys_that_could_escape_the_root_are_refused(string key)
        {
            using var store = OpenWritable("Folder");
            var e = Assert.Throws<StorageException>(() => StorageTransfer.WriteText(store, key, "x", _ct));
            Assert.Equal("StorageInvalidKey", e.ErrorId);
        }

        [Theory]
        [InlineData("/srv/wheels", "Folder")]
        [InlineData("relative/dir", "Folder")]
        [InlineData("s3://bucket/prefix", "S3")]
        [InlineData("az://container/prefix", "AzureBlob")]
        [InlineData("https://acct.blob.core.windows.net/c/p", "AzureBlob")]
        [InlineData("http://127.0.0.1:10000/devstoreaccount1/c?sv=2024-01-01&sig=abc", "AzureBlob")]
        [InlineData("https://example.org/wheels/", "Http")]
        public void Location_kinds(string location, string kind) => Assert.Equal(kind, ObjectStores.KindOf(location));

        sealed class SyncProgress(Action<long> a) : IProgress<long> { public void Report(long v) => a(v); }

        /// <summary>Gives its first bytes, then blocks until released (a writer caught half-way).</summary>
        sealed class GatedStream(byte[] data, int gateAt) : Stream
        {
            int _pos;
            public ManualResetEventSlim Reached { get; } = new();
            public ManualResetEventSlim Release { get; } = new();
            public override int Read(byte[] buffer, int offset, int count)
            {
                if (_pos >= gateAt && !Release.IsSet) { Reached.Set(); Release.Wait(TimeSpan.FromSeconds(30)); }
                int limit = _pos < gateAt ? gateAt : data.Length;
                int n = Math.Min(count, limit - _pos);
                if (n <= 0) return 0;
                Array.Copy(data, _pos, buffer, offset, n);
                _pos += n;
                return n;
            }
            public override bool CanRead => true; public override bool CanSeek => false; public override bool CanWrite => false;
            public override long Length => data.Length;
            public override long Position { get => _pos; set => throw new NotSupportedException(); }
            public override void Flush() { }
            public override long Seek(long o, SeekOrigin s) => throw new NotSupportedException();
            public override void SetLength(long v) => throw new NotSupportedException();
            public override void Write(byte[] b, int o, int c) => throw new NotSupportedException();
        }

        sealed class NonSeekable(byte[] data) : MemoryStream(data) { public override bool CanSeek => false; }

        /// <summary>A destination whose first write past <c>at</c> bytes fails like a dropped connection.</summary>
        sealed class BreakOnceStream(long at) : Stream
        {
            bool _broken;
            public MemoryStream Written { get; } = new();
            public override void Write(byte[] buffer, int offset, int count)
            {
                if (!_broken && Written.Length + count > at) { _broken = true; throw new IOException("connection reset (test)"); }
                Written.Write(buffer, offset, count);
            }
            public override bool CanRead => false; public override bool CanSeek => false; public override bool CanWrite => true;
            public override long Length => Written.Length;
            public override long Position { get => Written.Length; set => throw new NotSupportedException(); }
            public override void Flush() { }
            public override int Read(byte[] b, int o, int c) => throw new NotSupportedException();
            public override long Seek(long o, SeekOrigin s) => throw new NotSupportedException();
            public override void SetLength(long v) => throw new NotSupportedException();
        }
    }
}
