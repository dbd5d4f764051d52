using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;

namespace EdgeOps.Leases
{
    /// <summary>
    /// Reads the busy time of an iCalendar (RFC 5545) file or feed: VEVENTs with DTSTART and DTEND or DURATION, in
    /// UTC, with TZID (IANA or Windows names, Mozilla-style prefixes, or a VTIMEZONE's X-LIC-LOCATION), floating or
    /// all-day; recurring events (RRULE FREQ=MINUTELY..YEARLY with INTERVAL, COUNT, UNTIL, BYDAY, BYMONTHDAY, BYMONTH,
    /// WKST), RDATE, EXDATE and RECURRENCE-ID overrides. CANCELLED and TRANSPARENT (free) events are not busy.
    /// The device an event books: its RESOURCES, else the calendar's X-WR-CALNAME, else the file's name.
    /// A rule part outside that set is refused with the event's UID: silently skipping it could hide a booking.
    /// (Ical.Net's netstandard2.0 build needs a package NuGet does not serve here, so the engine reads iCalendar
    /// itself; the tests check it against Ical.Net.)
    /// </summary>
    public static class ICalendarReader
    {
        sealed class Line
        {
            public string Name;
            /// <summary>The physical line of the file where this content line starts (1-based).</summary>
            public int Number;
            public Dictionary<string, string> Params = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            public string Value;
            public string Param(string n) => Params.TryGetValue(n, out var v) ? v : null;
        }

        sealed class Component
        {
            public string Name;
            public int Number;
            public List<Line> Lines = new List<Line>();
            public List<Component> Children = new List<Component>();
            public Line Get(string n) => Lines.FirstOrDefault(l => l.Name.Equals(n, StringComparison.OrdinalIgnoreCase));
            public IEnumerable<Line> All(string n) => Lines.Where(l => l.Name.Equals(n, StringComparison.OrdinalIgnoreCase));
        }

        /// <summary>A date or date-time value: the wall clock and the zone it is read in (null zone: UTC instant).</summary>
        struct When
        {
            public DateTime Wall;
            public TimeZoneInfo Zone;
            public bool IsDate;
            public DateTimeOffset Utc => LeaseTime.FromWallClock(Wall, Zone ?? TimeZoneInfo.Utc);
        }

