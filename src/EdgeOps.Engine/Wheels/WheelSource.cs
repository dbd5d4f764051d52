using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using EdgeOps.Storage;

namespace EdgeOps.Wheels
{
    /// <summary>
    /// Where wheels come from for one run: a store, the folder (key prefix) of the wheels, and the entries — from the
    /// catalog when there is one, else from the wheel file names found by listing the folder or bucket prefix.
    /// </summary>
    public sealed class WheelSource : IDisposable
    {
        public IObjectStore Store { get; private set; }
        /// <summary>Key prefix of the catalog's folder inside the store ("" = the store root).</summary>
        public string Folder { get; private set; } = "";
        public string CatalogKey { get; private set; }
        public bool HasCatalog => CatalogKey != null;
        public IReadOnlyList<WheelEntry> Entries { get; private set; }
        /// <summary>For messages: the catalog or folder, without secrets.</summary>
        public string Where { get; private set; }

        public string KeyOf(WheelEntry e) => StorageKey.Join(Folder, e.File);

        /// <summary>-Source: a folder, URL, s3:// or Azure location; its catalog.yaml is used when present.</summary>
        public static WheelSource FromSource(string source, StorageOptions options, CancellationToken ct, Action<string> log)
        {
            CheckTransport(source, options, "-Source");
            var store = ObjectStores.Open(source, options);
            try
            {
                var src = new WheelSource { Store = store };
                if (store.Stat(WheelCatalog.DefaultName, ct) != null)
                {
                    log?.Invoke($"Using the catalog {store.Location}{WheelCatalog.DefaultName}.");
                    src.LoadCatalog(WheelCatalog.DefaultName, options, ct);
                    return src;
                }
                if (!string.IsNullOrEmpty(options?.CatalogSha256))
                    throw new EdgeOpsException("WheelCatalogNotFound", "ObjectNotFound",
                        $"-CatalogSha256 was given, but {store.Location} has no {WheelCatalog.DefaultName} to check it against: wheels found by listing have no hash to anchor.");
                var entries = new List<WheelEntry>();
                foreach (var o in store.List("", ct))
                {
                    if (!o.Key.EndsWith(".whl", StringComparison.OrdinalIgnoreCase)) continue;
                    if (!WheelName.TryParse(o.Name, out _)) { log?.Invoke($"Skipping '{o.Key}': not a wheel file name."); continue; }
                    entries.Add(WheelEntry.FromName(o.Key, o.Size));
                }
                src.Entries = entries;
                src.Where = store.Location;
                log?.Invoke($"No catalog in {store.Location}: {entries.Count} wheel(s) found by listing; chosen by their file names' tags, hashes computed on download.");
                return src;
            }
            catch { store.Dispose(); throw; }
        }

        /// <summary>-Catalog: the location of a catalog file; the wheels are in its folder.</summary>
        public static WheelSource FromCatalog(string catalogLocation, StorageOptions options, CancellationToken ct)
        {
            CheckTransport(catalogLocation, options, "-Catalog");
            var (folder, name) = SplitLast(catalogLocation);
            var store = ObjectStores.Open(folder, options);
            try
            {
                var src = new WheelSource { Store = store };
                if (store.Stat(name, ct) == null)
                    throw new EdgeOpsException("WheelCatalogNotFound", "ObjectNotFound",
                        $"The catalog '{name}' was not found in {store.Location}. Check -Catalog, or publish a wheel there first with Publish-TorchWheel.");
                src.LoadCatalog(name, options, ct);
                return src;
            }
            catch { store.Dispose(); throw; }
        }

        static void CheckTransport(string location, StorageOptions options, string parameter)
        {
            bool allow = options?.AllowInsecureHttp == true;
            InsecureHttp.Check(location, allow, parameter, "the wheels and catalog on their way, and so the code installed on the devices");
            InsecureHttp.Check(options?.Endpoint, allow, "-Endpoint", "the wheels and catalog on their way, and so the code installed on the devices");
        }

        /// <summary>
        /// Reads and parses the catalog. With -CatalogSha256 the catalog's bytes must hash to it, and then every wheel must
        /// carry a sha256: the one pinned value anchors every file installed.
        /// </summary>
        void LoadCatalog(string key, StorageOptions options, CancellationToken ct)
        {
            CatalogKey = key;
            Folder = StorageKey.Parent(key);
            Where = Store.Location + key;
            byte[] bytes;
            using (var ms = new MemoryStream())
            {
                StorageTransfer.Download(Store, key, ms, 0, -1, null, ct);
                bytes = ms.ToArray();
            }
            var pin = options?.CatalogSha256?.Trim().ToLowerInvariant();
            if (!string.IsNullOrEmpty(pin))
            {
                string actual;
                using (var sha = System.Security.Cryptography.SHA256.Create()) actual = Hex.Lower(sha.ComputeHash(bytes));
                if (actual != pin)
                    throw new EdgeOpsException("WheelCatalogHashMismatch", "SecurityError",
                        $"The catalog {HttpStore.Redact(Where)} has sha256 {actual}, not the {pin} given with -CatalogSha256: it was changed (or -CatalogSha256 is from another catalog). Nothing was installed: check where the catalog came from, then give the sha256 of the catalog you trust.");
            }
            Entries = WheelCatalog.Parse(new UTF8Encoding(false).GetString(bytes), Where).Wheels;
            if (!string.IsNullOrEmpty(pin))
            {
                var unpinned = Entries.FirstOrDefault(e => string.IsNullOrEmpty(e.Sha256));
                if (unpinned != null)
                    throw new EdgeOpsException("WheelCatalogInvalid", "InvalidData",
                        $"The catalog {HttpStore.Redact(Where)} is pinned with -CatalogSha256, but '{unpinned.File}' has no sha256 in it, so nothing would anchor that file. Publish it again with Publish-TorchWheel.");
            }
        }

        /// <summary>Splits the last path segment off a location, keeping a URL's query (SAS token) on the folder part.</summary>
        public static (string Folder, string Name) SplitLast(string location)
        {
            if (Uri.TryCreate(location, UriKind.Absolute, out var u) && (u.Scheme == "http" || u.Scheme == "https"))
            {
                var path = u.AbsolutePath;
                int i = path.LastIndexOf('/');
                var name = Uri.UnescapeDataString(path.Substring(i + 1));
                var b = new UriBuilder(u) { Path = path.Substring(0, i + 1) };
                if (name.Length == 0) throw NoName(location);
                return (b.Uri.ToString(), name);
            }
            var trimmed = location.TrimEnd('/', '\\');
            int j = Math.Max(trimmed.LastIndexOf('/'), trimmed.LastIndexOf('\\'));
            if (location.StartsWith("s3://", StringComparison.OrdinalIgnoreCase) || location.StartsWith("az://", StringComparison.OrdinalIgnoreCase))
            {
                if (j < 5 || trimmed.IndexOf('/', 5) < 0) throw NoName(location);
            }
            if (j < 0) return (".", trimmed);
            return (j == 0 ? "/" : trimmed.Substring(0, j), trimmed.Substring(j + 1));
        }

        static EdgeOpsException NoName(string location) =>
            new EdgeOpsException("WheelCatalogNotFound", "InvalidArgument",
                $"'{HttpStore.Redact(location)}' does not name a catalog file: give its full location, e.g. s3://bucket/torch/catalog.yaml.");

        public void Dispose() => Store?.Dispose();
    }
}
