using System;
using System.Globalization;
using System.Linq;
using System.Text;

namespace EdgeOps.Leases
{
    /// <summary>
    /// Saves a calendar (e.g. what Blazar lists) as iCalendar for offline planning: one VEVENT per booking, in UTC,
    /// with RESOURCES naming the device; every device, booked or not, in an X-EDGEOPS-DEVICE line (name, uid,
    /// machine name), so Get-LeaseWindow over the file knows the same devices as over the endpoint.
    /// </summary>
    public static class ICalendarWriter
    {
        public static string Write(CalendarData data, DateTimeOffset savedAt)
        {
            var sb = new StringBuilder();
            void Line(string s) => sb.Append(Fold(s)).Append("\r\n");
            string Utc(DateTimeOffset t) => t.ToUniversalTime().ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
            Line("BEGIN:VCALENDAR");
            Line("VERSION:2.0");
            Line("PRODID:-//EdgeOps//Get-LeaseWindow//EN");
            Line("CALSCALE:GREGORIAN");
            Line("X-WR-CALNAME:" + Text("Bookings from " + (data.Source ?? "EdgeOps")));
            Line("X-EDGEOPS-SOURCE:" + Text(data.Source ?? ""));
            if (data.DevicesAuthoritative) Line("X-EDGEOPS-DEVICES-COMPLETE:TRUE");
            foreach (var d in data.Devices)
                Line("X-EDGEOPS-DEVICE:" + string.Join(",", new[] { d.Name, d.Uid, d.MachineName, d.Reservable ? "" : "unreservable" }.Select(x => Text(x ?? ""))));
            int n = 0;
            foreach (var r in data.Reservations.OrderBy(r => r.StartUtc))
            {
                n++;
                Line("BEGIN:VEVENT");
                Line("UID:" + Text((r.Label ?? r.LeaseId ?? "booking-" + n.ToString(CultureInfo.InvariantCulture)) + "@edgeops"));
                Line("DTSTAMP:" + Utc(savedAt));
                Line("DTSTART:" + Utc(r.StartUtc));
                Line("DTEND:" + Utc(r.EndUtc));
                Line("SUMMARY:" + Text("Reserved: " + (r.Device ?? r.DeviceUid)));
                Line("RESOURCES:" + Text(r.Device ?? r.DeviceUid ?? ""));
                if (!string.IsNullOrEmpty(r.DeviceUid)) Line("X-EDGEOPS-DEVICE-UID:" + Text(r.DeviceUid));
                if (!string.IsNullOrEmpty(r.LeaseId)) Line("X-EDGEOPS-LEASE-ID:" + Text(r.LeaseId));
                Line("END:VEVENT");
            }
            Line("END:VCALENDAR");
            return sb.ToString();
        }

        /// <summary>RFC 5545 TEXT: backslash, semicolon, comma and line breaks escaped.</summary>
        public static string Text(string s) =>
            s.Replace("\\", "\\\\").Replace(";", "\\;").Replace(",", "\\,").Replace("\r\n", "\\n").Replace("\n", "\\n").Replace("\r", "\\n");

        /// <summary>Lines longer than 75 octets are folded (CRLF + space), never inside a UTF-8 sequence.</summary>
        static string Fold(string line)
        {
            var sb = new StringBuilder();
            int octets = 0;
            for (int i = 0; i < line.Length; i++)
            {
                int len = char.IsHighSurrogate(line[i]) && i + 1 < line.Length ? 4 : Encoding.UTF8.GetByteCount(line[i].ToString());
                if (octets + len > 75) { sb.Append("\r\n "); octets = 1; }
                sb.Append(line[i]);
                if (len == 4) sb.Append(line[++i]);
                octets += len;
            }
            return sb.ToString();
        }
    }
}
