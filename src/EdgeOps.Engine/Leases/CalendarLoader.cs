using System;
using System.IO;
using System.Net.Http;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace EdgeOps.Leases
{
    /// <summary>How to reach and read calendars.</summary>
    public sealed class CalendarOptions
    {
        /// <summary>Keystone login; with it an http(s) calendar is a Blazar endpoint (or, when none is given, the catalog's).</summary>
        public KeystoneCredentials Keystone { get; set; }
        /// <summary>"Device" (CHI@Edge) or "Host" (bare-metal sites).</summary>
        public string ResourceType { get; set; } = "Device";
        /// <summary>The zone for iCalendar floating times (no Z, no TZID): the observer's zone.</summary>
        public TimeZoneInfo FloatingZone { get; set; } = TimeZoneInfo.Utc;
        /// <summary>Recurring iCalendar events are expanded up to here.</summary>
        public DateTimeOffset ExpandFrom { get; set; } = DateTimeOffset.MinValue;
        public DateTimeOffset ExpandTo { get; set; } = DateTimeOffset.MaxValue;
        public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(100);
        public Action<string> Verbose { get; set; }
        /// <summary>Tests hand in their own handler; null: a plain HttpClientHandler.</summary>
        public HttpMessageHandler Handler { get; set; }
    }

    /// <summary>Turns a -Calendar value into devices and reservations: Blazar endpoint, .ics file or URL, or CSV file.</summary>
    public static class CalendarLoader
    {
        public static bool IsUrl(string s) =>
            s != null && (s.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || s.StartsWith("https://", StringComparison.OrdinalIgnoreCase)
                          || s.StartsWith("webcal://", StringComparison.OrdinalIgnoreCase) || s.StartsWith("webcals://", StringComparison.OrdinalIgnoreCase));

        /// <summary>Whether this value, with these options, means a Blazar endpoint.</summary>
        public static bool IsBlazar(string calendar, CalendarOptions options)
        {
            if (options.Keystone == null) return false;
            if (string.IsNullOrEmpty(calendar)) return true;
            if (!IsUrl(calendar) || calendar.StartsWith("webcal", StringComparison.OrdinalIgnoreCase)) return false;
            if (!Uri.TryCreate(calendar, UriKind.Absolute, out var u))
                throw new EdgeOpsException("InvalidCalendarUrl", "InvalidArgument", $"-Calendar '{EdgeOps.Storage.HttpStore.Redact(calendar)}' is not a valid URL.");
            return !u.AbsolutePath.EndsWith(".ics", StringComparison.OrdinalIgnoreCase);
        }

        public static async Task<CalendarData> LoadAsync(string calendar, CalendarOptions options, CancellationToken ct)
        {
            if (IsBlazar(calendar, options))
            {
                using (var http = Http.Create(options))
                {
                    var blazar = await BlazarClient.ConnectAsync(http, options.Keystone, calendar, options.Verbose, ct).ConfigureAwait(false);
                    return await blazar.LoadCalendarAsync(options.ResourceType, ct).ConfigureAwait(false);
                }
            }
            if (string.IsNullOrEmpty(calendar))
                throw new EdgeOpsException("CalendarMissing", "InvalidArgument",
                    "No calendar: give -Calendar (a Blazar endpoint with -AuthUrl and -Credential, an .ics file or URL, or a CSV file), or pipe reservation objects (Device, Start, End).");
            if (IsUrl(calendar))
            {
                var url = calendar.StartsWith("webcal", StringComparison.OrdinalIgnoreCase) ? "https" + calendar.Substring(6) : calendar;
                if (url.StartsWith("httpss", StringComparison.OrdinalIgnoreCase)) url = "https" + url.Substring(6);
                if (!Uri.TryCreate(url, UriKind.Absolute, out var feed))
                    throw new EdgeOpsException("InvalidCalendarUrl", "InvalidArgument", $"-Calendar '{EdgeOps.Storage.HttpStore.Redact(calendar)}' is not a valid URL.");
                string text;
                using (var http = Http.Create(options))
                    text = await Http.GetTextAsync(http, feed, "the iCalendar feed", ct).ConfigureAwait(false);
                if (!LooksLikeICalendar(text))
                    throw new EdgeOpsException("CalendarNotICalendar", "InvalidData",
                        $"-Calendar '{EdgeOps.Storage.HttpStore.Redact(calendar)}' did not return an iCalendar feed (no BEGIN:VCALENDAR): check the URL. For a Blazar endpoint give -AuthUrl and -Credential too.");
                options.Verbose?.Invoke($"Read {text.Length} characters of iCalendar from {EdgeOps.Storage.HttpStore.Redact(calendar)}.");
                // the source shown in every message and result: never the feed's token (query string or user info)
                return ICalendarReader.Parse(text, EdgeOps.Storage.HttpStore.Redact(calendar), options.FloatingZone, options.ExpandFrom, options.ExpandTo);
            }
            if (!File.Exists(calendar))
                throw new EdgeOpsException("CalendarNotFound", "ObjectNotFound",
                    $"-Calendar '{EdgeOps.Storage.HttpStore.Redact(calendar)}': no such file. Give an .ics or .csv file, an iCalendar URL, or a Blazar endpoint URL with -AuthUrl.");
            if (new FileInfo(calendar).Length > Http.MaxBodyBytes)
                throw new EdgeOpsException("CalendarTooLarge", "LimitsExceeded", $"-Calendar '{EdgeOps.Storage.HttpStore.Redact(calendar)}' is larger than {Http.MaxBodyBytes >> 20} MiB: refused. Give a smaller calendar file (only the weeks you search).");
            var content = File.ReadAllText(calendar, Encoding.UTF8);
            if (LooksLikeICalendar(content))
            {
                options.Verbose?.Invoke($"Reading iCalendar file {calendar}.");
                return ICalendarReader.Parse(content, calendar, options.FloatingZone, options.ExpandFrom, options.ExpandTo);
            }
            options.Verbose?.Invoke($"Reading reservation CSV {calendar}.");
            return ReservationCsv.Parse(content, calendar, TimeZoneInfo.Utc);
        }

        static bool LooksLikeICalendar(string text) =>
            text != null && text.TrimStart('\uFEFF', ' ', '\r', '\n', '\t').StartsWith("BEGIN:VCALENDAR", StringComparison.OrdinalIgnoreCase);
    }
}
