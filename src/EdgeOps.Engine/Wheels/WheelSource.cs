using System;
using System.Collections.Generic;
using System.Linq;
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
            var store = ObjectStores.Open(source, options);
            try
            {
                var src = new WheelSource { Store = store };
                if (store.Stat(WheelCatalog.DefaultName, ct) != null)
                {
                    log?.Invoke($"Using the catalog {store.Location}{WheelCatalog.DefaultName}.");
                    src.LoadCatalog(WheelCatalog.DefaultName, ct);
                    return src;
                }
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
            var (folder, name) = SplitLast(catalogLocation);
            var store = ObjectStores.Open(folder, options);
            try
            {
                var src = new WheelSource { Store = store };
                if (store.Stat(name, ct) == null)
                    throw new EdgeOpsException("WheelCatalogNotFound", "ObjectNotFound",
                        $"The catalog '{name}' was not found in {store.Location}. Check -Catalog, or publish a wheel there first with Publish-TorchWheel.");
                src.LoadCatalog(name, ct);
                return src;
            }
            catch { store.Dispose(); throw; }
        }

        void LoadCatalog(string key, CancellationToken ct)
        {
            CatalogKey = key;
            Folder = StorageKey.Parent(key);
            Where = Store.Location + key;
            Entries = WheelCatalog.Parse(StorageTransfer.ReadText(Store, key, ct), Where).Wheels;
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
