using System;
using System.Collections.Generic;
using System.IO;
using System.Net;
using System.Threading;

namespace EdgeOps.Storage
{
    /// <summary>One object of a store: its key (relative to the store's root, '/'-separated), size and time.</summary>
    public sealed class StorageObject
    {
        public StorageObject(string key, long size, DateTimeOffset? lastModified, string etag = null)
        {
            Key = key; Size = size; LastModified = lastModified; ETag = etag;
        }

        /// <summary>Key relative to the store root, e.g. "torch/torch-2.1.0-cp38-cp38-linux_aarch64.whl".</summary>
        public string Key { get; }
        /// <summary>Size in bytes; -1 when the store cannot tell without reading (HTTP directory listings).</summary>
        public long Size { get; }
        public DateTimeOffset? LastModified { get; }
        /// <summary>Opaque version tag when the store has one (S3/Azure ETag, HTTP ETag); null otherwise.</summary>
        public string ETag { get; }
        /// <summary>The last path segment of the key.</summary>
        public string Name => Key.Substring(Key.LastIndexOf('/') + 1);
        public override string ToString() => Key;
    }

    /// <summary>
    /// Objects by key under one root: a folder, an HTTP(S) base URL, an S3 bucket/prefix or an Azure Blob
    /// container/prefix. Implementations are thread-safe (one store is shared by every device of a run).
    /// Keys are relative to the root and use '/'; ".." segments, empty segments and backslashes are refused.
    /// </summary>
    public interface IObjectStore : IDisposable
    {
        /// <summary>Kind: Folder, Http, S3 or AzureBlob.</summary>
        string Kind { get; }

        /// <summary>Where the store is, for messages: never contains a secret (SAS tokens, keys are removed).</summary>
        string Location { get; }

        /// <summary>False for read-only stores (HTTP): Put, Delete, Stage, RemoveAbandoned and TryLock throw a StorageException.</summary>
        bool CanWrite { get; }

        /// <summary>Objects whose key starts with <paramref name="prefix"/> ("" for all), recursively, ordered by key.</summary>
        IReadOnlyList<StorageObject> List(string prefix, CancellationToken cancellationToken);

        /// <summary>The object's size and time, or null when it does not exist.</summary>
        StorageObject Stat(string key, CancellationToken cancellationToken);

        /// <summary>
        /// A stream of the object's bytes from <paramref name="offset"/> to the end (a Range request where the
        /// protocol has one). Throws StorageException (ErrorId StorageObjectNotFound) when the key does not exist.
        /// The caller disposes the stream. See <see cref="StorageTransfer"/> for copies that resume after a break.
        /// </summary>
        Stream OpenRead(string key, long offset, CancellationToken cancellationToken);

        /// <summary>
        /// Writes an object from <paramref name="content"/> (read to its end; need not be seekable). Atomic:
        /// until Put returns, readers see the previous object (or none), never part of the new one.
        /// <paramref name="length"/> is the content length when known (-1 if not), used for progress and part sizes.
        /// </summary>
        void Put(string key, Stream content, long length, IProgress<long> progress, CancellationToken cancellationToken);

        /// <summary>Deletes an object; false when it did not exist.</summary>
        bool Delete(string key, CancellationToken cancellationToken);

        /// <summary>
        /// Starts a new object under <paramref name="key"/>, written as a stream (<see cref="StagedObject"/>): invisible
        /// until its Commit, readable back before that, removed when disposed uncommitted. Folder: a file created
        /// beside the target under a random hidden name (0600, exclusively: a link planted there is replaced, never
        /// followed), renamed into place; S3 and Azure Blob: a file in a private spool folder on the controller,
        /// uploaded by Put and read back on Commit (see <see cref="Spool"/>).
        /// </summary>
        StagedObject Stage(string key, CancellationToken cancellationToken);

