using System;
using System.Linq;
using System.Management.Automation;
using System.Net.Http;
using EdgeOps.Leases;

namespace EdgeOps.Commands
{
    /// <summary>
    /// Creates a Blazar lease for a window (piped from Get-LeaseWindow): a device reservation by resource
    /// properties (uid, name, or machine_name), named by -Name. Idempotent: a lease of that name is returned, not
    /// duplicated.
    /// </summary>
    [Cmdlet(VerbsCommon.New, "EdgeLease", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
    [OutputType(typeof(EdgeLease))]
    public sealed class NewEdgeLeaseCommand : LeaseCmdletBase, IDisposable
    {
        [Parameter(Mandatory = true, Position = 0)]
        [ValidateNotNullOrEmpty]
        [Alias("LeaseName")]
        public string Name { get; set; }

        /// <summary>Start (UTC, to the minute). DateTime/DateTimeOffset, or text (without an offset: UTC).</summary>
        [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true)]
        [Alias("Start")]
        public object StartUtc { get; set; }

        [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true)]
        [Alias("End")]
        public object EndUtc { get; set; }

        /// <summary>Device name(s), comma-separated for a window free on several devices (-AllOf).</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)]
        public string Device { get; set; }

        [Parameter(ValueFromPipelineByPropertyName = true)]
        public string DeviceUid { get; set; }

        [Parameter(ValueFromPipelineByPropertyName = true)]
        public string MachineName { get; set; }

        /// <summary>How many devices -Device/-DeviceUid list (from a window); 1: they are one name even if it has a comma.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)]
        [ValidateRange(1, 1000)]
        public int DeviceCount { get; set; }

        /// <summary>The Blazar endpoint; bound from a window's Calendar. Not an http(s) URL: Keystone's catalog is used.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)]
        [Alias("Endpoint")]
        public string Calendar { get; set; }

        object _http;   // HttpClient, kept for every piped window
        object _client; // BlazarClient
        string _clientFor;

        protected override void ProcessRecord()
        {
            try { Create(); }
            catch (EdgeOpsException e) { ThrowEngineError(e, Name); }
        }

        void Create()
        {
            var start = LeaseTime.ToUtc(Unwrap(StartUtc), TimeZoneInfo.Utc, "-StartUtc");
            var end = LeaseTime.ToUtc(Unwrap(EndUtc), TimeZoneInfo.Utc, "-EndUtc");
            if (start.Ticks % TimeSpan.TicksPerMinute != 0 || end.Ticks % TimeSpan.TicksPerMinute != 0)
                throw new EdgeOpsException("LeaseTimeNotWholeMinute", "InvalidArgument",
                    $"Lease '{Name}': Blazar takes times to the minute; {start:u} to {end:u} has seconds. Use a window from Get-LeaseWindow, or whole minutes.");
            if (end <= start)
                throw new EdgeOpsException("LeaseTimeInverted", "InvalidArgument", $"Lease '{Name}': -EndUtc ({end:u}) must be later than -StartUtc ({start:u}): give an end after the start.");
            var request = new LeaseRequest
            {
                Name = Name, StartUtc = start, EndUtc = end, ResourceType = ResourceType,
                DeviceUids = Split(DeviceUid, "DeviceUid"), DeviceNames = Split(Device, "Device"), MachineName = MachineName,
            };
            var props = request.ResourceProperties(); // validates that something is named
            var target = $"{Name}: {string.Join(" + ", props)} from {LeaseTime.FormatBlazarDate(start)} to {LeaseTime.FormatBlazarDate(end)} UTC";
            if (!ShouldProcess(target, "Create Blazar lease")) return;

            var keystone = KeystoneLogin()
                ?? throw new EdgeOpsException("AuthUrlMissing", "InvalidArgument",
                    $"Lease '{Name}': -AuthUrl (Keystone v3) and -Credential are needed to create a lease through Blazar.");
            var endpoint = CalendarLoader.IsUrl(Calendar) && !Calendar.Contains("; ") ? Calendar : null;
            if (endpoint == null && !string.IsNullOrEmpty(Calendar)) WriteVerbose($"'{Calendar}' is not a Blazar URL: using the reservation endpoint of Keystone's catalog.");
            var client = Client(keystone, endpoint);
            var result = RunEngine(async ct =>
            {
                var existing = await client.FindLeaseAsync(Name, ct).ConfigureAwait(false);
                if (existing != null) return (lease: existing, created: false);
                return await client.CreateLeaseAsync(request, ct).ConfigureAwait(false);
            });
            var lease = client.ToResult(result.lease, result.created, request);
            if (!result.created)
            {
                if (lease.StartUtc != start || lease.EndUtc != end)
                    WriteWarning($"A lease named '{Name}' already exists ({lease.Id}, {lease.StartUtc:u} to {lease.EndUtc:u}, {lease.Status}); it is returned unchanged, not the window asked for ({start:u} to {end:u}). Choose another -Name for a second lease.");
                else WriteVerbose($"A lease named '{Name}' already exists ({lease.Id}); returned, not duplicated.");
            }
            WriteObject(lease);
        }

        BlazarClient Client(KeystoneCredentials keystone, string endpoint)
        {
            var key = keystone.AuthUrl + "|" + endpoint;
            if (_client != null && _clientFor == key) return (BlazarClient)_client;
            if (_http == null) _http = Http.Create(null, TimeSpan.FromSeconds(TimeoutSec));
            var http = (HttpClient)_http;
            _client = RunEngine(ct => BlazarClient.ConnectAsync(http, keystone, endpoint, QueueVerbose, ct));
            _clientFor = key;
            return (BlazarClient)_client;
        }

        /// <summary>An -AllOf window lists its devices comma-separated; DeviceCount says how many there are.</summary>
        string[] Split(string s, string parameter)
        {
            if (string.IsNullOrWhiteSpace(s)) return Array.Empty<string>();
            if (DeviceCount == 1) return new[] { s.Trim() };
            var parts = s.Split(',').Select(x => x.Trim()).Where(x => x.Length > 0).ToArray();
            if (DeviceCount > 1 && parts.Length != DeviceCount)
                throw new EdgeOpsException("LeaseDeviceCountMismatch", "InvalidArgument",
                    $"Lease '{Name}': -{parameter} '{s}' does not split into the {DeviceCount} devices -DeviceCount says (a name with a comma?). Give -DeviceUid with the uids instead.");
            return parts;
        }

        protected override void EndProcessing() => Dispose();

        public void Dispose()
        {
            (_http as IDisposable)?.Dispose();
            _http = null;
            _client = null;
        }
    }
}
