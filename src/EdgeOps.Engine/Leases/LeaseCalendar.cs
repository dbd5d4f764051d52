using System;
using System.Collections.Generic;
using System.Linq;

namespace EdgeOps.Leases
{
    /// <summary>A reservable device (or host) as a calendar knows it.</summary>
    public sealed class LeaseDevice
    {
        public string Name { get; set; }
        public string Uid { get; set; }
        /// <summary>Blazar's id of the resource (allocations refer to it).</summary>
        public string Id { get; set; }
        public string MachineName { get; set; }
        public bool Reservable { get; set; } = true;
        public IDictionary<string, string> Properties { get; set; } = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        public override string ToString() => Name ?? Uid ?? Id;
    }

    /// <summary>One busy interval of one device.</summary>
    public sealed class LeaseReservation
    {
        public string Device { get; set; }
        public string DeviceUid { get; set; }
        public string MachineName { get; set; }
        public DateTimeOffset StartUtc { get; set; }
        public DateTimeOffset EndUtc { get; set; }
        public string LeaseId { get; set; }
        public string Label { get; set; }
    }

    /// <summary>What a calendar source yields: devices, their reservations, and whether the device list is complete.</summary>
    public sealed class CalendarData
    {
        public List<LeaseDevice> Devices { get; } = new List<LeaseDevice>();
        public List<LeaseReservation> Reservations { get; } = new List<LeaseReservation>();
        /// <summary>
        /// True for Blazar (it lists every device, booked or not). False for files and pipeline input, where a device
        /// is known only through its reservations, or by naming it literally with -Device.
        /// </summary>
        public bool DevicesAuthoritative { get; set; }
        public string Source { get; set; }

        /// <summary>Adds another calendar's devices and reservations (several -Calendar values are searched as one).</summary>
        public void Merge(CalendarData other)
        {
            foreach (var d in other.Devices)
                if (!Devices.Any(x => SameDevice(x, d))) Devices.Add(d);
            Reservations.AddRange(other.Reservations);
            DevicesAuthoritative |= other.DevicesAuthoritative;
            Source = Source == null ? other.Source : Source + "; " + other.Source;
        }

        static bool SameDevice(LeaseDevice a, LeaseDevice b) =>
            (!string.IsNullOrEmpty(a.Uid) && string.Equals(a.Uid, b.Uid, StringComparison.OrdinalIgnoreCase))
            || (string.IsNullOrEmpty(a.Uid) || string.IsNullOrEmpty(b.Uid)) && string.Equals(a.Name, b.Name, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>
    /// PowerShell-style wildcards (* ? [abc] [a-z], ` escapes), case-insensitive. The engine does not reference
    /// PowerShell, so it has its own small matcher.
    /// </summary>
    public static class Glob
    {
        public static bool HasWildcards(string pattern) => pattern != null && pattern.IndexOfAny(new[] { '*', '?', '[' }) >= 0;

        /// <summary>A pattern without * ? [ is compared literally (so backticks in a literal name stay literal).</summary>
        public static bool IsMatch(string pattern, string text)
        {
            if (pattern == null || text == null) return false;
            if (!HasWildcards(pattern)) return string.Equals(pattern, text, StringComparison.OrdinalIgnoreCase);
            return Match(pattern, 0, text, 0);
        }

        static bool Match(string p, int pi, string t, int ti)
        {
            while (pi < p.Length)
            {
                char c = p[pi];
                if (c == '*')
                {
                    while (pi < p.Length && p[pi] == '*') pi++;
                    if (pi == p.Length) return true;
                    for (int k = ti; k <= t.Length; k++) if (Match(p, pi, t, k)) return true;
                    return false;
                }
                if (ti >= t.Length) return false;
                if (c == '?') { pi++; ti++; continue; }
                if (c == '[')
                {
                    int close = p.IndexOf(']', pi + 1);
                    if (close > pi + 1)
                    {
                        var set = p.Substring(pi + 1, close - pi - 1);
                        if (!InSet(set, t[ti])) return false;
                        pi = close + 1; ti++; continue;
                    }
                }
                if (c == '`' && pi + 1 < p.Length) { pi++; c = p[pi]; }
                if (char.ToUpperInvariant(c) != char.ToUpperInvariant(t[ti])) return false;
                pi++; ti++;
            }
            return ti == t.Length;
        }

        static bool InSet(string set, char ch)
        {
            ch = char.ToUpperInvariant(ch);
            for (int i = 0; i < set.Length; i++)
            {
                char lo = char.ToUpperInvariant(set[i]);
                if (i + 2 < set.Length && set[i + 1] == '-')
                {
                    char hi = char.ToUpperInvariant(set[i + 2]);
                    if (ch >= lo && ch <= hi) return true;
                    i += 2;
                }
                else if (ch == lo) return true;
            }
            return false;
        }
    }
}