        /// <summary>
        /// Removes what Stage calls under <paramref name="prefix"/> left behind when their process died before Commit
        /// or Dispose (a folder's temporary files; nothing in S3 and Azure Blob, whose spool is on the controller and
        /// goes with the store). Returns the keys removed. Call it only while holding <see cref="TryLock"/> on the
        /// prefix: a run in progress would lose its object.
        /// </summary>
        IReadOnlyList<string> RemoveAbandoned(string prefix, CancellationToken cancellationToken);

        /// <summary>
        /// An exclusive lock on <paramref name="prefix"/> for one run; null when another run holds it. Folder: a lock
        /// file in the prefix's folder (other processes, and machines sharing the folder where the share honours
        /// locks, are kept out); S3 and Azure Blob: held in this process only, so it guards against runs from the same
        /// controller, not from another.
        /// </summary>
        IDisposable TryLock(string prefix);
    }

    /// <summary>How to reach a store: credentials and endpoints that the location string does not carry.</summary>
    public sealed class StorageOptions
    {
        /// <summary>Force a kind (Folder, Http, S3, AzureBlob) instead of guessing from the location.</summary>
        public string Kind { get; set; }

        /// <summary>
        /// S3: access key id (UserName) and secret access key (Password). Azure Blob: account name and account key.
        /// Null: S3 uses the standard AWS credential chain; Azure uses the SAS in the URL or the connection string.
        /// </summary>
        public NetworkCredential Credential { get; set; }

        /// <summary>S3-compatible endpoint (MinIO, s3rver, Ceph...) or Azure Blob service URL (Azurite). Null: the
        /// cloud's own (S3 also reads AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL).</summary>
        public string Endpoint { get; set; }

        /// <summary>Wheel sources and catalogs: allow plain http:// to another machine (see <see cref="InsecureHttp"/>).</summary>
        public bool AllowInsecureHttp { get; set; }

        /// <summary>Wheel catalogs: the catalog file's own sha256 (lowercase hex); null = not pinned.</summary>
        public string CatalogSha256 { get; set; }

        /// <summary>S3 region; null reads AWS_REGION / AWS_DEFAULT_REGION, else us-east-1.</summary>
        public string Region { get; set; }

        /// <summary>Azure Storage connection string (a secret); null reads AZURE_STORAGE_CONNECTION_STRING for az:// locations.</summary>
        public string AzureConnectionString { get; set; }

        /// <summary>Timeout of one request (a whole download can take longer).</summary>
        public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromMinutes(5);

        /// <summary>How many times a broken download is resumed before giving up.</summary>
        public int Retries { get; set; } = 5;
    }

    /// <summary>A storage failure with a stable ErrorId (StorageObjectNotFound, StorageAccessDenied, StorageReadOnly,
    /// StorageUnavailable, StorageInvalidLocation, StorageInvalidKey, StorageTransferFailed, StorageVerifyFailed).</summary>
    public sealed class StorageException : EdgeOpsException
    {
        public StorageException(string errorId, string category, string message, Exception inner = null, bool transient = false)
            : base(errorId, category, message, inner) { Transient = transient; }

        /// <summary>True when a retry may succeed (connection broken, server busy).</summary>
        public bool Transient { get; }

        internal static StorageException NotFound(string location, string key) =>
            new StorageException("StorageObjectNotFound", "ObjectNotFound", $"'{key}' was not found in {location}. Check the key (Get the list with the store's listing) and the location.");

        internal static StorageException ReadOnly(string location) =>
            new StorageException("StorageReadOnly", "InvalidOperation", $"{location} is read-only (HTTP). Publish to a folder, s3:// or Azure Blob location instead.");

        internal static StorageException Denied(string location, string detail, Exception inner) =>
            new StorageException("StorageAccessDenied", "PermissionDenied", $"Access to {location} was denied ({detail}). Check the credentials (-StorageCredential, SAS token, AWS credential chain).", inner);

        internal static StorageException Unavailable(string location, string detail, Exception inner) =>
            new StorageException("StorageUnavailable", "ConnectionError", $"{location} could not be reached: {detail}", inner, transient: true);
    }
}
