using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.RegularExpressions;

namespace EdgeOps.Backup
{
    /// <summary>Get-SdCardBackup's work: the images in a destination per device, newest first.</summary>
    public static class BackupListing
    {
        public static List<SdCardBackupInfo> List(string destination, string[] devicePatterns, bool latestOnly, EdgeOps.Storage.StorageOptions storage = null)
        {
            using (var store = BackupDestination.Open(destination, storage))
                return List(store, devicePatterns, latestOnly);
        }

        static List<SdCardBackupInfo> List(EdgeOps.Storage.IObjectStore store, string[] devicePatterns, bool latestOnly)
        {
            var patterns = (devicePatterns ?? new string[0]).Where(p => !string.IsNullOrEmpty(p))
                .Select(p => new Regex("^" + Regex.Escape(p).Replace("\\*", ".*").Replace("\\?", ".") + "$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)).ToList();
            var result = new List<SdCardBackupInfo>();
            foreach (var folder in BackupDestination.Devices(store))
            {
                var entries = Catalog.List(store, folder);
                foreach (var e in entries)
                {
                    var m = e.Manifest;
                    var device = m?.ComputerName ?? folder;
                    if (patterns.Count > 0 && !patterns.Any(p => p.IsMatch(device) || p.IsMatch(folder))) continue;
                    result.Add(new SdCardBackupInfo
                    {
                        ComputerName = device,
                        Path = EdgeOps.Storage.ObjectStores.PathOf(store, BackupDestination.Key(folder, e.Base + SdCardBackupService.ImageSuffix)),
                        Created = m?.CreatedTime ?? e.Image?.LastModified ?? DateTimeOffset.MinValue,
                        ImageBytes = m?.ImageBytes ?? 0, StoredBytes = e.Image?.Size ?? 0, UsedBytes = m?.UsedBytes ?? 0,
                        Verified = e.Usable, Sha256 = m?.Sha256, MapSha256 = m?.MapSha256, Model = m?.Device?.Model, EdgeOpsVersion = m?.EdgeOpsVersion,
                        Problem = e.Problem,
                    });
                    if (latestOnly && e.Usable) break;
                }
            }
            if (latestOnly) result = result.GroupBy(r => r.ComputerName, StringComparer.OrdinalIgnoreCase).Select(g => g.FirstOrDefault(x => x.Verified) ?? g.First()).ToList();
            return result;
        }
    }
}