        public static CalendarData Parse(string text, string source, TimeZoneInfo floatingZone, DateTimeOffset expandFrom, DateTimeOffset expandTo)
        {
            var root = Read(text, source);
            var cal = root.Children.FirstOrDefault(c => c.Name == "VCALENDAR")
                ?? throw new EdgeOpsException("InvalidICalendar", "InvalidData", $"{source}: no VCALENDAR in the iCalendar data.");
            var calName = cal.Get("X-WR-CALNAME")?.Value?.Trim();
            var wrZone = cal.Get("X-WR-TIMEZONE")?.Value?.Trim();
            var floating = floatingZone ?? TimeZoneInfo.Utc;
            if (!string.IsNullOrEmpty(wrZone)) floating = LeaseTime.ResolveZone(wrZone, "Calendar X-WR-TIMEZONE");
            var vtz = new Dictionary<string, Component>(StringComparer.OrdinalIgnoreCase);
            foreach (var c in cal.Children.Where(c => c.Name == "VTIMEZONE")) vtz[c.Get("TZID")?.Value?.Trim() ?? ""] = c;
            var zoneCache = new Dictionary<string, TimeZoneInfo>(StringComparer.OrdinalIgnoreCase);
            string defaultDevice = !string.IsNullOrEmpty(calName) ? calName : DeviceFromSource(source);

            var data = new CalendarData { Source = source };
            // devices saved by Get-LeaseWindow -SaveCalendar (booked or not): name, uid, machine name, "unreservable"
            foreach (var l in cal.All("X-EDGEOPS-DEVICE"))
            {
                var f = SplitUnescaped(l.Value, ',').Select(x => Unescape(x.Trim())).ToList();
                string F(int i) => i < f.Count && f[i].Length > 0 ? f[i] : null;
                if (F(0) == null && F(1) == null) continue;
                data.Devices.Add(new LeaseDevice { Name = F(0) ?? F(1), Uid = F(1), MachineName = F(2), Reservable = F(3) != "unreservable" });
            }
            data.DevicesAuthoritative = data.Devices.Count > 0 && string.Equals(cal.Get("X-EDGEOPS-DEVICES-COMPLETE")?.Value?.Trim(), "TRUE", StringComparison.OrdinalIgnoreCase);
            var events = cal.Children.Where(c => c.Name == "VEVENT").ToList();
            // RECURRENCE-ID overrides, by UID: they replace one occurrence of the master event
            var overrides = events.Where(e => e.Get("RECURRENCE-ID") != null).ToList();
            foreach (var ev in events)
            {
                var uid = ev.Get("UID")?.Value ?? "(no UID)";
                var ctx = $"{source} line {ev.Number} (event {uid})";
                try
                {
                TimeZoneInfo Zone(Line l) => ZoneOf(l, vtz, zoneCache, floating, ctx);
                var device = FirstResource(ev.Get("RESOURCES")?.Value) ?? defaultDevice;
                var deviceUid = ev.Get("X-EDGEOPS-DEVICE-UID")?.Value is string du && du.Trim().Length > 0 ? Unescape(du.Trim()) : null;
                bool busy = !string.Equals(ev.Get("STATUS")?.Value?.Trim(), "CANCELLED", StringComparison.OrdinalIgnoreCase)
                         && !string.Equals(ev.Get("TRANSP")?.Value?.Trim(), "TRANSPARENT", StringComparison.OrdinalIgnoreCase);

                var dtstartLine = ev.Get("DTSTART") ?? throw new EdgeOpsException("InvalidICalendar", "InvalidData", $"{ctx}: no DTSTART.");
                var start = ParseWhen(dtstartLine.Value, dtstartLine, Zone(dtstartLine), ctx);
                // duration of each occurrence: DTEND exact (RFC 5545 3.8.5.3), DURATION nominal days + exact time
                Func<When, DateTimeOffset> endOf;
                var dtend = ev.Get("DTEND");
                var durationLine = ev.Get("DURATION");
                if (dtend != null)
                {
                    var end = ParseWhen(dtend.Value, dtend, Zone(dtend), ctx);
                    var exact = end.Utc - start.Utc;
                    if (start.IsDate && end.IsDate) { var days = (end.Wall - start.Wall).Days; endOf = w => new When { Wall = w.Wall.AddDays(days), Zone = w.Zone, IsDate = true }.Utc; }
                    else endOf = w => w.Utc + exact;
                }
                else if (durationLine != null)
                {
                    var (days, time) = ParseDuration(durationLine.Value, ctx);
                    endOf = w => new When { Wall = w.Wall.AddDays(days), Zone = w.Zone }.Utc + time;
                }
                else if (start.IsDate) endOf = w => new When { Wall = w.Wall.AddDays(1), Zone = w.Zone, IsDate = true }.Utc;
                else endOf = w => w.Utc; // no time taken (RFC 5545: DTSTART only)

                if (ev.Get("RECURRENCE-ID") != null)
                {
                    if (busy) Add(data, device, deviceUid, start.Utc, endOf(start), uid, expandFrom, expandTo, ctx);
                    continue;
                }

                var starts = new List<When>();
                var rrule = ev.Get("RRULE");
                if (rrule != null) starts.AddRange(Expand(start, rrule.Value, expandFrom, expandTo, ctx));
                else starts.Add(start);
                foreach (var rd in ev.All("RDATE"))
                {
                    if (string.Equals(rd.Param("VALUE"), "PERIOD", StringComparison.OrdinalIgnoreCase))
                        throw new EdgeOpsException("UnsupportedICalendar", "NotImplemented", $"{ctx}: RDATE periods are not supported; list the extra dates as DATE-TIME values.");
                    foreach (var v in rd.Value.Split(','))
                        starts.Add(ParseWhen(v, rd, Zone(rd), ctx));
                }
                var excluded = new HashSet<long>();
                var excludedDates = new HashSet<DateTime>();
                foreach (var ex in ev.All("EXDATE"))
                    foreach (var v in ex.Value.Split(','))
                    {
                        var w = ParseWhen(v, ex, Zone(ex), ctx);
                        if (w.IsDate) excludedDates.Add(w.Wall.Date); else excluded.Add(w.Utc.UtcTicks);
                    }
                foreach (var o in overrides.Where(o => (o.Get("UID")?.Value ?? "(no UID)") == uid))
                {
                    var rid = o.Get("RECURRENCE-ID");
                    var w = ParseWhen(rid.Value, rid, Zone(rid), ctx);
                    if (w.IsDate) excludedDates.Add(w.Wall.Date); else excluded.Add(w.Utc.UtcTicks);
                }
                if (!busy) continue;
                var seen = new HashSet<long>();
                foreach (var w in starts)
                {
                    var s = w.Utc;
                    if (!seen.Add(s.UtcTicks)) continue;
                    if (excluded.Contains(s.UtcTicks) || excludedDates.Contains(w.Wall.Date)) continue;
                    Add(data, device, deviceUid, s, endOf(w), uid, expandFrom, expandTo, ctx);
                }
                }
                catch (Exception e) when (e is OverflowException || e is ArgumentOutOfRangeException || e is FormatException)
                {
                    // hostile or broken values (a DURATION of centuries, INTERVAL=2147483647, dates near year 9999):
                    // a clear error about this event, never a raw exception that ends the run without saying where
                    throw new EdgeOpsException("InvalidICalendar", "InvalidData",
                        $"{ctx}: a date, duration or recurrence of this event goes beyond what a calendar can hold (years 1 to 9999): {e.Message.Split('\n')[0].Trim()} Fix or remove the event.");
                }
            }
            return data;
        }

