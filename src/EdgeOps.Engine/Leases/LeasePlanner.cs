using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace EdgeOps.Leases
{
    /// <summary>What Get-LeaseWindow asks for.</summary>
    public sealed class LeaseQuery
    {
        public WindowRules Rules { get; set; } = new WindowRules();
        /// <summary>Device names or uids, with wildcards. Empty: every device.</summary>
        public IList<string> Devices { get; set; } = new List<string>();
        /// <summary>Machine names (Blazar's machine_name, e.g. raspberrypi5), with wildcards. Empty: any.</summary>
        public IList<string> MachineNames { get; set; } = new List<string>();
        /// <summary>Windows free on every selected device at once.</summary>
        public bool AllOf { get; set; }
        /// <summary>At most this many windows (earliest first); 0: all.</summary>
        public int First { get; set; }
        public TimeZoneInfo Zone { get; set; } = TimeZoneInfo.Utc;
        public string ZoneName { get; set; } = "UTC";
    }

    /// <summary>Selects devices from a calendar, runs the window search, and builds the results.</summary>
    public static class LeasePlanner
    {
        public static List<LeaseWindow> Find(CalendarData calendar, LeaseQuery query, Action<string> verbose = null)
        {
            query.Rules.Validate();
            var devices = SelectDevices(calendar, query, verbose);

            // reservations per device: by uid when the reservation has one, else by name
            var byKey = new Dictionary<string, List<LeaseReservation>>(StringComparer.OrdinalIgnoreCase);
            foreach (var r in calendar.Reservations)
            {
                if (r.EndUtc < r.StartUtc)
                    throw new EdgeOpsException("InvalidReservation", "InvalidData",
                        $"{calendar.Source}: the reservation of {r.Device ?? r.DeviceUid} from {r.StartUtc:u} ends before it starts ({r.EndUtc:u}). Fix the calendar entry.");
                var key = !string.IsNullOrEmpty(r.DeviceUid) ? "uid:" + r.DeviceUid : "name:" + r.Device;
                if (!byKey.TryGetValue(key, out var list)) byKey[key] = list = new List<LeaseReservation>();
                list.Add(r);
            }

            var groups = query.AllOf ? new List<List<LeaseDevice>> { devices } : devices.Select(d => new List<LeaseDevice> { d }).ToList();
            var found = new List<Found>();
            int limit = query.First > 0 ? query.First : int.MaxValue;
            var starts = new List<long>();
            for (int g = 0; g < groups.Count; g++)
            {
                var busy = new List<WindowFinder.Busy>();
                foreach (var d in groups[g])
                    foreach (var r in ReservationsOf(d, byKey))
                        busy.Add(new WindowFinder.Busy(r.StartUtc.UtcTicks, r.EndUtc.UtcTicks));
                starts.Clear();
                var arr = busy.ToArray();
                WindowFinder.FreeStarts(arr, arr.Length, query.Rules, starts, limit);
                foreach (var s in starts) found.Add(new Found { Start = s, Group = g });
            }
            // earliest first; ties in device order (devices are sorted by name)
            found.Sort(FoundOrder.Instance);
            if (found.Count > limit) found.RemoveRange(limit, found.Count - limit);

            var length = query.Rules.WindowLength;
            var durationText = length.ToString("c", CultureInfo.InvariantCulture);
            var results = new List<LeaseWindow>(found.Count);
            // many devices share the same aligned starts: convert each distinct instant to the zone once
            var zoneCache = new Dictionary<long, DateTimeOffset>();
            DateTimeOffset Local(DateTimeOffset utc)
            {
                if (!zoneCache.TryGetValue(utc.UtcTicks, out var local)) zoneCache[utc.UtcTicks] = local = LeaseTime.InZone(utc, query.Zone);
                return local;
            }
            var labels = groups.Select(g => (
                name: string.Join(",", g.Select(d => d.Name ?? d.Uid)),
                uid: g.All(d => string.IsNullOrEmpty(d.Uid)) ? null : string.Join(",", g.Select(d => d.Uid ?? "")),
                machine: string.Join(",", g.Select(d => d.MachineName).Where(m => !string.IsNullOrEmpty(m)).Distinct(StringComparer.OrdinalIgnoreCase)))).ToList();
            foreach (var f in found)
            {
                long start = f.Start;
                int group = f.Group;
                var s = new DateTimeOffset(start, TimeSpan.Zero);
                var e = s + length;
                var l = labels[group];
                results.Add(new LeaseWindow
                {
                    ComputerName = l.name, Device = l.name, DeviceUid = l.uid,
                    MachineName = l.machine.Length == 0 ? null : l.machine, DeviceCount = groups[group].Count,
                    StartUtc = s, EndUtc = e,
                    StartLocal = Local(s), EndLocal = Local(e),
                    TimeZone = query.ZoneName, Duration = durationText,
                    DurationMinutes = length.TotalMinutes, Calendar = calendar.Source,
                });
            }
            verbose?.Invoke($"{results.Count} window(s) of {length} on {groups.Count} {(query.AllOf ? "device group" : "device")}(s) between {query.Rules.From:u} and {query.Rules.To:u}.");
            return results;
        }

        struct Found { public long Start; public int Group; }

        sealed class FoundOrder : IComparer<Found>
        {
            public static readonly FoundOrder Instance = new FoundOrder();
            public int Compare(Found a, Found b) => a.Start != b.Start ? a.Start.CompareTo(b.Start) : a.Group.CompareTo(b.Group);
        }

        static IEnumerable<LeaseReservation> ReservationsOf(LeaseDevice d, Dictionary<string, List<LeaseReservation>> byKey)
        {
            IEnumerable<LeaseReservation> result = Enumerable.Empty<LeaseReservation>();
            if (!string.IsNullOrEmpty(d.Uid) && byKey.TryGetValue("uid:" + d.Uid, out var byUid)) result = result.Concat(byUid);
            if (!string.IsNullOrEmpty(d.Name) && byKey.TryGetValue("name:" + d.Name, out var byName)) result = result.Concat(byName);
            return result;
        }

        /// <summary>The devices the query is about, sorted by name. Throws when none (or a literally named one) is missing.</summary>
        public static List<LeaseDevice> SelectDevices(CalendarData calendar, LeaseQuery query, Action<string> verbose = null)
        {
            var all = new List<LeaseDevice>(calendar.Devices);
            bool Known(string name, string uid) => all.Any(d =>
                (!string.IsNullOrEmpty(uid) && string.Equals(d.Uid, uid, StringComparison.OrdinalIgnoreCase))
                || (!string.IsNullOrEmpty(name) && string.Equals(d.Name, name, StringComparison.OrdinalIgnoreCase)));
            if (!calendar.DevicesAuthoritative)
            {
                // offline calendars: a device is known through its reservations, or by being named literally
                foreach (var r in calendar.Reservations)
                    if (!Known(r.Device, r.DeviceUid))
                        all.Add(new LeaseDevice { Name = string.IsNullOrEmpty(r.Device) ? r.DeviceUid : r.Device, Uid = r.DeviceUid, MachineName = r.MachineName });
                foreach (var n in query.Devices ?? new List<string>())
                    if (!Glob.HasWildcards(n) && !Known(n, n)) all.Add(new LeaseDevice { Name = n });
            }
            var devicePatterns = (query.Devices ?? new List<string>()).Where(p => !string.IsNullOrWhiteSpace(p)).ToList();
            var machinePatterns = (query.MachineNames ?? new List<string>()).Where(p => !string.IsNullOrWhiteSpace(p)).ToList();

            // a literal name that matches nothing is a mistake worth saying out loud
            foreach (var p in devicePatterns.Where(p => !Glob.HasWildcards(p)))
                if (!all.Any(d => Glob.IsMatch(p, d.Name ?? "") || Glob.IsMatch(p, d.Uid ?? "")))
                    throw new EdgeOpsException("LeaseDeviceNotFound", "ObjectNotFound",
                        $"-Device '{p}': {calendar.Source} has no device of that name or uid. Use one of its devices: {Sample(all)}.");

            var selected = all.Where(d =>
                    (devicePatterns.Count == 0 || devicePatterns.Any(p => Glob.IsMatch(p, d.Name ?? "") || Glob.IsMatch(p, d.Uid ?? "")))
                 && (machinePatterns.Count == 0 || machinePatterns.Any(p => Glob.IsMatch(p, d.MachineName ?? ""))))
                .ToList();
            foreach (var d in selected.Where(d => !d.Reservable).ToList())
            {
                verbose?.Invoke($"{d.Name}: not reservable at the moment (Blazar 'reservable' is false); skipped.");
                selected.Remove(d);
            }
            if (selected.Count == 0)
            {
                var what = new List<string>();
                if (devicePatterns.Count > 0) what.Add("-Device " + string.Join(", ", devicePatterns));
                if (machinePatterns.Count > 0) what.Add("-MachineName " + string.Join(", ", machinePatterns));
                throw new EdgeOpsException("LeaseDeviceNotFound", "ObjectNotFound",
                    all.Count == 0
                        ? $"{calendar.Source} lists no devices. For an offline calendar, name the device with -Device (or give reservations with a Device column)."
                        : $"No reservable device at {calendar.Source} matches {(what.Count == 0 ? "the query" : string.Join(" and ", what))}. Known devices: {Sample(all)}.");
            }
            selected.Sort((a, b) => string.Compare(a.Name ?? a.Uid, b.Name ?? b.Uid, StringComparison.OrdinalIgnoreCase));
            verbose?.Invoke($"{selected.Count} device(s) selected: {Sample(selected)}.");
            return selected;
        }

        static string Sample(List<LeaseDevice> devices)
        {
            var names = devices.Select(d => d.MachineName == null ? d.ToString() : $"{d} ({d.MachineName})").Take(12).ToList();
            return names.Count == 0 ? "(none)" : string.Join(", ", names) + (devices.Count > 12 ? $", ... ({devices.Count} in all)" : "");
        }
    }
}
