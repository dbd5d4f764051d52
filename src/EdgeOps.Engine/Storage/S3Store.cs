using System;
using System.Collections.Generic;
using System.IO;
using System.Net;
using System.Threading;
using System.Threading.Tasks;
using Amazon;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;

namespace EdgeOps.Storage
{
    /// <summary>
    /// s3://bucket/prefix through AWSSDK.S3. Credentials: the ones given, else the standard AWS chain
    /// (environment, shared profile, container/instance role). A custom endpoint (S3-compatible stores:
    /// MinIO, Ceph, s3rver) uses path-style addressing. Put is a single PUT up to 64 MiB, else a multipart
    /// upload; both make the object visible only when complete.
    /// </summary>
    public sealed class S3Store : IObjectStore
    {
        internal long SinglePutLimit { get; set; } = 64L << 20;
        internal long PartSize { get; set; } = 16L << 20;
        readonly AmazonS3Client _client;
        readonly string _bucket;
        readonly string _prefix;   // "" or "a/b/"

        public S3Store(string location, StorageOptions options = null)
        {
            options = options ?? new StorageOptions();
            if (!location.StartsWith("s3://", StringComparison.OrdinalIgnoreCase))
                throw new StorageException("StorageInvalidLocation", "InvalidArgument", $"'{location}' is not an s3://bucket/prefix location.");
            var rest = location.Substring(5);
            int slash = rest.IndexOf('/');
            _bucket = slash < 0 ? rest : rest.Substring(0, slash);
            _prefix = slash < 0 ? "" : rest.Substring(slash + 1).Trim('/');
            if (_prefix.Length > 0) _prefix += "/";
            if (_bucket.Length == 0)
                throw new StorageException("StorageInvalidLocation", "InvalidArgument", $"'{location}' names no bucket: use s3://bucket/prefix.");

            var config = new AmazonS3Config
            {
                // Only what S3 requires: S3-compatible servers do not all understand the newer trailing checksums.
                RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
                ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
                Timeout = options.RequestTimeout,
                MaxErrorRetry = 3,
            };
            var region = options.Region ?? Environment.GetEnvironmentVariable("AWS_REGION") ?? Environment.GetEnvironmentVariable("AWS_DEFAULT_REGION") ?? "us-east-1";
            var endpoint = options.Endpoint ?? Environment.GetEnvironmentVariable("AWS_ENDPOINT_URL_S3") ?? Environment.GetEnvironmentVariable("AWS_ENDPOINT_URL");
            if (!string.IsNullOrEmpty(endpoint))
            {
                config.ServiceURL = endpoint;
                config.ForcePathStyle = true;
                config.AuthenticationRegion = region;
            }
            else config.RegionEndpoint = RegionEndpoint.GetBySystemName(region);
            Endpoint = endpoint;

            if (options.Credential != null)
                _client = new AmazonS3Client(new BasicAWSCredentials(options.Credential.UserName, options.Credential.Password), config);
            else
                _client = new AmazonS3Client(config);   // the standard credential chain
        }

        public string Kind => "S3";
        public string Location => "s3://" + _bucket + "/" + _prefix;
        public bool CanWrite => true;
        public string Endpoint { get; }

        string Full(string key) => _prefix + StorageKey.Check(key);

