using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading;
using EdgeOps.Storage;

namespace EdgeOps.Backup
{
    /// <summary>Cleaning after interrupted runs, and the retention rules (-Keep, -KeepDaily/-KeepWeekly/-KeepMonthly).</summary>
    public static class Retention
    {
        /// <summary>
        /// Removes what an interrupted run left in a device's folder: the store's temporary files, temporary (.partial)
        /// files of earlier versions, and image or map files without a manifest. Only called while holding the device's
        /// lock, so nothing here is in use.
        /// </summary>
        public static List<string> CleanStale(IObjectStore store, string device, CancellationToken ct = default)
        {
            var removed = store.RemoveAbandoned(BackupDestination.SafeName(device), ct).Select(k => k.Substring(k.LastIndexOf('/') + 1)).ToList();
            foreach (var f in BackupDestination.Files(store, device, ct))
            {
                if (f.Name.StartsWith(".", StringComparison.Ordinal) && f.Name.EndsWith(SdCardBackupService.PartialSuffix, StringComparison.Ordinal))
                { store.Delete(f.Key, ct); removed.Add(f.Name); }
            }
            foreach (var e in Catalog.List(store, device, ct).Where(e => e.Manifest == null && e.Problem != null && e.Problem.StartsWith("no manifest", StringComparison.Ordinal)))
            {
                foreach (var suffix in new[] { SdCardBackupService.ImageSuffix, SdCardBackupService.MapSuffix })
                {
                    var n = e.Base + suffix;
                    if (store.Delete(BackupDestination.Key(device, n), ct)) removed.Add(n);
                }
            }
            return removed;
        }

        /// <summary>Which usable backups the rules keep (the newest always).</summary>
        public static HashSet<string> Keepers(IReadOnlyList<Catalog.Entry> newestFirst, int keep, int daily, int weekly, int monthly)
        {
            var keepers = new HashSet<string>(StringComparer.Ordinal);
            if (newestFirst.Count == 0) return keepers;
            keepers.Add(newestFirst[0].Base);
            foreach (var e in newestFirst.Take(Math.Max(0, keep))) keepers.Add(e.Base);
            void Periods(int count, Func<DateTime, string> period)
            {
                if (count <= 0) return;
                var seen = new HashSet<string>();
                foreach (var e in newestFirst)
                {
                    var p = period(e.Manifest.CreatedTime.UtcDateTime);
                    if (seen.Contains(p)) continue;
                    if (seen.Count >= count) break;
                    seen.Add(p);
                    keepers.Add(e.Base);
                }
            }
            Periods(daily, t => t.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
            Periods(weekly, t => IsoWeek(t));
            Periods(monthly, t => t.ToString("yyyy-MM", CultureInfo.InvariantCulture));
            return keepers;
        }

        static string IsoWeek(DateTime t)
        {
            var cal = CultureInfo.InvariantCulture.Calendar;
            var day = cal.GetDayOfWeek(t);
            if (day >= DayOfWeek.Monday && day <= DayOfWeek.Wednesday) t = t.AddDays(3);
            int week = cal.GetWeekOfYear(t, CalendarWeekRule.FirstFourDayWeek, DayOfWeek.Monday);
            int year = week >= 52 && t.Month == 1 ? t.Year - 1 : week == 1 && t.Month == 12 ? t.Year + 1 : t.Year;
            return year.ToString(CultureInfo.InvariantCulture) + "-W" + week.ToString("00", CultureInfo.InvariantCulture);
        }

        /// <summary>
        /// Applies retention after a new backup was verified: removes the usable backups no rule keeps. Never the
        /// newest verified one (<paramref name="newestManifest"/>). Without any -Keep* option nothing is removed.
        /// </summary>
        public static List<string> Apply(IObjectStore store, string device, BackupRequest req, string newestManifest,
            Func<string, string, bool> shouldProcess, Action<string> verbose, CancellationToken ct = default)
        {
            var removed = new List<string>();
            if (req.Keep <= 0 && req.KeepDaily <= 0 && req.KeepWeekly <= 0 && req.KeepMonthly <= 0) return removed;
            var usable = Catalog.List(store, device, ct).Where(e => e.Usable).ToList();
            var keepers = Keepers(usable, req.Keep, req.KeepDaily, req.KeepWeekly, req.KeepMonthly);
            var newest = Catalog.BaseOf(newestManifest);
            if (newest != null) keepers.Add(newest);
            foreach (var e in usable.Where(e => !keepers.Contains(e.Base)))
            {
                if (!shouldProcess(e.Base + SdCardBackupService.ImageSuffix, "Remove old backup (retention)")) continue;
                // The manifest goes first: a half-removed backup never looks complete.
                foreach (var suffix in new[] { SdCardBackupService.ManifestSuffix, SdCardBackupService.ImageSuffix, SdCardBackupService.MapSuffix })
                    store.Delete(BackupDestination.Key(device, e.Base + suffix), ct);
                verbose?.Invoke($"retention removed {e.Base}{SdCardBackupService.ImageSuffix}");
                removed.Add(e.Base + SdCardBackupService.ImageSuffix);
            }
            return removed;
        }
    }
}
