using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;
using System.Threading;
using EdgeOps.Storage;

namespace EdgeOps.Backup
{
    /// <summary>The backups stored for a device: complete ones (manifest + image) and leftovers.</summary>
    public static class Catalog
    {
        public sealed class Entry
        {
            public string Base;
            public BackupManifest Manifest;
            public StorageObject Image;
            public string Problem;
            public bool Usable => Problem == null && Manifest != null && Manifest.Verified;
        }

        /// <summary>Every image or manifest of a device, newest first.</summary>
        public static List<Entry> List(IObjectStore store, string device, CancellationToken ct = default)
        {
            var files = BackupDestination.Files(store, device, ct).Where(f => !f.Name.StartsWith(".", StringComparison.Ordinal)).ToList();
            var byName = files.ToDictionary(f => f.Name, StringComparer.Ordinal);
            var bases = files.Select(f => BaseOf(f.Name)).Where(b => b != null).Distinct().ToList();
            var result = new List<Entry>();
            foreach (var b in bases)
            {
                var e = new Entry { Base = b };
                byName.TryGetValue(b + SdCardBackupService.ImageSuffix, out e.Image);
                if (byName.ContainsKey(b + SdCardBackupService.ManifestSuffix))
                {
                    try
                    {
                        using (var s = store.OpenRead(BackupDestination.Key(device, b + SdCardBackupService.ManifestSuffix), 0, ct))
                        using (var r = new StreamReader(s, Encoding.UTF8))
                            e.Manifest = BackupManifest.Parse(r.ReadToEnd());
                    }
                    catch (Exception x) when (x is InvalidDataException || x is IOException || x is StorageException) { e.Problem = "manifest unreadable: " + x.Message; }
                }
                if (e.Problem == null)
                {
                    if (e.Manifest == null) e.Problem = "no manifest: an interrupted backup";
                    else if (e.Image == null) e.Problem = "image file missing";
                    else if (e.Image.Size != e.Manifest.StoredBytes) e.Problem = $"image is {e.Image.Size} bytes, the manifest says {e.Manifest.StoredBytes}";
                    else if (!e.Manifest.Verified) e.Problem = "not verified";
                }
                result.Add(e);
            }
            return result.OrderByDescending(e => e.Manifest?.CreatedTime ?? e.Image?.LastModified ?? DateTimeOffset.MinValue)
                         .ThenByDescending(e => e.Base, StringComparer.Ordinal).ToList();
        }

        static readonly Regex s_name = new Regex(@"^(.+-\d{8}T\d{6}Z(?:-\d+)?)(\.img\.zst|\.img\.bmap|\.json)$", RegexOptions.CultureInvariant);

        public static string BaseOf(string file)
        {
            var m = s_name.Match(file);
            return m.Success ? m.Groups[1].Value : null;
        }
    }

}
