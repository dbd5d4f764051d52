using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text.RegularExpressions;
using TimeZoneConverter;

namespace EdgeOps.Leases
{
    /// <summary>Time zones, spans and timestamps as the lease cmdlets accept them.</summary>
    public static class LeaseTime
    {
        public static readonly DateTimeOffset UnixEpoch = new DateTimeOffset(1970, 1, 1, 0, 0, 0, TimeSpan.Zero);

        /// <summary>
        /// An IANA ("Europe/Berlin") or Windows ("W. Europe Standard Time") zone name; null or empty: the local zone.
        /// Works on every platform (TimeZoneConverter maps the names the OS doesn't know natively).
        /// </summary>
        public static TimeZoneInfo ResolveZone(string name, string parameterName = "TimeZone")
        {
            if (string.IsNullOrWhiteSpace(name) || name.Equals("Local", StringComparison.OrdinalIgnoreCase)) return TimeZoneInfo.Local;
            if (name.Equals("UTC", StringComparison.OrdinalIgnoreCase) || name == "Z" || name == "Etc/UTC") return TimeZoneInfo.Utc;
            if (TZConvert.TryGetTimeZoneInfo(name.Trim(), out var tz)) return tz;
            throw new EdgeOpsException("UnknownTimeZone", "InvalidArgument",
                $"-{parameterName} '{name}' is not a known time zone. Give an IANA name such as 'America/Chicago' or a Windows name such as 'Central Standard Time'.");
        }

        /// <summary>Every name <see cref="ResolveZone"/> takes: Local, UTC, the IANA names and the Windows ids (tab completion).</summary>
        public static IEnumerable<string> KnownZoneNames() =>
            new[] { "Local", "UTC" }.Concat(TZConvert.KnownIanaTimeZoneNames).Concat(TZConvert.KnownWindowsTimeZoneIds)
                .Distinct(StringComparer.OrdinalIgnoreCase);

        /// <summary>The zone's display id: what the user gave, or the local zone's id.</summary>
        public static string ZoneName(string given, TimeZoneInfo zone) =>
            string.IsNullOrWhiteSpace(given) || given.Equals("Local", StringComparison.OrdinalIgnoreCase) ? zone.Id : given.Trim();

        /// <summary>Blazar's own timestamps ("2021-12-16T17:11:00.000000", "2017-12-26 12:00"): UTC without an offset.</summary>
        public static DateTimeOffset ParseBlazarDate(string text)
        {
            if (string.IsNullOrWhiteSpace(text)) throw new FormatException("empty date");
            return DateTimeOffset.Parse(text.Trim(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);
        }

        /// <summary>Blazar's request date format: CCYY-MM-DD hh:mm, in UTC.</summary>
        public static string FormatBlazarDate(DateTimeOffset utc) =>
            utc.ToUniversalTime().ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);

        /// <summary>
        /// A reservation time from CSV or a pipeline object: DateTimeOffset/DateTime kept (a DateTime of unspecified
        /// kind is read in <paramref name="floatingZone"/>), text parsed invariantly; text without an offset is in
        /// <paramref name="floatingZone"/> (UTC unless told).
        /// </summary>
        public static DateTimeOffset ToUtc(object value, TimeZoneInfo floatingZone, string what)
        {
            switch (value)
            {
                case DateTimeOffset dto: return dto.ToUniversalTime();
                case DateTime dt:
                    if (dt.Kind == DateTimeKind.Utc) return new DateTimeOffset(dt);
                    if (dt.Kind == DateTimeKind.Local) return new DateTimeOffset(dt).ToUniversalTime();
                    return FromWallClock(dt, floatingZone ?? TimeZoneInfo.Utc);
                case string s:
                    s = s.Trim();
                    if (DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed))
                    {
                        bool hasOffset = Regex.IsMatch(s, @"\d:\d\d(:\d\d(\.\d+)?)?\s*(Z|GMT|UTC|[+-]\d\d(:?\d\d)?)$", RegexOptions.IgnoreCase);
                        if (hasOffset || floatingZone == null || floatingZone == TimeZoneInfo.Utc) return parsed.ToUniversalTime();
                        return FromWallClock(DateTime.SpecifyKind(parsed.DateTime, DateTimeKind.Unspecified), floatingZone);
                    }
                    break;
            }
            throw new EdgeOpsException("InvalidReservationTime", "InvalidData",
                $"{what}: '{value}' is not a date and time. Use ISO 8601, for example 2025-03-10T14:00:00Z.");
        }

        /// <summary>
        /// A wall-clock time in a zone to UTC. In a spring-forward gap the clock time does not exist: it is moved
        /// forward by the gap (RFC 5545 3.3.5); in a fall-back overlap the first (daylight) instant is used.
        /// </summary>
        public static DateTimeOffset FromWallClock(DateTime wall, TimeZoneInfo zone)
        {
            wall = DateTime.SpecifyKind(wall, DateTimeKind.Unspecified);
            if (zone == TimeZoneInfo.Utc) return new DateTimeOffset(wall, TimeSpan.Zero);
            if (zone.IsInvalidTime(wall))
            {
                // offset before the gap, applied to the wall time: lands after the gap by the same distance
                var before = zone.GetUtcOffset(wall.AddHours(-3));
                return new DateTimeOffset(wall - before, TimeSpan.Zero);
            }
            if (zone.IsAmbiguousTime(wall))
            {
                var offsets = zone.GetAmbiguousTimeOffsets(wall);
                var max = offsets[0] > offsets[1] ? offsets[0] : offsets[1];
                return new DateTimeOffset(wall - max, TimeSpan.Zero);
            }
            return new DateTimeOffset(wall - zone.GetUtcOffset(wall), TimeSpan.Zero);
        }

        /// <summary>The instant as the zone's clock shows it, with that instant's offset.</summary>
        public static DateTimeOffset InZone(DateTimeOffset utc, TimeZoneInfo zone) => TimeZoneInfo.ConvertTime(utc, zone);
    }
}