        /// <summary>At most this many busy periods from one calendar: a recurrence that expands to more is refused, not ground through.</summary>
        public const int MaxOccurrences = 200000;
        const long MaxDurationDays = 36600;

        static void Add(CalendarData data, string device, string deviceUid, DateTimeOffset s, DateTimeOffset e, string uid, DateTimeOffset from, DateTimeOffset to, string ctx)
        {
            if (data.Reservations.Count >= MaxOccurrences)
                throw new EdgeOpsException("InvalidICalendar", "LimitsExceeded",
                    $"{ctx}: the calendar expands to more than {MaxOccurrences} busy periods in the search range; give a shorter range (-Within, -To) or a calendar with fewer recurrences.");
            if (e <= s) return;          // takes no time: not busy
            if (e < from || s > to) return; // outside the search: irrelevant
            data.Reservations.Add(new LeaseReservation { Device = device, DeviceUid = deviceUid, StartUtc = s, EndUtc = e, Label = uid });
        }

        static string FirstResource(string value)
        {
            if (string.IsNullOrWhiteSpace(value)) return null;
            var first = SplitUnescaped(value, ',').FirstOrDefault()?.Trim();
            return string.IsNullOrEmpty(first) ? null : Unescape(first);
        }

        static string DeviceFromSource(string source)
        {
            try
            {
                var path = Uri.TryCreate(source, UriKind.Absolute, out var u) && !u.IsFile ? u.AbsolutePath : source;
                var name = System.IO.Path.GetFileNameWithoutExtension(path.TrimEnd('/', '\\'));
                return string.IsNullOrEmpty(name) ? source : Uri.UnescapeDataString(name);
            }
            catch (ArgumentException) { return source; }
        }

        // ---------------- values ----------------

        static TimeZoneInfo ZoneOf(Line l, Dictionary<string, Component> vtz, Dictionary<string, TimeZoneInfo> cache, TimeZoneInfo floating, string ctx)
        {
            var tzid = l.Param("TZID")?.Trim();
            if (string.IsNullOrEmpty(tzid)) return floating; // UTC values ('Z') ignore the zone
            if (cache.TryGetValue(tzid, out var cached)) return cached;
            TimeZoneInfo found = null;
            foreach (var candidate in ZoneCandidates(tzid, vtz))
                if (TimeZoneConverter.TZConvert.TryGetTimeZoneInfo(candidate, out var tz)) { found = tz; break; }
            // a zone only the file defines (Outlook: "(UTC+01:00) Amsterdam, Berlin, ..."): its current rules
            if (found == null && vtz.TryGetValue(tzid, out var def)) found = FromVTimeZone(tzid, def, ctx);
            if (found == null)
                throw new EdgeOpsException("UnknownTimeZone", "InvalidData",
                    $"{ctx}: TZID '{tzid}' is not a time zone this machine knows (neither IANA nor Windows name) and the file does not define it. Export the calendar with standard zone names or in UTC.");
            cache[tzid] = found;
            return found;
        }

        static IEnumerable<string> ZoneCandidates(string tzid, Dictionary<string, Component> vtz)
        {
            yield return tzid;
            var location = vtz.TryGetValue(tzid, out var c) ? c.Get("X-LIC-LOCATION")?.Value : null;
            if (!string.IsNullOrEmpty(location)) yield return location.Trim();
            // "/mozilla.org/20050126_1/America/New_York", "/softwarestudio.org/Olson_20011030_5/America/New_York"
            var parts = tzid.Trim('/').Split('/');
            for (int i = 1; i < parts.Length; i++) yield return string.Join("/", parts.Skip(i));
        }

