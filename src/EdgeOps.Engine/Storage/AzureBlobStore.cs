using System;
using System.Collections.Generic;
using System.IO;
using System.Threading;
using Azure;
using Azure.Storage;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;

namespace EdgeOps.Storage
{
    /// <summary>
    /// An Azure Blob container (and a prefix inside it) through Azure.Storage.Blobs. Reached by
    /// <list type="bullet">
    /// <item>a container URL with a SAS token: https://account.blob.core.windows.net/container/prefix?sv=...&amp;sig=...</item>
    /// <item>a container URL and the account name/key (<see cref="StorageOptions.Credential"/>)</item>
    /// <item>az://container/prefix with a connection string (<see cref="StorageOptions.AzureConnectionString"/> or
    /// AZURE_STORAGE_CONNECTION_STRING), or with the account name/key and <see cref="StorageOptions.Endpoint"/>.</item>
    /// </list>
    /// Put stages blocks and commits them in one call, so a reader sees the old blob until the commit.
    /// </summary>
    public sealed class AzureBlobStore : IObjectStore
    {
        readonly BlobContainerClient _container;
        readonly string _prefix;   // "" or "a/b/"
        readonly string _display;

        public AzureBlobStore(string location, StorageOptions options = null)
        {
            options = options ?? new StorageOptions();
            var clientOptions = new BlobClientOptions();
            clientOptions.Retry.MaxRetries = 3;
            clientOptions.Retry.NetworkTimeout = options.RequestTimeout;

            if (location.StartsWith("az://", StringComparison.OrdinalIgnoreCase))
            {
                var rest = location.Substring(5);
                int slash = rest.IndexOf('/');
                var containerName = slash < 0 ? rest : rest.Substring(0, slash);
                _prefix = slash < 0 ? "" : rest.Substring(slash + 1).Trim('/');
                if (containerName.Length == 0)
                    throw new StorageException("StorageInvalidLocation", "InvalidArgument", $"'{location}' names no container: use az://container/prefix.");
                var cs = options.AzureConnectionString ?? Environment.GetEnvironmentVariable("AZURE_STORAGE_CONNECTION_STRING");
                if (!string.IsNullOrEmpty(cs))
                {
                    try { _container = new BlobContainerClient(cs, containerName, clientOptions); }
                    catch (Exception e) when (e is FormatException || e is ArgumentException)
                    {
                        throw new StorageException("StorageInvalidLocation", "InvalidArgument", $"The Azure Storage connection string for '{location}' is not valid (its text is not shown).");
                    }
                }
                else if (options.Credential != null)
                {
                    var service = options.Endpoint ?? $"https://{options.Credential.UserName}.blob.core.windows.net";
                    var uri = new Uri(service.TrimEnd('/') + "/" + Uri.EscapeDataString(containerName));
                    _container = new BlobContainerClient(uri, new StorageSharedKeyCredential(options.Credential.UserName, options.Credential.Password), clientOptions);
                }
                else
                    throw new StorageException("StorageAccessDenied", "AuthenticationError",
                        $"'{location}' needs a connection string (AZURE_STORAGE_CONNECTION_STRING) or the account name and key (-StorageCredential).");
            }
            else
            {
                if (!Uri.TryCreate(location, UriKind.Absolute, out var uri) || (uri.Scheme != "http" && uri.Scheme != "https"))
                    throw new StorageException("StorageInvalidLocation", "InvalidArgument", $"'{HttpStore.Redact(location)}' is not an Azure Blob container URL.");
                var b = new BlobUriBuilder(uri);
                if (string.IsNullOrEmpty(b.BlobContainerName))
                    throw new StorageException("StorageInvalidLocation", "InvalidArgument", $"'{HttpStore.Redact(location)}' names no container.");
                _prefix = (b.BlobName ?? "").Trim('/');
                b.BlobName = "";
                if (options.Credential != null)
                {
                    b.Sas = null; b.Query = "";
                    _container = new BlobContainerClient(b.ToUri(), new StorageSharedKeyCredential(options.Credential.UserName, options.Credential.Password), clientOptions);
                }
                else
                    _container = new BlobContainerClient(b.ToUri(), clientOptions);   // SAS in the URL, or a public container
            }
            if (_prefix.Length > 0) _prefix += "/";
            _display = HttpStore.Redact(_container.Uri.ToString()).TrimEnd('/') + "/" + _prefix;
        }

