using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace EdgeOps.Leases
{
    /// <summary>What New-EdgeLease asks Blazar for.</summary>
    public sealed class LeaseRequest
    {
        public string Name { get; set; }
        public DateTimeOffset StartUtc { get; set; }
        public DateTimeOffset EndUtc { get; set; }
        /// <summary>"Device" or "Host".</summary>
        public string ResourceType { get; set; } = "Device";
        /// <summary>Device uids (one reservation each); else names; else a machine name (any one device of that model).</summary>
        public IList<string> DeviceUids { get; set; } = new List<string>();
        public IList<string> DeviceNames { get; set; } = new List<string>();
        public string MachineName { get; set; }

        /// <summary>One Blazar resource_properties filter per reservation, e.g. ["==", "$uid", "..."].</summary>
        public List<string> ResourceProperties()
        {
            string Filter(string prop, string value) => Json.WriteList(new[] { "==", "$" + prop, value });
            var uids = (DeviceUids ?? new List<string>()).Where(u => !string.IsNullOrWhiteSpace(u)).ToList();
            if (uids.Count > 0) return uids.Select(u => Filter("uid", u.Trim())).ToList();
            var names = (DeviceNames ?? new List<string>()).Where(u => !string.IsNullOrWhiteSpace(u)).ToList();
            var nameProp = string.Equals(ResourceType, "Host", StringComparison.OrdinalIgnoreCase) ? "node_name" : "name";
            if (names.Count > 0) return names.Select(n => Filter(nameProp, n.Trim())).ToList();
            if (!string.IsNullOrWhiteSpace(MachineName))
                return new List<string> { Filter(string.Equals(ResourceType, "Host", StringComparison.OrdinalIgnoreCase) ? "node_type" : "machine_name", MachineName.Trim()) };
            throw new EdgeOpsException("LeaseDeviceMissing", "InvalidArgument",
                $"Lease '{Name}': say what to reserve: pipe a window from Get-LeaseWindow (Device, DeviceUid), or give -DeviceUid, -Device or -MachineName.");
        }

        public string Body()
        {
            bool host = string.Equals(ResourceType, "Host", StringComparison.OrdinalIgnoreCase);
            var reservations = ResourceProperties().Select(p =>
            {
                var r = new Dictionary<string, object>
                {
                    ["resource_type"] = host ? "physical:host" : "device",
                    ["min"] = 1,
                    ["max"] = 1,
                };
                if (host) r["hypervisor_properties"] = "";
                r["resource_properties"] = p;
                return (object)r;
            }).ToList();
            return Json.Write(new Dictionary<string, object>
            {
                ["name"] = Name,
                ["start_date"] = LeaseTime.FormatBlazarDate(StartUtc),
                ["end_date"] = LeaseTime.FormatBlazarDate(EndUtc),
                ["reservations"] = reservations,
                ["events"] = new List<object>(),
            });
        }
    }

    /// <summary>Blazar's REST API v1, with a Keystone token in X-Auth-Token.</summary>
    public sealed class BlazarClient
    {
        readonly HttpClient _http;
        readonly Uri _base; // ends with /v1/
        readonly string _token;
        readonly Action<string> _verbose;

        public string Endpoint => _base.GetLeftPart(UriPartial.Path).TrimEnd('/');
        public string ProjectId { get; }

        public BlazarClient(HttpClient http, string endpoint, string token, string projectId = null, Action<string> verbose = null)
        {
            _http = http;
            _base = Normalize(endpoint);
            _token = token;
            _verbose = verbose;
            ProjectId = projectId;
        }

        /// <summary>The base URL with /v1/ (catalog entries and users give it with or without).</summary>
        public static Uri Normalize(string endpoint)
        {
            if (!Uri.TryCreate((endpoint ?? "").Trim(), UriKind.Absolute, out var u) || (u.Scheme != "http" && u.Scheme != "https"))
                throw new EdgeOpsException("InvalidBlazarEndpoint", "InvalidArgument",
                    $"'{endpoint}' is not an http(s) URL of a Blazar (reservation) endpoint, such as https://chi.edge.chameleoncloud.org:1234/v1.");
            var path = u.AbsolutePath.TrimEnd('/');
            if (!path.EndsWith("/v1", StringComparison.OrdinalIgnoreCase)) path += "/v1";
            return new UriBuilder(u) { Path = path + "/", Query = "" }.Uri;
        }

        /// <summary>Logs in to Keystone, then uses <paramref name="endpoint"/> or the catalog's reservation endpoint.</summary>
        public static async Task<BlazarClient> ConnectAsync(HttpClient http, KeystoneCredentials creds, string endpoint, Action<string> verbose, CancellationToken ct)
        {
            EdgeOps.Storage.InsecureHttp.Check(endpoint, creds.AllowInsecureHttp, "-Calendar (the Blazar endpoint)", "the token sent and the reservations returned");
            var token = await Keystone.AuthenticateAsync(http, creds, verbose, ct).ConfigureAwait(false);
            if (string.IsNullOrEmpty(endpoint))
            {
                endpoint = token.FindEndpoint("reservation", creds.Region);
                if (endpoint == null)
                    throw new EdgeOpsException("BlazarEndpointNotFound", "ObjectNotFound",
                        $"Keystone's catalog at {creds.AuthUrl} has no public 'reservation' (Blazar) endpoint{(string.IsNullOrEmpty(creds.Region) ? "" : " in region " + creds.Region)}. Give the Blazar URL with -Calendar, or the right -Region.");
                verbose?.Invoke($"Blazar endpoint from the catalog: {endpoint}");
                EdgeOps.Storage.InsecureHttp.Check(endpoint, creds.AllowInsecureHttp, "Keystone's reservation endpoint", "the token sent and the reservations returned");
            }
            return new BlazarClient(http, endpoint, token.Value, token.ProjectId, verbose);
        }

        static string Collection(string resourceType) =>
            string.Equals(resourceType, "Host", StringComparison.OrdinalIgnoreCase) ? "os-hosts" : "devices";

        /// <summary>Every device (or host) and its allocations: GET /v1/devices and /v1/devices/allocations.</summary>
        public async Task<CalendarData> LoadCalendarAsync(string resourceType, CancellationToken ct)
        {
            bool host = string.Equals(resourceType, "Host", StringComparison.OrdinalIgnoreCase);
            var coll = Collection(resourceType);
            var data = new CalendarData { Source = Endpoint, DevicesAuthoritative = true };
            var list = await GetJsonAsync(coll, ct).ConfigureAwait(false);
            var byId = new Dictionary<string, LeaseDevice>(StringComparer.OrdinalIgnoreCase);
            foreach (var item in Json.Arr(list, host ? "hosts" : "devices") ?? new List<object>())
            {
                var d = new LeaseDevice
                {
                    Id = Json.Str(item, "id"),
                    Uid = Json.Str(item, "uid"),
                    Name = host ? (Json.Str(item, "node_name") ?? Json.Str(item, "hypervisor_hostname")) : Json.Str(item, "name"),
                    MachineName = host ? Json.Str(item, "node_type") : (Json.Str(item, "machine_name") ?? Json.Str(item, "model")),
                    Reservable = Json.Bool(item, "reservable") ?? true,
                };
                if (item is IDictionary<string, object> props)
                    foreach (var kv in props)
                        if (kv.Value is string || kv.Value is double || kv.Value is bool) d.Properties[kv.Key] = Json.Str(item, kv.Key);
                if (d.Name == null) d.Name = d.Uid ?? d.Id;
                data.Devices.Add(d);
                if (d.Id != null) byId[d.Id] = d;
            }
            var alloc = await GetJsonAsync(coll + "/allocations", ct).ConfigureAwait(false);
            foreach (var a in Json.Arr(alloc, "allocations") ?? new List<object>())
            {
                var rid = Json.Str(a, "resource_id");
                byId.TryGetValue(rid ?? "", out var dev);
                foreach (var r in Json.Arr(a, "reservations") ?? new List<object>())
                {
                    var s = Json.Str(r, "start_date");
                    var e = Json.Str(r, "end_date");
                    if (s == null || e == null)
                        throw new EdgeOpsException("BlazarAllocationsWithoutDates", "InvalidResult",
                            $"Blazar at {Endpoint} lists allocations without start_date/end_date (an older Blazar): free windows can't be computed from it. Export the lease calendar as .ics or CSV instead.");
                    data.Reservations.Add(new LeaseReservation
                    {
                        Device = dev?.Name ?? rid, DeviceUid = dev?.Uid,
                        StartUtc = LeaseTime.ParseBlazarDate(s), EndUtc = LeaseTime.ParseBlazarDate(e),
                        LeaseId = Json.Str(r, "lease_id"), Label = Json.Str(r, "id"),
                    });
                }
            }
            _verbose?.Invoke($"Blazar: {data.Devices.Count} {(host ? "host" : "device")}(s), {data.Reservations.Count} allocation(s).");
            return data;
        }

        /// <summary>The live lease of this name in the project, or null: GET /v1/leases. A TERMINATED one doesn't count.</summary>
        public async Task<IDictionary<string, object>> FindLeaseAsync(string name, CancellationToken ct)
        {
            var list = await GetJsonAsync("leases", ct).ConfigureAwait(false);
            return (Json.Arr(list, "leases") ?? new List<object>()).OfType<IDictionary<string, object>>()
                .FirstOrDefault(l => string.Equals(Json.Str(l, "name"), name, StringComparison.Ordinal)
                                  && !string.Equals(Json.Str(l, "status"), "TERMINATED", StringComparison.OrdinalIgnoreCase));
        }

        /// <summary>POST /v1/leases. Blazar's refusals become clear errors; a name taken meanwhile returns that lease.</summary>
        public async Task<(IDictionary<string, object> lease, bool created)> CreateLeaseAsync(LeaseRequest request, CancellationToken ct)
        {
            var url = new Uri(_base, "leases");
            var body = request.Body();
            _verbose?.Invoke($"Blazar: POST {url.AbsolutePath} {body}");
            using (var req = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent(body, Encoding.UTF8, "application/json") })
            {
                Authorize(req);
                using (var resp = await Http.SendAsync(_http, req, "Blazar", ct).ConfigureAwait(false))
                {
                    var text = await resp.Content.ReadAsStringAsync().ConfigureAwait(false);
                    if (resp.IsSuccessStatusCode)
                    {
                        var lease = Json.Obj(ParseBody(text, url), "lease");
                        if (lease == null) throw Unexpected(url, resp, "no 'lease' in the answer");
                        return (lease, true);
                    }
                    var message = Keystone.ErrorMessage(text);
                    var window = $"{LeaseTime.FormatBlazarDate(request.StartUtc)} to {LeaseTime.FormatBlazarDate(request.EndUtc)} UTC";
                    if ((int)resp.StatusCode == 409 && message.IndexOf("already exists", StringComparison.OrdinalIgnoreCase) >= 0)
                    {
                        var existing = await FindLeaseAsync(request.Name, ct).ConfigureAwait(false);
                        if (existing != null) return (existing, false);
                    }
                    if (message.IndexOf("not enough", StringComparison.OrdinalIgnoreCase) >= 0)
                        throw new EdgeOpsException("LeaseNotEnoughResources", "ResourceUnavailable",
                            $"Blazar at {Endpoint} has no free {What(request)} for {window} ({(int)resp.StatusCode}: {message}). Someone may have taken the window: run Get-LeaseWindow again and pick another.");
                    if (IsPolicy(resp.StatusCode, message))
                        throw new EdgeOpsException("LeasePolicyViolation", "PermissionDenied",
                            $"Blazar at {Endpoint} refused lease '{request.Name}' for {window} under the testbed's policy ({(int)resp.StatusCode}: {message}). Leases may last at most the policy's maximum (7 days on CHI@Edge) and be extended only near their end: shorten -Duration or pick another window.");
                    if (resp.StatusCode == HttpStatusCode.Unauthorized)
                        throw new EdgeOpsException("BlazarAuthenticationFailed", "AuthenticationError",
                            $"Blazar at {Endpoint} refused the Keystone token (401: {message}). Check that -AuthUrl belongs to the same site as the Blazar endpoint.");
                    throw new EdgeOpsException("LeaseRejected", "InvalidOperation",
                        $"Blazar at {Endpoint} refused lease '{request.Name}' for {window} ({(int)resp.StatusCode}: {message}).");
                }
            }
        }

        static string What(LeaseRequest r) =>
            r.DeviceUids?.Count > 0 ? "device with uid " + string.Join(", ", r.DeviceUids)
            : r.DeviceNames?.Count > 0 ? "device " + string.Join(", ", r.DeviceNames)
            : "device of machine name " + r.MachineName;

        static bool IsPolicy(HttpStatusCode code, string message)
        {
            string[] markers = { "maximum lease duration", "lease duration", "extended within", "extension", "policy", "not authorized", "external service", "exceed", "quota", "not allowed" };
            return code == HttpStatusCode.Forbidden || markers.Any(m => message.IndexOf(m, StringComparison.OrdinalIgnoreCase) >= 0);
        }

        void Authorize(HttpRequestMessage req)
        {
            req.Headers.TryAddWithoutValidation("X-Auth-Token", _token);
            req.Headers.Accept.ParseAdd("application/json");
        }

        async Task<object> GetJsonAsync(string relative, CancellationToken ct)
        {
            var url = new Uri(_base, relative);
            _verbose?.Invoke($"Blazar: GET {url.AbsolutePath}");
            using (var req = new HttpRequestMessage(HttpMethod.Get, url))
            {
                Authorize(req);
                using (var resp = await Http.SendAsync(_http, req, "Blazar", ct).ConfigureAwait(false))
                {
                    var text = await resp.Content.ReadAsStringAsync().ConfigureAwait(false);
                    if (resp.StatusCode == HttpStatusCode.Unauthorized)
                        throw new EdgeOpsException("BlazarAuthenticationFailed", "AuthenticationError",
                            $"Blazar at {Endpoint} refused the Keystone token (401: {Keystone.ErrorMessage(text)}). Check that -AuthUrl belongs to the same site as the Blazar endpoint.");
                    if (resp.StatusCode == HttpStatusCode.NotFound)
                        throw new EdgeOpsException("BlazarResourceNotFound", "ObjectNotFound",
                            $"Blazar at {Endpoint} has no {url.AbsolutePath} (404). Is this a Blazar endpoint, and does the site offer -ResourceType {(relative.StartsWith("os-hosts", StringComparison.Ordinal) ? "Host" : "Device")}?");
                    if (!resp.IsSuccessStatusCode)
                        throw new EdgeOpsException("BlazarRequestFailed", "InvalidResult",
                            $"Blazar at {Endpoint} answered {(int)resp.StatusCode} to GET {url.AbsolutePath}: {Keystone.ErrorMessage(text)}.");
                    return ParseBody(text, url);
                }
            }
        }

        object ParseBody(string text, Uri url)
        {
            try { return Json.Parse(text); }
            catch (FormatException e)
            {
                throw new EdgeOpsException("BlazarRequestFailed", "InvalidResult", $"Blazar at {Endpoint} answered {url.AbsolutePath} with something that is not JSON ({e.Message}).");
            }
        }

        Exception Unexpected(Uri url, HttpResponseMessage resp, string what) =>
            new EdgeOpsException("BlazarRequestFailed", "InvalidResult", $"Blazar at {Endpoint} answered {(int)resp.StatusCode} to {url.AbsolutePath} with {what}.");

        /// <summary>A Blazar lease as the cmdlet's result.</summary>
        public EdgeLease ToResult(IDictionary<string, object> lease, bool created, LeaseRequest request)
        {
            var res = Json.Arr(lease, "reservations") ?? new List<object>();
            var device = request.DeviceNames?.Count > 0 ? string.Join(",", request.DeviceNames) : request.MachineName;
            DateTimeOffset Date(string key, DateTimeOffset fallback)
            {
                var s = Json.Str(lease, key);
                return s == null ? fallback : LeaseTime.ParseBlazarDate(s);
            }
            return new EdgeLease
            {
                ComputerName = device, Device = device,
                DeviceUid = request.DeviceUids?.Count > 0 ? string.Join(",", request.DeviceUids) : null,
                Name = Json.Str(lease, "name"), Id = Json.Str(lease, "id"), Status = Json.Str(lease, "status"),
                StartUtc = Date("start_date", request.StartUtc), EndUtc = Date("end_date", request.EndUtc),
                ResourceProperties = string.Join("; ", res.Select(r => Json.Str(r, "resource_properties")).Where(p => p != null)),
                ProjectId = Json.Str(lease, "project_id") ?? ProjectId, Created = created, Endpoint = Endpoint,
            };
        }
    }
}
