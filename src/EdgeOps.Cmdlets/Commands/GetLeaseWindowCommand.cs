using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Threading.Tasks;
using EdgeOps.Leases;

namespace EdgeOps.Commands
{
    /// <summary>
    /// Every free reservation window on shared testbed devices, earliest first: aligned starts, an end guard, the
    /// policy's longest lease, one device or all of several at once; from Blazar, an iCalendar file or feed, a CSV,
    /// or reservation objects piped in (Device, Start, End, DeviceUid).
    /// </summary>
    [Cmdlet(VerbsCommon.Get, "LeaseWindow", DefaultParameterSetName = "Within")]
    [OutputType(typeof(LeaseWindow))]
    public sealed class GetLeaseWindowCommand : LeaseCmdletBase
    {
        [Parameter(Position = 0)]
        [Alias("Endpoint", "Path")]
        public string[] Calendar { get; set; }

        /// <summary>Reservation objects (Device, Start, End; DeviceUid, MachineName optional), e.g. from Import-Csv.</summary>
        [Parameter(ValueFromPipeline = true)]
        public PSObject InputObject { get; set; }

        [Parameter] public string Duration { get; set; } = "2h";

        [Parameter(ParameterSetName = "Within")] public string Within { get; set; } = "7d";

        /// <summary>Start of the search (default now). A DateTime, DateTimeOffset or text; text without an offset is UTC.</summary>
        [Parameter] public object From { get; set; }

        [Parameter(ParameterSetName = "Range", Mandatory = true)] public object To { get; set; }

        [Parameter] public string Align { get; set; } = "1h";
        [Parameter] public string EndGuard { get; set; } = "5m";
        [Parameter] public string MaxLeaseDuration { get; set; } = "7d";

        [Parameter] [SupportsWildcards] [Alias("DeviceName", "Uid")] public string[] Device { get; set; }
        [Parameter] [SupportsWildcards] public string[] MachineName { get; set; }
        [Parameter] public SwitchParameter AllOf { get; set; }
        [Parameter] [ValidateRange(1, int.MaxValue)] public int First { get; set; }

        /// <summary>IANA or Windows zone for StartLocal/EndLocal (and iCalendar floating times); default the local zone.</summary>
        [Parameter, ArgumentCompleter(typeof(TimeZoneCompleter))] public string TimeZone { get; set; }

        /// <summary>Also save what was read (every device and booking) as an .ics file, for planning offline later.</summary>
        [Parameter] public string SaveCalendar { get; set; }

        readonly List<object> _piped = new List<object>(); // LeaseReservation (engine type: never a field's declared type)
        int _pipedCount;

        protected override void ProcessRecord()
        {
            if (InputObject == null) return;
            _pipedCount++;
            try { _piped.Add(FromObject(InputObject, _pipedCount)); }
            catch (EdgeOpsException e) { ThrowEngineError(e, InputObject); }
        }

        static object FromObject(PSObject o, int n)
        {
            if (o.BaseObject is LeaseReservation r) return r;
            object Prop(params string[] names)
            {
                foreach (var name in names)
                {
                    var p = o.Properties[name];
                    if (p != null && p.Value != null) return Unwrap(p.Value);
                }
                return null;
            }
            var what = $"Reservation object {n}";
            var device = Prop("Device", "ComputerName", "DeviceName")?.ToString();
            var uid = Prop("DeviceUid", "Uid")?.ToString();
            var start = Prop("Start", "StartUtc", "start_date", "StartTime");
            var end = Prop("End", "EndUtc", "end_date", "EndTime");
            if ((string.IsNullOrEmpty(device) && string.IsNullOrEmpty(uid)) || start == null || end == null)
                throw new EdgeOpsException("InvalidReservationObject", "InvalidArgument",
                    $"{what} has no {(start == null ? "Start" : end == null ? "End" : "Device")} property. Pipe objects with Device (or DeviceUid), Start and End, such as Import-Csv of a reservations file.");
            return new LeaseReservation
            {
                Device = string.IsNullOrEmpty(device) ? null : device, DeviceUid = string.IsNullOrEmpty(uid) ? null : uid,
                MachineName = Prop("MachineName")?.ToString(),
                StartUtc = LeaseTime.ToUtc(start, TimeZoneInfo.Utc, what + " Start"),
                EndUtc = LeaseTime.ToUtc(end, TimeZoneInfo.Utc, what + " End"),
                Label = what,
            };
        }