        T Call<T>(Func<CancellationToken, Task<T>> f, string key, CancellationToken ct)
        {
            try { return f(ct).GetAwaiter().GetResult(); }
            catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound && e.ErrorCode != "NoSuchBucket")
            { throw StorageException.NotFound(Location, key); }
            catch (AmazonS3Exception e) when (e.ErrorCode == "NoSuchBucket")
            { throw new StorageException("StorageObjectNotFound", "ObjectNotFound", $"The bucket '{_bucket}' does not exist{(Endpoint != null ? " at " + Endpoint : "")}. Check the s3:// location.", e); }
            catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.Forbidden || e.StatusCode == HttpStatusCode.Unauthorized)
            { throw StorageException.Denied(Location, e.ErrorCode ?? e.Message, e); }
            catch (AmazonServiceException e) when ((int)e.StatusCode >= 500)
            { throw StorageException.Unavailable(Location, e.Message, e); }
            catch (AmazonClientException e)
            {
                if (e.Message.IndexOf("credential", StringComparison.OrdinalIgnoreCase) >= 0)
                    throw new StorageException("StorageAccessDenied", "AuthenticationError",
                        $"No AWS credentials for {Location}: set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, a profile, or pass -StorageCredential.", e);
                throw StorageException.Unavailable(Location, e.Message, e);
            }
            catch (System.Net.Http.HttpRequestException e) { throw StorageException.Unavailable(Location, e.Message, e); }
        }

        public IReadOnlyList<StorageObject> List(string prefix, CancellationToken ct)
        {
            var list = new List<StorageObject>();
            var req = new ListObjectsV2Request { BucketName = _bucket, Prefix = _prefix + (prefix ?? "") };
            while (true)
            {
                var resp = Call(c => _client.ListObjectsV2Async(req, c), prefix ?? "", ct);
                foreach (var o in resp.S3Objects ?? new List<S3Object>())
                {
                    if (o.Key.EndsWith("/", StringComparison.Ordinal)) continue;
                    list.Add(new StorageObject(o.Key.Substring(_prefix.Length), o.Size ?? -1,
                        o.LastModified.HasValue ? new DateTimeOffset(o.LastModified.Value.ToUniversalTime(), TimeSpan.Zero) : (DateTimeOffset?)null, o.ETag));
                }
                if (resp.IsTruncated != true) break;
                req.ContinuationToken = resp.NextContinuationToken;
            }
            list.Sort((a, b) => string.CompareOrdinal(a.Key, b.Key));
            return list;
        }

        public StorageObject Stat(string key, CancellationToken ct)
        {
            try
            {
                var m = Call(c => _client.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = _bucket, Key = Full(key) }, c), key, ct);
                return new StorageObject(key, m.ContentLength,
                    m.LastModified.HasValue ? new DateTimeOffset(m.LastModified.Value.ToUniversalTime(), TimeSpan.Zero) : (DateTimeOffset?)null, m.ETag);
            }
            catch (StorageException e) when (e.ErrorId == "StorageObjectNotFound" && e.InnerException == null) { return null; }
        }

        public Stream OpenRead(string key, long offset, CancellationToken ct)
        {
            var req = new GetObjectRequest { BucketName = _bucket, Key = Full(key) };
            if (offset > 0) req.ByteRange = new ByteRange("bytes=" + offset.ToString(System.Globalization.CultureInfo.InvariantCulture) + "-");
            try
            {
                var resp = Call(c => _client.GetObjectAsync(req, c), key, ct);
                return new OwningStream(resp.ResponseStream, resp);
            }
            catch (StorageException e) when (offset > 0 && e.InnerException is AmazonS3Exception s3 && (int)s3.StatusCode == 416)
            {
                return new MemoryStream(new byte[0]);
            }
            catch (AmazonS3Exception e) when (offset > 0 && (int)e.StatusCode == 416)
            {
                return new MemoryStream(new byte[0]);
            }
        }

        public void Put(string key, Stream content, long length, IProgress<long> progress, CancellationToken ct)
        {
            var full = Full(key);
            if (length >= 0 && length <= SinglePutLimit)
            {
                // Buffer small objects: a seekable body lets the SDK retry and sign it.
                var ms = new MemoryStream(length > 0 ? (int)length : 0);
                StorageTransfer.Copy(content, ms, 0, null, ct);
                ms.Position = 0;
                long sent = ms.Length;
                var req = new PutObjectRequest { BucketName = _bucket, Key = full, InputStream = ms, AutoCloseStream = true, UseChunkEncoding = false };
                Call(c => _client.PutObjectAsync(req, c), key, ct);
                progress?.Report(sent);
                return;
            }
            PutMultipart(key, full, content, length, progress, ct);
        }

        void PutMultipart(string key, string full, Stream content, long length, IProgress<long> progress, CancellationToken ct)
        {
            long partSize = PartSize;
            while (length > 0 && length / partSize >= 9000) partSize *= 2;
            var init = Call(c => _client.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest { BucketName = _bucket, Key = full }, c), key, ct);
            var parts = new List<PartETag>();
            long sent = 0;
            try
            {
                var buffer = new byte[partSize];
                for (int number = 1; ; number++)
                {
                    int filled = 0, n;
                    while (filled < buffer.Length && (n = content.Read(buffer, filled, buffer.Length - filled)) > 0) filled += n;
                    if (filled == 0 && number > 1) break;
                    ct.ThrowIfCancellationRequested();
                    var body = new MemoryStream(buffer, 0, filled, false);
                    var req = new UploadPartRequest
                    {
                        BucketName = _bucket, Key = full, UploadId = init.UploadId, PartNumber = number,
                        InputStream = body, PartSize = filled, UseChunkEncoding = false,
                    };
                    var resp = Call(c => _client.UploadPartAsync(req, c), key, ct);
                    parts.Add(new PartETag(number, resp.ETag));
                    sent += filled;
                    progress?.Report(sent);
                    if (filled < buffer.Length) break;
                }
                Call(c => _client.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
                { BucketName = _bucket, Key = full, UploadId = init.UploadId, PartETags = parts }, c), key, ct);
            }
            catch
            {
                try { _client.AbortMultipartUploadAsync(new AbortMultipartUploadRequest { BucketName = _bucket, Key = full, UploadId = init.UploadId }).GetAwaiter().GetResult(); }
                catch (Exception) { /* the upload's parts expire with the bucket's lifecycle rule */ }
                throw;
            }
        }

        public bool Delete(string key, CancellationToken ct)
        {
            if (Stat(key, ct) == null) return false;
            Call(c => _client.DeleteObjectAsync(new DeleteObjectRequest { BucketName = _bucket, Key = Full(key) }, c), key, ct);
            return true;
        }

        /// <summary>Creates the bucket when it does not exist (tests, first publish to a private S3-compatible store).</summary>
        public void EnsureBucket(CancellationToken ct)
        {
            try { Call(c => _client.PutBucketAsync(new PutBucketRequest { BucketName = _bucket }, c), "", ct); }
            catch (StorageException e) when (e.InnerException is AmazonS3Exception s3 && (s3.ErrorCode == "BucketAlreadyOwnedByYou" || s3.ErrorCode == "BucketAlreadyExists")) { }
        }

        // Objects cannot be renamed: staged objects are spooled on the controller (Spool), locks held in this process.
        readonly Spool _spool = new Spool();
        public StagedObject Stage(string key, CancellationToken ct) => _spool.Stage(this, key, ct);
        public IReadOnlyList<string> RemoveAbandoned(string prefix, CancellationToken ct) => new string[0];
        public IDisposable TryLock(string prefix) => InProcessLock.TryTake(Location, prefix);

        public void Dispose() { _spool.Dispose(); _client.Dispose(); }
    }


    /// <summary>A response body stream that also disposes the response that owns it.</summary>
    sealed class OwningStream : ReadOnlyStream
    {
        readonly Stream _inner; readonly IDisposable _owner;
        public OwningStream(Stream inner, IDisposable owner) { _inner = inner; _owner = owner; }
        public override int Read(byte[] buffer, int offset, int count) => _inner.Read(buffer, offset, count);
        protected override void Dispose(bool disposing)
        {
            if (disposing) { _inner.Dispose(); _owner?.Dispose(); }
            base.Dispose(disposing);
        }
    }
}
