using System;
using System.Text.RegularExpressions;

namespace EdgeOps.Storage
{
    /// <summary>Opens the store a location string names.</summary>
    public static class ObjectStores
    {
        /// <summary>
        /// Folder path (absolute or relative, or file:// URL) -> <see cref="FolderStore"/>;
        /// s3://bucket/prefix -> <see cref="S3Store"/>;
        /// az://container/prefix, or an http(s) URL that is an Azure Blob container (host *.blob.core.*, a SAS token
        /// "sig=" in the query, or account credentials given) -> <see cref="AzureBlobStore"/>;
        /// any other http(s) URL -> <see cref="HttpStore"/> (read-only).
        /// <see cref="StorageOptions.Kind"/> forces a kind.
        /// </summary>
        /// <summary>
        /// A store to write to (publishing, receiving wheels): a plain HTTP location is read-only, a clear error naming
        /// -Destination before anything is read or built.
        /// </summary>
        public static IObjectStore OpenWritable(string location, StorageOptions options = null)
        {
            var store = Open(location, options);
            if (store.CanWrite) return store;
            store.Dispose();
            throw new StorageException("StorageReadOnly", "InvalidArgument",
                $"-Destination {store.Location} is read-only (plain HTTP): give a folder, s3://bucket/prefix or an Azure Blob container.");
        }

        public static IObjectStore Open(string location, StorageOptions options = null)
        {
            options = options ?? new StorageOptions();
            if (string.IsNullOrWhiteSpace(location))
                throw new StorageException("StorageInvalidLocation", "InvalidArgument", "The storage location is empty: give a folder, an http(s) URL, s3://bucket/prefix or an Azure Blob container URL.");
            var kind = KindOf(location, options);
            switch (kind)
            {
                case "S3": return new S3Store(location, options);
                case "AzureBlob": return new AzureBlobStore(location, options);
                case "Http": return new HttpStore(location, options);
                default:
                    if (location.StartsWith("file://", StringComparison.OrdinalIgnoreCase)) location = new Uri(location).LocalPath;
                    return new FolderStore(location);
            }
        }

        /// <summary>
        /// Where an object is, for results and messages: a folder's object is its full local path, another store's
        /// its location and key (no secret: <see cref="IObjectStore.Location"/> has none).
        /// </summary>
        public static string PathOf(this IObjectStore store, string key) =>
            store is FolderStore folder ? folder.FullPath(key) : store.Location.TrimEnd('/') + "/" + key;

        /// <summary>The kind <see cref="Open"/> would choose: Folder, Http, S3 or AzureBlob.</summary>
        public static string KindOf(string location, StorageOptions options = null)
        {
            if (!string.IsNullOrEmpty(options?.Kind))
            {
                foreach (var k in new[] { "Folder", "Http", "S3", "AzureBlob" })
                    if (string.Equals(k, options.Kind, StringComparison.OrdinalIgnoreCase)) return k;
                throw new StorageException("StorageInvalidLocation", "InvalidArgument", $"Unknown storage kind '{options.Kind}': use Folder, Http, S3 or AzureBlob.");
            }
            if (location.StartsWith("s3://", StringComparison.OrdinalIgnoreCase)) return "S3";
            if (location.StartsWith("az://", StringComparison.OrdinalIgnoreCase)) return "AzureBlob";
            if (Regex.IsMatch(location, "^https?://", RegexOptions.IgnoreCase))
            {
                if (!Uri.TryCreate(location, UriKind.Absolute, out var u)) return "Http";
                if (Regex.IsMatch(u.Host, @"\.blob\.core\.", RegexOptions.IgnoreCase)) return "AzureBlob";
                if (Regex.IsMatch(u.Query ?? "", @"[?&]sig=", RegexOptions.IgnoreCase) && Regex.IsMatch(u.Query ?? "", @"[?&]sv=", RegexOptions.IgnoreCase)) return "AzureBlob";
                if (options?.Credential != null) return "AzureBlob";
                return "Http";
            }
            return "Folder";
        }
    }
}