        protected override void EndProcessing()
        {
            try { Search(); }
            catch (EdgeOpsException e) { ThrowEngineError(e, Calendar == null ? null : string.Join(", ", Calendar)); }
        }

        void Search()
        {
            var zone = LeaseTime.ResolveZone(TimeZone);
            var rules = new WindowRules
            {
                Duration = Durations.Parse(Duration, "Duration"),
                EndGuard = Durations.Parse(EndGuard, "EndGuard"),
                Align = Durations.Parse(Align, "Align"),
                MaxLease = Durations.Parse(MaxLeaseDuration, "MaxLeaseDuration"),
            };
            rules.From = From == null ? DateTimeOffset.UtcNow : LeaseTime.ToUtc(Unwrap(From), TimeZoneInfo.Utc, "-From");
            rules.To = To != null ? LeaseTime.ToUtc(Unwrap(To), TimeZoneInfo.Utc, "-To") : rules.From + Durations.Parse(Within, "Within");
            rules.Validate();

            var options = new CalendarOptions
            {
                Keystone = KeystoneLogin(), ResourceType = ResourceType, FloatingZone = zone,
                ExpandFrom = rules.From - rules.MaxLease - TimeSpan.FromDays(1), ExpandTo = rules.To,
                Timeout = TimeSpan.FromSeconds(TimeoutSec), Verbose = QueueVerbose,
            };
            if (options.Keystone == null && Credential != null)
                throw new EdgeOpsException("AuthUrlMissing", "InvalidArgument",
                    "-Credential was given without -AuthUrl: give the Keystone v3 URL of the testbed (e.g. https://chi.edge.chameleoncloud.org:5000/v3), or set OS_AUTH_URL.");
            var calendars = Calendar ?? Array.Empty<string>();
            if (calendars.Length == 0 && _piped.Count == 0 && options.Keystone == null)
                throw new EdgeOpsException("CalendarMissing", "InvalidArgument",
                    "No calendar: give -Calendar (a Blazar endpoint with -AuthUrl and -Credential, an .ics file or URL, or a CSV file), or pipe reservation objects (Device, Start, End).");
            var paths = calendars.Select(c => CalendarLoader.IsUrl(c) ? c : GetUnresolvedProviderPathFromPSPath(c)).ToList();
            if (paths.Count == 0 && options.Keystone != null && _piped.Count == 0) paths.Add(null); // Blazar from the catalog

            var data = new CalendarData();
            foreach (var path in paths)
                data.Merge(RunEngine(ct => CalendarLoader.LoadAsync(path, options, ct)));
            if (_piped.Count > 0)
            {
                var piped = new CalendarData { Source = "pipeline" };
                piped.Reservations.AddRange(_piped.Cast<LeaseReservation>());
                data.Merge(piped);
            }
            if (!string.IsNullOrEmpty(SaveCalendar))
            {
                var path = GetUnresolvedProviderPathFromPSPath(SaveCalendar);
                try { System.IO.File.WriteAllText(path, ICalendarWriter.Write(data, DateTimeOffset.UtcNow), new System.Text.UTF8Encoding(false)); }
                catch (Exception e) when (e is System.IO.IOException || e is UnauthorizedAccessException)
                {
                    throw new EdgeOpsException("SaveCalendarFailed", "WriteError", $"-SaveCalendar '{path}': {e.Message}", e);
                }
                WriteVerbose($"Saved {data.Devices.Count} device(s) and {data.Reservations.Count} booking(s) to {path}.");
            }
            var query = new LeaseQuery
            {
                Rules = rules, Devices = Device ?? Array.Empty<string>(), MachineNames = MachineName ?? Array.Empty<string>(),
                AllOf = AllOf, First = First, Zone = zone, ZoneName = LeaseTime.ZoneName(TimeZone, zone),
            };
            var windows = LeasePlanner.Find(data, query, WriteVerbose);
            if (windows.Count == 0)
                WriteWarning($"No free {Duration} block ({rules.WindowLength:hh\\:mm} windows, starts every {Align}, {EndGuard} end guard) between {rules.From:yyyy-MM-dd HH:mm} and {rules.To:yyyy-MM-dd HH:mm} UTC. Search further (-Within), ask for less (-Duration), or include more devices.");
            foreach (var w in windows) WriteObject(w);
        }
    }
}