        /// <summary>
        /// A zone from its VTIMEZONE: the latest STANDARD and DAYLIGHT observances, with yearly rules
        /// (BYMONTH with BYDAY like 2SU or -1SU, or BYDAY with a BYMONTHDAY week such as 8..14) become the zone's rule
        /// from their DTSTART on. Earlier history is not kept (bookings are about the present).
        /// </summary>
        static TimeZoneInfo FromVTimeZone(string tzid, Component def, string ctx)
        {
            Component Latest(string name) => def.Children.Where(c => c.Name == name)
                .OrderBy(c => c.Get("DTSTART")?.Value ?? "", StringComparer.Ordinal).LastOrDefault();
            var std = Latest("STANDARD");
            var dst = Latest("DAYLIGHT");
            if (std == null && dst == null) return null;
            TimeSpan Offset(Component c, string prop)
            {
                var v = (c.Get(prop)?.Value ?? "").Trim();
                var m = System.Text.RegularExpressions.Regex.Match(v, @"^([+-])(\d\d)(\d\d)(\d\d)?$");
                if (!m.Success) throw new EdgeOpsException("InvalidICalendar", "InvalidData", $"{ctx}: VTIMEZONE '{tzid}' {c.Name} {prop} '{v}' is not an offset like +0100.");
                var t = new TimeSpan(int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture), int.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture),
                    m.Groups[4].Success ? int.Parse(m.Groups[4].Value, CultureInfo.InvariantCulture) : 0);
                return m.Groups[1].Value == "-" ? -t : t;
            }
            var baseOffset = Offset(std ?? dst, "TZOFFSETTO");
            if (std == null || dst == null)
                return TimeZoneInfo.CreateCustomTimeZone(tzid, baseOffset, tzid, tzid);
            var delta = Offset(dst, "TZOFFSETTO") - baseOffset;
            TimeZoneInfo.TransitionTime Transition(Component c)
            {
                var start = ParseWhen(c.Get("DTSTART")?.Value ?? "", c.Get("DTSTART") ?? new Line { Name = "DTSTART", Value = "" }, TimeZoneInfo.Utc, ctx).Wall;
                var rule = (c.Get("RRULE")?.Value ?? "").ToUpperInvariant();
                var parts = rule.Split(';').Where(p => p.Contains("=")).ToDictionary(p => p.Substring(0, p.IndexOf('=')), p => p.Substring(p.IndexOf('=') + 1));
                if (!parts.TryGetValue("FREQ", out var f) || f != "YEARLY" || !parts.TryGetValue("BYDAY", out var byDay))
                    throw new EdgeOpsException("UnsupportedICalendar", "NotImplemented",
                        $"{ctx}: VTIMEZONE '{tzid}' {c.Name} has no yearly BYDAY rule ('{rule}'); use a standard zone name (IANA or Windows) for TZID.");
                int month = parts.TryGetValue("BYMONTH", out var bm) ? int.Parse(bm, CultureInfo.InvariantCulture) : start.Month;
                var day = (DayOfWeek)Array.IndexOf(DayCodes, byDay.Substring(byDay.Length - 2));
                var ord = byDay.Substring(0, byDay.Length - 2);
                int week;
                if (ord.Length > 0) { int o = int.Parse(ord, CultureInfo.InvariantCulture); week = o < 0 ? 5 : Math.Min(o, 5); }
                else if (parts.TryGetValue("BYMONTHDAY", out var md)) week = Math.Min(5, (md.Split(',').Select(x => int.Parse(x, CultureInfo.InvariantCulture)).Min() + 6) / 7);
                else throw new EdgeOpsException("UnsupportedICalendar", "NotImplemented", $"{ctx}: VTIMEZONE '{tzid}' {c.Name} rule '{rule}' names no week of the month.");
                return TimeZoneInfo.TransitionTime.CreateFloatingDateRule(new DateTime(1, 1, 1).Add(start.TimeOfDay), month, week, day);
            }
            var rules = new[]
            {
                TimeZoneInfo.AdjustmentRule.CreateAdjustmentRule(DateTime.MinValue.Date, DateTime.MaxValue.Date, delta, Transition(dst), Transition(std)),
            };
            return TimeZoneInfo.CreateCustomTimeZone(tzid, baseOffset, tzid, tzid, tzid, rules);
        }

        static When ParseWhen(string value, Line line, TimeZoneInfo zone, string ctx)
        {
            var v = value.Trim();
            bool isDate = string.Equals(line.Param("VALUE"), "DATE", StringComparison.OrdinalIgnoreCase) || (v.Length == 8 && v.All(char.IsDigit));
            if (isDate)
            {
                if (DateTime.TryParseExact(v, "yyyyMMdd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d))
                    return new When { Wall = d, Zone = zone, IsDate = true };
            }
            else
            {
                bool utc = v.EndsWith("Z", StringComparison.OrdinalIgnoreCase);
                var core = utc ? v.Substring(0, v.Length - 1) : v;
                if (DateTime.TryParseExact(core, new[] { "yyyyMMdd'T'HHmmss", "yyyyMMdd'T'HHmm" }, CultureInfo.InvariantCulture, DateTimeStyles.None, out var dt))
                    return new When { Wall = dt, Zone = utc ? TimeZoneInfo.Utc : zone };
            }
            throw new EdgeOpsException("InvalidICalendar", "InvalidData", $"{ctx}: {line.Name} '{value}' is not an iCalendar date or date-time.");
        }

        static (int days, TimeSpan time) ParseDuration(string value, string ctx)
        {
            var v = value.Trim().ToUpperInvariant();
            bool neg = v.StartsWith("-", StringComparison.Ordinal);
            v = v.TrimStart('+', '-');
            if (!v.StartsWith("P", StringComparison.Ordinal)) Bad();
            long days = 0, secs = 0; bool inTime = false; var num = new StringBuilder();
            foreach (char c in v.Substring(1))
            {
                if (char.IsDigit(c)) { num.Append(c); continue; }
                if (c == 'T') { inTime = true; continue; }
                if (num.Length == 0) Bad();
                // checked: a duration is at most ~100 years (36,600 days); more is refused, never wrapped or thrown raw
                if (num.Length > 9 || !long.TryParse(num.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var n)) Bad();
                num.Clear();
                switch (c)
                {
                    case 'W' when !inTime: days += 7 * n; break;
                    case 'D' when !inTime: days += n; break;
                    case 'H' when inTime: secs += 3600L * n; break;
                    case 'M' when inTime: secs += 60L * n; break;
                    case 'S' when inTime: secs += n; break;
                    default: Bad(); break;
                }
                if (days > MaxDurationDays || secs > MaxDurationDays * 86400L) Bad();
            }
            if (num.Length > 0) Bad();
            if (neg) Bad();
            return ((int)days, TimeSpan.FromSeconds(secs));
            void Bad() => throw new EdgeOpsException("InvalidICalendar", "InvalidData", $"{ctx}: DURATION '{value}' is not a positive iCalendar duration of at most {MaxDurationDays} days (e.g. PT1H55M). Correct that line of the calendar.");
        }

        // ---------------- recurrence ----------------

        static readonly string[] DayCodes = { "SU", "MO", "TU", "WE", "TH", "FR", "SA" };

        static IEnumerable<When> Expand(When start, string rule, DateTimeOffset expandFrom, DateTimeOffset expandTo, string ctx)
        {
            var parts = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            foreach (var p in rule.Trim().Split(';').Where(p => p.Length > 0))
            {
                int eq = p.IndexOf('=');
                if (eq <= 0) throw Bad(ctx, rule, $"'{p}' is not NAME=VALUE");
                parts[p.Substring(0, eq).Trim()] = p.Substring(eq + 1).Trim();
            }
            foreach (var k in parts.Keys)
                if (!new[] { "FREQ", "INTERVAL", "COUNT", "UNTIL", "BYDAY", "BYMONTHDAY", "BYMONTH", "WKST" }.Contains(k, StringComparer.OrdinalIgnoreCase))
                    throw new EdgeOpsException("UnsupportedICalendar", "NotImplemented",
                        $"{ctx}: RRULE part {k} is not supported (supported: FREQ, INTERVAL, COUNT, UNTIL, BYDAY, BYMONTHDAY, BYMONTH, WKST). Skipping it could hide a booking, so the calendar is refused; export it with expanded occurrences instead.");
            if (!parts.TryGetValue("FREQ", out var freq)) throw Bad(ctx, rule, "no FREQ");
            freq = freq.ToUpperInvariant();
            if (!new[] { "MINUTELY", "HOURLY", "DAILY", "WEEKLY", "MONTHLY", "YEARLY" }.Contains(freq))
                throw new EdgeOpsException("UnsupportedICalendar", "NotImplemented", $"{ctx}: RRULE FREQ={freq} is not supported.");
            int interval = parts.TryGetValue("INTERVAL", out var iv) ? Int(iv, ctx, rule) : 1;
            if (interval < 1) throw Bad(ctx, rule, "INTERVAL must be at least 1");
            int? count = parts.TryGetValue("COUNT", out var cv) ? Int(cv, ctx, rule) : (int?)null;
            DateTimeOffset? until = null;
            if (parts.TryGetValue("UNTIL", out var uv))
            {
                var ul = new Line { Name = "UNTIL", Value = uv };
                var uw = ParseWhen(uv, ul, start.Zone, ctx);
                // a DATE UNTIL includes that whole day
                until = uw.IsDate ? LeaseTime.FromWallClock(uw.Wall.AddDays(1), start.Zone ?? TimeZoneInfo.Utc).AddTicks(-1) : uw.Utc;
            }
            var byMonth = parts.TryGetValue("BYMONTH", out var bm) ? bm.Split(',').Select(x => Int(x, ctx, rule)).ToList() : null;
            var byMonthDay = parts.TryGetValue("BYMONTHDAY", out var bmd) ? bmd.Split(',').Select(x => Int(x, ctx, rule)).ToList() : null;
            var byDay = parts.TryGetValue("BYDAY", out var bd) ? bd.Split(',').Select(x => ParseByDay(x, ctx, rule)).ToList() : null;
            var wkst = parts.TryGetValue("WKST", out var ws) ? (DayOfWeek)Array.IndexOf(DayCodes, ws.ToUpperInvariant()) : DayOfWeek.Monday;
            if ((int)wkst < 0) throw Bad(ctx, rule, "WKST is not a day");
            if (byMonth != null && byMonth.Any(m => m < 1 || m > 12)) throw Bad(ctx, rule, "BYMONTH out of range");
            if (byMonthDay != null && byMonthDay.Any(d => d == 0 || d < -31 || d > 31)) throw Bad(ctx, rule, "BYMONTHDAY out of range");
            if (byDay != null && byDay.Any(d => d.ordinal != 0) && freq != "MONTHLY" && !(freq == "YEARLY" && byMonth != null))
                throw new EdgeOpsException("UnsupportedICalendar", "NotImplemented", $"{ctx}: RRULE BYDAY with an ordinal (like 1MO) is supported with FREQ=MONTHLY, or YEARLY with BYMONTH.");

            var wall0 = start.Wall;
            var tod = wall0.TimeOfDay;
            int produced = 0;
            // DTSTART is always the first occurrence
            yield return start;
            produced++;
            if (count.HasValue && produced >= count.Value) yield break;
            var stopAt = until.HasValue && until.Value < expandTo ? until.Value : expandTo;
            long startTicks = start.Utc.UtcTicks;
            // without COUNT, periods long before the search can't matter: jump close to it (a day early, for
            // occurrences that began before and still run); with COUNT they must be counted from DTSTART
            long k0 = 0;
            if (!count.HasValue && expandFrom > start.Utc.AddDays(2))
            {
                var gap = expandFrom.AddDays(-1) - start.Utc;
                double step = freq == "MINUTELY" ? interval : freq == "HOURLY" ? 60.0 * interval : freq == "DAILY" ? 1440.0 * interval
                            : freq == "WEEKLY" ? 7 * 1440.0 * interval : 0;
                if (step > 0) k0 = Math.Max(0, (long)(gap.TotalMinutes / step) - 1);
            }
            const long MaxPeriods = 500000;
            for (long k = k0; ; k++)
            {
                if (k - k0 >= MaxPeriods)
                    throw new EdgeOpsException("UnsupportedICalendar", "LimitsExceeded",
                        $"{ctx}: RRULE '{rule}' needs more than {MaxPeriods} steps to reach the search range; give a shorter range or export the calendar with expanded occurrences.");
                if ((freq == "MONTHLY" && wall0.Year + k * interval / 12 > 9990) || (freq == "YEARLY" && wall0.Year + k * interval > 9990)) yield break;
                var candidates = new List<DateTime>();
                var exact = new List<DateTimeOffset>();
                DateTime periodStart;
                switch (freq)
                {
                    case "MINUTELY":
                    case "HOURLY":
                        {
                            // sub-daily steps are exact elapsed time (across a daylight-saving change too), as Ical.Net does
                            var instant = freq == "HOURLY" ? start.Utc.AddHours(k * interval) : start.Utc.AddMinutes(k * interval);
                            var local = LeaseTime.InZone(instant, start.Zone ?? TimeZoneInfo.Utc).DateTime;
                            if (instant > stopAt) yield break;
                            if (DayMatches(local, byMonth, byMonthDay, byDay)) exact.Add(instant);
                            periodStart = DateTime.MinValue;
                            break;
                        }
                    case "DAILY":
                        {
                            periodStart = wall0.Date.AddDays(k * interval);
                            if (DayMatches(periodStart, byMonth, byMonthDay, byDay)) candidates.Add(periodStart + tod);
                            break;
                        }
                    case "WEEKLY":
                        {
                            int back = ((int)wall0.DayOfWeek - (int)wkst + 7) % 7;
                            periodStart = wall0.Date.AddDays(-back + 7 * k * interval);
                            var days = byDay != null ? byDay.Select(d => d.day).ToList() : new List<DayOfWeek> { wall0.DayOfWeek };
                            for (int i = 0; i < 7; i++)
                            {
                                var d = periodStart.AddDays(i);
                                if (days.Contains(d.DayOfWeek) && (byMonth == null || byMonth.Contains(d.Month))) candidates.Add(d + tod);
                            }
                            break;
                        }
                    case "MONTHLY":
                        {
                            periodStart = new DateTime(wall0.Year, wall0.Month, 1).AddMonths((int)(k * interval));
                            if (byMonth == null || byMonth.Contains(periodStart.Month))
                                candidates.AddRange(DaysInMonth(periodStart, byMonthDay, byDay, wall0.Day).Select(d => d + tod));
                            break;
                        }
                    default: // YEARLY
                        {
                            periodStart = new DateTime(wall0.Year, 1, 1).AddYears((int)(k * interval));
                            if (byMonth == null && byMonthDay == null && byDay != null)
                            {
                                for (var d = periodStart; d.Year == periodStart.Year; d = d.AddDays(1))
                                    if (byDay.Any(b => b.day == d.DayOfWeek)) candidates.Add(d + tod);
                            }
                            else
                            {
                                foreach (var m in (byMonth ?? new List<int> { wall0.Month }).Distinct().OrderBy(x => x))
                                {
                                    var month = new DateTime(periodStart.Year, m, 1);
                                    int defaultDay = byMonthDay == null && byDay == null ? wall0.Day : 0;
                                    candidates.AddRange(DaysInMonth(month, byMonthDay, byDay, defaultDay).Select(d => d + tod));
                                }
                            }
                            break;
                        }
                }
                if (periodStart != DateTime.MinValue && LeaseTime.FromWallClock(periodStart, start.Zone ?? TimeZoneInfo.Utc) > stopAt) yield break;
                var whens = exact.Count > 0
                    ? exact.Select(x => new When { Wall = x.UtcDateTime, Zone = TimeZoneInfo.Utc })
                    : candidates.Distinct().OrderBy(x => x).Select(c => new When { Wall = c, Zone = start.Zone, IsDate = start.IsDate });
                foreach (var w in whens)
                {
                    var u = w.Utc;
                    if (u.UtcTicks <= startTicks) continue; // before (or the same as) DTSTART
                    if (until.HasValue && u > until.Value) yield break;
                    if (u > expandTo) yield break;
                    yield return w;
                    produced++;
                    if (count.HasValue && produced >= count.Value) yield break;
                }
            }
        }

        static bool DayMatches(DateTime d, List<int> byMonth, List<int> byMonthDay, List<(int ordinal, DayOfWeek day)> byDay)
        {
            if (byMonth != null && !byMonth.Contains(d.Month)) return false;
            if (byMonthDay != null)
            {
                int dim = DateTime.DaysInMonth(d.Year, d.Month);
                if (!byMonthDay.Any(x => (x > 0 ? x : dim + x + 1) == d.Day)) return false;
            }
            if (byDay != null && !byDay.Any(b => b.day == d.DayOfWeek)) return false;
            return true;
        }

        /// <summary>The days of one month a MONTHLY (or YEARLY per-month) rule yields, in order.</summary>
        static IEnumerable<DateTime> DaysInMonth(DateTime month, List<int> byMonthDay, List<(int ordinal, DayOfWeek day)> byDay, int defaultDay)
        {
            int dim = DateTime.DaysInMonth(month.Year, month.Month);
            var result = new SortedSet<int>();
            if (byMonthDay == null && byDay == null)
            {
                if (defaultDay >= 1 && defaultDay <= dim) result.Add(defaultDay); // a 31st in a 30-day month: skipped (RFC 5545)
                return result.Select(d => new DateTime(month.Year, month.Month, d));
            }
            HashSet<int> fromMonthDay = null, fromDay = null;
            if (byMonthDay != null)
                fromMonthDay = new HashSet<int>(byMonthDay.Select(x => x > 0 ? x : dim + x + 1).Where(x => x >= 1 && x <= dim));
            if (byDay != null)
            {
                fromDay = new HashSet<int>();
                foreach (var (ordinal, day) in byDay)
                {
                    var matches = Enumerable.Range(1, dim).Where(x => new DateTime(month.Year, month.Month, x).DayOfWeek == day).ToList();
                    if (ordinal == 0) foreach (var m in matches) fromDay.Add(m);
                    else
                    {
                        int idx = ordinal > 0 ? ordinal - 1 : matches.Count + ordinal;
                        if (idx >= 0 && idx < matches.Count) fromDay.Add(matches[idx]);
                    }
                }
            }
            IEnumerable<int> days = fromMonthDay != null && fromDay != null ? fromMonthDay.Intersect(fromDay) : (IEnumerable<int>)fromMonthDay ?? fromDay;
            foreach (var d in days) result.Add(d);
            return result.Select(d => new DateTime(month.Year, month.Month, d));
        }

        static (int ordinal, DayOfWeek day) ParseByDay(string s, string ctx, string rule)
        {
            s = s.Trim().ToUpperInvariant();
            if (s.Length < 2) throw Bad(ctx, rule, $"BYDAY '{s}'");
            var code = s.Substring(s.Length - 2);
            int idx = Array.IndexOf(DayCodes, code);
            if (idx < 0) throw Bad(ctx, rule, $"BYDAY '{s}'");
            var num = s.Substring(0, s.Length - 2);
            int ordinal = num.Length == 0 ? 0 : Int(num, ctx, rule);
            return (ordinal, (DayOfWeek)idx);
        }

        static int Int(string s, string ctx, string rule)
        {
            if (int.TryParse(s.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n)) return n;
            throw Bad(ctx, rule, $"'{s}' is not a number");
        }

        static Exception Bad(string ctx, string rule, string why) =>
            new EdgeOpsException("InvalidICalendar", "InvalidData", $"{ctx}: RRULE '{rule}' is malformed: {why}.");

        // ---------------- content lines ----------------

        static Component Read(string text, string source)
        {
            // unfold (a line starting with a space or tab continues the one before), keeping where each began
            var logical = new List<(int Number, StringBuilder Text)>();
            int physical = 0;
            foreach (var raw in text.Replace("\r\n", "\n").Replace("\r", "\n").Split('\n'))
            {
                physical++;
                if ((raw.StartsWith(" ", StringComparison.Ordinal) || raw.StartsWith("\t", StringComparison.Ordinal)) && logical.Count > 0)
                    logical[logical.Count - 1].Text.Append(raw, 1, raw.Length - 1);
                else logical.Add((physical, new StringBuilder(raw)));
            }
            var root = new Component { Name = "" };
            var stack = new Stack<Component>();
            stack.Push(root);
            foreach (var (n, sb) in logical)
            {
                var line = sb.ToString().TrimStart('\uFEFF');
                if (line.Trim().Length == 0) continue;
                var l = ParseLine(line);
                if (l == null) continue; // not a content line: ignored as RFC 5545 readers do
                l.Number = n;
                if (l.Name.Equals("BEGIN", StringComparison.OrdinalIgnoreCase))
                {
                    var c = new Component { Name = l.Value.Trim().ToUpperInvariant(), Number = n };
                    stack.Peek().Children.Add(c);
                    stack.Push(c);
                }
                else if (l.Name.Equals("END", StringComparison.OrdinalIgnoreCase))
                {
                    if (stack.Count == 1 || !stack.Peek().Name.Equals(l.Value.Trim(), StringComparison.OrdinalIgnoreCase))
                        throw new EdgeOpsException("InvalidICalendar", "InvalidData", $"{source}: line {n}: END:{l.Value} does not close the open component.");
                    stack.Pop();
                }
                else stack.Peek().Lines.Add(l);
            }
            if (stack.Count != 1)
                throw new EdgeOpsException("InvalidICalendar", "InvalidData", $"{source}: BEGIN:{stack.Peek().Name} is never closed (truncated file?).");
            return root;
        }

        static Line ParseLine(string s)
        {
            int i = 0;
            while (i < s.Length && s[i] != ';' && s[i] != ':') i++;
            if (i == 0 || i >= s.Length) return null;
            var l = new Line { Name = s.Substring(0, i).Trim().ToUpperInvariant() };
            while (i < s.Length && s[i] == ';')
            {
                i++;
                int eq = s.IndexOf('=', i);
                if (eq < 0) return null;
                var pname = s.Substring(i, eq - i).Trim();
                i = eq + 1;
                var val = new StringBuilder();
                bool quoted = false;
                while (i < s.Length)
                {
                    char c = s[i];
                    if (c == '"') { quoted = !quoted; i++; continue; }
                    if (!quoted && (c == ';' || c == ':')) break;
                    val.Append(c); i++;
                }
                l.Params[pname] = val.ToString();
            }
            if (i >= s.Length || s[i] != ':') return null;
            l.Value = s.Substring(i + 1);
            return l;
        }

        static IEnumerable<string> SplitUnescaped(string s, char sep)
        {
            var sb = new StringBuilder();
            for (int i = 0; i < s.Length; i++)
            {
                if (s[i] == '\\' && i + 1 < s.Length) { sb.Append(s[i]).Append(s[i + 1]); i++; continue; }
                if (s[i] == sep) { yield return sb.ToString(); sb.Clear(); continue; }
                sb.Append(s[i]);
            }
            yield return sb.ToString();
        }

        static string Unescape(string s) =>
            s.Replace("\\n", "\n").Replace("\\N", "\n").Replace("\\,", ",").Replace("\\;", ";").Replace("\\\\", "\\");
    }
}