        public string Kind => "AzureBlob";
        public string Location => _display;
        public bool CanWrite => true;

        string Full(string key) => _prefix + StorageKey.Check(key);

        T Call<T>(Func<T> f, string key)
        {
            try { return f(); }
            catch (RequestFailedException e) when (e.Status == 404)
            {
                if (e.ErrorCode == "ContainerNotFound")
                    throw new StorageException("StorageObjectNotFound", "ObjectNotFound", $"The container of {Location} does not exist. Check the location.", e);
                throw StorageException.NotFound(Location, key);
            }
            catch (RequestFailedException e) when (e.Status == 401 || e.Status == 403)
            { throw StorageException.Denied(Location, e.ErrorCode ?? ("HTTP " + e.Status), e); }
            catch (RequestFailedException e) when (e.Status == 0 || e.Status >= 500)
            { throw StorageException.Unavailable(Location, e.ErrorCode ?? e.Status.ToString(), e); }
            catch (RequestFailedException e)
            { throw new StorageException("StorageRequestFailed", "InvalidOperation", $"{Location}: '{key}': {e.ErrorCode} (HTTP {e.Status}).", e); }
        }

        public IReadOnlyList<StorageObject> List(string prefix, CancellationToken ct)
        {
            var list = new List<StorageObject>();
            Call(() =>
            {
                foreach (var item in _container.GetBlobs(BlobTraits.None, BlobStates.None, _prefix + (prefix ?? ""), ct))
                    list.Add(new StorageObject(item.Name.Substring(_prefix.Length), item.Properties.ContentLength ?? -1,
                                               item.Properties.LastModified, item.Properties.ETag?.ToString()));
                return 0;
            }, prefix ?? "");
            list.Sort((a, b) => string.CompareOrdinal(a.Key, b.Key));
            return list;
        }

        public StorageObject Stat(string key, CancellationToken ct)
        {
            var blob = _container.GetBlobClient(Full(key));
            try
            {
                var p = Call(() => blob.GetProperties(null, ct).Value, key);
                return new StorageObject(key, p.ContentLength, p.LastModified, p.ETag.ToString());
            }
            catch (StorageException e) when (e.ErrorId == "StorageObjectNotFound" && !(e.InnerException is RequestFailedException r && r.ErrorCode == "ContainerNotFound"))
            { return null; }
        }

        public Stream OpenRead(string key, long offset, CancellationToken ct)
        {
            var blob = _container.GetBlobClient(Full(key));
            var options = new BlobDownloadOptions();
            if (offset > 0) options.Range = new HttpRange(offset);
            try
            {
                var r = Call(() => blob.DownloadStreaming(options, ct).Value, key);
                return new OwningStream(r.Content, r);
            }
            catch (StorageException e) when (offset > 0 && e.InnerException is RequestFailedException rf && rf.Status == 416)
            {
                return new MemoryStream(new byte[0]);
            }
        }

        public void Put(string key, Stream content, long length, IProgress<long> progress, CancellationToken ct)
        {
            var blob = _container.GetBlobClient(Full(key));
            var options = new BlobUploadOptions
            {
                TransferOptions = new StorageTransferOptions { MaximumTransferSize = 8 << 20, InitialTransferSize = 32 << 20, MaximumConcurrency = 2 },
            };
            if (progress != null) options.ProgressHandler = progress;
            Call(() => blob.Upload(content, options, ct).Value, key);
        }

        public bool Delete(string key, CancellationToken ct) =>
            Call(() => _container.GetBlobClient(Full(key)).DeleteIfExists(DeleteSnapshotsOption.IncludeSnapshots, null, ct).Value, key);

        // Objects cannot be renamed: staged objects are spooled on the controller (Spool), locks held in this process.
        readonly Spool _spool = new Spool();
        public StagedObject Stage(string key, CancellationToken ct) => _spool.Stage(this, key, ct);
        public IReadOnlyList<string> RemoveAbandoned(string prefix, CancellationToken ct) => new string[0];
        public IDisposable TryLock(string prefix) => InProcessLock.TryTake(Location, prefix);

        public void Dispose() => _spool.Dispose();
    }
}
