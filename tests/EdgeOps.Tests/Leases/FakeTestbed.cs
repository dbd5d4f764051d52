using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace EdgeOps.Tests.Leases
{
    /// <summary>
    /// A loopback Keystone v3 + Blazar v1 (with Chameleon's device plugin) that checks every request the way the API
    /// references describe it: Keystone's auth body per method and the token in X-Subject-Token; Blazar's X-Auth-Token,
    /// paths, JSON content type, lease body fields and the CCYY-MM-DD hh:mm date format. It answers with real-looking
    /// bodies, and with Blazar's and Keystone's error bodies ({"error_code", "error_message"} / {"error": {...}}).
    /// Whatever a request got wrong is recorded in Violations (and answered 400), so tests assert it stays empty.
    /// </summary>
    public sealed class FakeTestbed : IDisposable
    {
        readonly HttpListener _listener = new();
        readonly CancellationTokenSource _stop = new();
        readonly Task _loop;
        readonly object _gate = new();

        public string BaseUrl { get; }
        public string AuthUrl => BaseUrl + "/identity/v3";
        public string BlazarUrl => BaseUrl + "/reservation";
        public string Region { get; set; } = "CHI@Edge";

        public string AppCredId { get; set; } = "6c3a0b5e9f1d4a7b8c2e5f0a1b3c4d5e";
        public string AppCredSecret { get; set; } = "s3cr3t-'quote\"-$(x)-`tick`";
        public string UserName { get; set; } = "alice";
        public string UserPassword { get; set; } = "pa ss;word";
        public string ProjectId { get; set; } = "aa45f56901ef45ee95e3d211097c0ea3";
        public string ProjectName { get; set; } = "CHI-231000";
        public long MaxLeaseSeconds { get; set; } = 7 * 86400;
        /// <summary>When set, Blazar answers 401 to every token (expired token, wrong site).</summary>
        public bool RejectTokens { get; set; }
        /// <summary>When set, every request waits for it (or for the server to stop): for cancellation tests.</summary>
        public ManualResetEventSlim Hold { get; } = new(true);
        public string ICalendarFeed { get; set; } = "";

        public List<JsonObject> Devices { get; } = new();
        public List<JsonObject> Hosts { get; } = new();
        public List<JsonObject> Leases { get; } = new();
        /// <summary>resource id -> (reservation id, lease id, start, end)</summary>
        public Dictionary<string, List<(string id, string lease, DateTime start, DateTime end)>> Allocations { get; } = new();

        public ConcurrentQueue<string> Violations { get; } = new();
        public ConcurrentQueue<(string method, string path, string body, Dictionary<string, string> headers)> Requests { get; } = new();
        public string IssuedToken { get; private set; } = "";

        public FakeTestbed()
        {
            var probe = new TcpListener(IPAddress.Loopback, 0);
            probe.Start();
            int port = ((IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
            BaseUrl = $"http://127.0.0.1:{port}";
            _listener.Prefixes.Add(BaseUrl + "/");
            _listener.Start();
            _loop = Task.Run(Loop);
        }

        public JsonObject AddDevice(string name, string uid, string machine = "raspberrypi5", bool reservable = true)
        {
            var d = new JsonObject
            {
                ["id"] = (Devices.Count + 1).ToString(CultureInfo.InvariantCulture), ["name"] = name, ["uid"] = uid,
                ["device_type"] = "container", ["device_driver"] = "k8s", ["machine_name"] = machine,
                ["reservable"] = reservable, ["created_at"] = "2024-01-10 10:00:00", ["updated_at"] = null,
            };
            Devices.Add(d);
            Allocations[d["id"]!.ToString()] = new();
            return d;
        }

        public JsonObject AddHost(string nodeName, string uid, string nodeType = "compute_cascadelake_r")
        {
            var h = new JsonObject
            {
                ["id"] = (100 + Hosts.Count).ToString(CultureInfo.InvariantCulture), ["hypervisor_hostname"] = Guid.NewGuid().ToString(),
                ["node_name"] = nodeName, ["uid"] = uid, ["node_type"] = nodeType, ["vcpus"] = 96, ["reservable"] = true,
            };
            Hosts.Add(h);
            Allocations[h["id"]!.ToString()] = new();
            return h;
        }

        public void Book(JsonObject resource, DateTime startUtc, DateTime endUtc, string? leaseId = null) =>
            Allocations[resource["id"]!.ToString()].Add((Guid.NewGuid().ToString(), leaseId ?? Guid.NewGuid().ToString(), startUtc, endUtc));

        async Task Loop()
        {
            while (!_stop.IsCancellationRequested)
            {
                HttpListenerContext ctx;
                try { ctx = await _listener.GetContextAsync(); }
                catch (Exception) { break; }
                _ = Task.Run(() => Handle(ctx));
            }
        }

        void Handle(HttpListenerContext ctx)
        {
            try
            {
                var req = ctx.Request;
                string body;
                using (var r = new StreamReader(req.InputStream, Encoding.UTF8)) body = r.ReadToEnd();
                var headers = req.Headers.AllKeys.Where(k => k != null).ToDictionary(k => k!, k => req.Headers[k]!, StringComparer.OrdinalIgnoreCase);
                var path = req.Url!.AbsolutePath;
                Requests.Enqueue((req.HttpMethod, path, body, headers));
                try { Hold.Wait(_stop.Token); } catch (OperationCanceledException) { return; }
                var (status, json, extraHeaders, contentType) = Route(req.HttpMethod, path, body, headers);
                var resp = ctx.Response;
                resp.StatusCode = status;
                resp.ContentType = contentType ?? "application/json";
                foreach (var kv in extraHeaders) resp.Headers[kv.Key] = kv.Value;
                var bytes = Encoding.UTF8.GetBytes(json);
                resp.ContentLength64 = bytes.Length;
                resp.OutputStream.Write(bytes);
                resp.Close();
            }
            catch (Exception e) when (e is HttpListenerException || e is ObjectDisposedException || e is IOException) { }
        }

        (int, string, Dictionary<string, string>, string?) Route(string method, string path, string body, Dictionary<string, string> headers)
        {
            var none = new Dictionary<string, string>();
            if (path == "/identity/v3/auth/tokens")
            {
                if (method != "POST") return Violation($"Keystone: {method} {path}; the API wants POST");
                return Authenticate(body, headers);
            }
            if (path.StartsWith("/feeds/", StringComparison.Ordinal))
                return (200, ICalendarFeed, none, "text/calendar; charset=utf-8");
            if (!path.StartsWith("/reservation/v1/", StringComparison.Ordinal))
                return (404, BlazarError(404, $"The resource could not be found: {path}"), none, null);

            // Blazar: every call carries the token; JSON answers
            if (!headers.TryGetValue("X-Auth-Token", out var token) || token != IssuedToken || RejectTokens)
                return (401, "{\"error\": {\"code\": 401, \"title\": \"Unauthorized\", \"message\": \"The request you have made requires authentication.\"}}", none, null);
            if (headers.TryGetValue("Accept", out var accept) && !accept.Contains("application/json") && !accept.Contains("*/*"))
                Violations.Enqueue($"Blazar: Accept '{accept}' is not JSON");
            var rel = path.Substring("/reservation/v1/".Length);
            lock (_gate)
            {
                if (method == "GET")
                {
                    if (body.Length > 0) Violations.Enqueue($"Blazar: GET {path} with a body");
                    switch (rel)
                    {
                        case "devices": return (200, new JsonObject { ["devices"] = new JsonArray(Devices.Select(d => (JsonNode)d.DeepClone()).ToArray()) }.ToJsonString(), none, null);
                        case "os-hosts": return (200, new JsonObject { ["hosts"] = new JsonArray(Hosts.Select(d => (JsonNode)d.DeepClone()).ToArray()) }.ToJsonString(), none, null);
                        case "devices/allocations": return (200, AllocationsJson(Devices), none, null);
                        case "os-hosts/allocations": return (200, AllocationsJson(Hosts), none, null);
                        case "leases": return (200, new JsonObject { ["leases"] = new JsonArray(Leases.Select(d => (JsonNode)d.DeepClone()).ToArray()) }.ToJsonString(), none, null);
                    }
                    return (404, BlazarError(404, $"Object with {rel} not found"), none, null);
                }
                if (method == "POST" && rel == "leases") return CreateLease(body, headers);
            }
            return Violation($"Blazar: {method} {path} is not an API call");
        }

        (int, string, Dictionary<string, string>, string?) Violation(string what)
        {
            Violations.Enqueue(what);
            return (400, BlazarError(400, what), new(), null);
        }

        static string BlazarError(int code, string message) =>
            new JsonObject { ["error_code"] = code, ["error_message"] = message, ["error_name"] = code }.ToJsonString();

        string AllocationsJson(List<JsonObject> resources) =>
            new JsonObject
            {
                ["allocations"] = new JsonArray(resources.Select(r => (JsonNode)new JsonObject
                {
                    ["resource_id"] = r["id"]!.ToString(),
                    ["reservations"] = new JsonArray(Allocations[r["id"]!.ToString()].Select(a => (JsonNode)new JsonObject
                    {
                        ["id"] = a.id, ["lease_id"] = a.lease, ["start_date"] = BlazarDate(a.start), ["end_date"] = BlazarDate(a.end),
                    }).ToArray()),
                }).ToArray()),
            }.ToJsonString();

        static string BlazarDate(DateTime d) => d.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff", CultureInfo.InvariantCulture);

        (int, string, Dictionary<string, string>, string?) Authenticate(string body, Dictionary<string, string> headers)
        {
            var unauthorized = (401, "{\"error\": {\"code\": 401, \"title\": \"Unauthorized\", \"message\": \"The request you have made requires authentication.\"}}", new Dictionary<string, string>(), (string?)null);
            if (!headers.TryGetValue("Content-Type", out var ct) || !ct.StartsWith("application/json", StringComparison.Ordinal))
                return Violation("Keystone: Content-Type is not application/json");
            JsonNode? auth;
            try { auth = JsonNode.Parse(body)?["auth"]; }
            catch (JsonException) { return Violation("Keystone: body is not JSON"); }
            var identity = auth?["identity"];
            var methods = identity?["methods"] as JsonArray;
            if (methods == null || methods.Count != 1) return Violation("Keystone: identity.methods must list one method");
            var m = methods[0]!.GetValue<string>();
            string? project = null;
            if (m == "application_credential")
            {
                var ac = identity!["application_credential"];
                if (ac?["id"] == null || ac["secret"] == null) return Violation("Keystone: application_credential needs id and secret");
                if (auth!["scope"] != null) return Violation("Keystone: an application credential request can't carry a scope");
                if (ac["id"]!.GetValue<string>() != AppCredId || ac["secret"]!.GetValue<string>() != AppCredSecret) return unauthorized;
                project = ProjectId;
            }
            else if (m == "password")
            {
                var user = identity!["password"]?["user"];
                if (user?["name"] == null || user["password"] == null || user["domain"]?["name"] == null && user["domain"]?["id"] == null)
                    return Violation("Keystone: password.user needs name, domain and password");
                var scope = auth!["scope"]?["project"];
                if (scope == null) return Violation("Keystone: a password login for Blazar needs a project scope");
                if (scope["id"] == null && (scope["name"] == null || scope["domain"] == null)) return Violation("Keystone: scope.project needs id, or name and domain");
                if (user["name"]!.GetValue<string>() != UserName || user["password"]!.GetValue<string>() != UserPassword) return unauthorized;
                var pid = scope["id"]?.GetValue<string>();
                var pname = scope["name"]?.GetValue<string>();
                if (pid != null && pid != ProjectId || pname != null && pname != ProjectName) return unauthorized;
                project = ProjectId;
            }
            else return Violation($"Keystone: method {m} is not one EdgeOps should use");
            IssuedToken = "gAAAAAB" + Guid.NewGuid().ToString("N");
            var token = new JsonObject
            {
                ["token"] = new JsonObject
                {
                    ["methods"] = new JsonArray(m), ["expires_at"] = DateTime.UtcNow.AddHours(8).ToString("o"),
                    ["project"] = new JsonObject { ["id"] = project, ["name"] = ProjectName, ["domain"] = new JsonObject { ["id"] = "default", ["name"] = "Default" } },
                    ["catalog"] = new JsonArray(
                        new JsonObject
                        {
                            ["type"] = "identity", ["name"] = "keystone",
                            ["endpoints"] = new JsonArray(new JsonObject { ["interface"] = "public", ["region"] = Region, ["region_id"] = Region, ["url"] = AuthUrl }),
                        },
                        new JsonObject
                        {
                            ["type"] = "reservation", ["name"] = "blazar",
                            ["endpoints"] = new JsonArray(
                                new JsonObject { ["interface"] = "internal", ["region"] = Region, ["region_id"] = Region, ["url"] = "http://192.0.2.1:1234" },
                                new JsonObject { ["interface"] = "public", ["region"] = Region, ["region_id"] = Region, ["url"] = BlazarUrl }),
                        }),
                },
            };
            return (201, token.ToJsonString(), new Dictionary<string, string> { ["X-Subject-Token"] = IssuedToken }, null);
        }

        static readonly Regex BlazarDateFormat = new(@"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$");

        (int, string, Dictionary<string, string>, string?) CreateLease(string body, Dictionary<string, string> headers)
        {
            var none = new Dictionary<string, string>();
            if (!headers.TryGetValue("Content-Type", out var ct) || !ct.StartsWith("application/json", StringComparison.Ordinal))
                return Violation("Blazar: POST /v1/leases without Content-Type application/json");
            JsonNode? b;
            try { b = JsonNode.Parse(body); }
            catch (JsonException) { return Violation("Blazar: lease body is not JSON"); }
            var name = b?["name"]?.GetValue<string>();
            var sd = b?["start_date"]?.GetValue<string>();
            var ed = b?["end_date"]?.GetValue<string>();
            if (string.IsNullOrEmpty(name)) return Violation("Blazar: lease without name");
            if (sd == null || ed == null || !BlazarDateFormat.IsMatch(sd) || !BlazarDateFormat.IsMatch(ed))
                return Violation($"Blazar: start_date/end_date '{sd}'/'{ed}' not in CCYY-MM-DD hh:mm");
            var start = DateTime.ParseExact(sd, "yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);
            var end = DateTime.ParseExact(ed, "yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);
            if (end <= start) return (400, BlazarError(400, "The end_date must be later than the start_date."), none, null);
            if (b!["reservations"] is not JsonArray reservations || reservations.Count == 0) return Violation("Blazar: lease without reservations");
            if (b["events"] is not JsonArray) Violations.Enqueue("Blazar: lease without an events list");
            if (Leases.Any(l => l["name"]!.GetValue<string>() == name && l["status"]!.GetValue<string>() != "TERMINATED"))
                return (409, BlazarError(409, $"The lease with name: {name} already exists"), none, null);
            var seconds = (long)(end - start).TotalSeconds;
            if (seconds > MaxLeaseSeconds)
                return (400, BlazarError(400, $"Lease duration of {seconds} seconds must be less than or equal to the maximum lease duration of {MaxLeaseSeconds} seconds."), none, null);

            var leaseId = Guid.NewGuid().ToString();
            var picked = new List<(JsonObject resource, JsonObject reservation)>();
            foreach (var r in reservations)
            {
                var type = r?["resource_type"]?.GetValue<string>();
                if (type != "device" && type != "physical:host") return Violation($"Blazar: resource_type '{type}'");
                if (r!["min"] is not JsonValue min || r["max"] is not JsonValue max || min.GetValue<int>() < 1 || max.GetValue<int>() < min.GetValue<int>())
                    return Violation("Blazar: reservation min/max missing or out of order");
                if (type == "physical:host" && r["hypervisor_properties"] == null) return Violation("Blazar: host reservation without hypervisor_properties");
                var rp = r["resource_properties"]?.GetValue<string>();
                if (rp == null) return Violation("Blazar: reservation without resource_properties (a JSON string)");
                JsonArray? filter;
                try { filter = JsonNode.Parse(rp) as JsonArray; }
                catch (JsonException) { return Violation($"Blazar: resource_properties '{rp}' is not JSON"); }
                if (filter == null || filter.Count != 3 || filter[0]!.GetValue<string>() != "==" || !filter[1]!.GetValue<string>().StartsWith('$'))
                    return Violation($"Blazar: resource_properties '{rp}' is not [\"==\", \"$property\", value]");
                var key = filter[1]!.GetValue<string>().Substring(1);
                var value = filter[2]!.ToString();
                var pool = type == "device" ? Devices : Hosts;
                var free = pool.Where(d => d[key]?.ToString() == value && d["reservable"]!.GetValue<bool>()
                        && !Allocations[d["id"]!.ToString()].Any(a => start < a.end && a.start < end)
                        && !picked.Any(p => p.resource == d))
                    .ToList();
                if (free.Count < min.GetValue<int>())
                    return (409, BlazarError(409, "Not enough resources available"), none, null);
                var reservation = new JsonObject
                {
                    ["id"] = Guid.NewGuid().ToString(), ["lease_id"] = leaseId, ["status"] = "pending", ["missing_resources"] = false,
                    ["resources_changed"] = false, ["resource_id"] = Guid.NewGuid().ToString(), ["resource_type"] = type,
                    ["min"] = min.GetValue<int>(), ["max"] = max.GetValue<int>(), ["resource_properties"] = rp, ["before_end"] = "default",
                    ["created_at"] = DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm:ss"), ["updated_at"] = null,
                };
                picked.Add((free[0], reservation));
            }
            var lease = new JsonObject
            {
                ["id"] = leaseId, ["name"] = name, ["start_date"] = BlazarDate(start), ["end_date"] = BlazarDate(end),
                ["status"] = "PENDING", ["degraded"] = false, ["user_id"] = "5434f637520d4c17bbf254af034b0320", ["project_id"] = ProjectId,
                ["trust_id"] = "b442a580b9504ababf305bf2b4c49512", ["created_at"] = DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm:ss"), ["updated_at"] = null,
                ["reservations"] = new JsonArray(picked.Select(p => (JsonNode)p.reservation).ToArray()),
                ["events"] = new JsonArray(
                    new JsonObject { ["id"] = Guid.NewGuid().ToString(), ["lease_id"] = leaseId, ["status"] = "UNDONE", ["event_type"] = "start_lease", ["time"] = BlazarDate(start) },
                    new JsonObject { ["id"] = Guid.NewGuid().ToString(), ["lease_id"] = leaseId, ["status"] = "UNDONE", ["event_type"] = "end_lease", ["time"] = BlazarDate(end) }),
            };
            Leases.Add(lease);
            foreach (var (resource, reservation) in picked)
                Allocations[resource["id"]!.ToString()].Add((reservation["id"]!.ToString(), leaseId, start, end));
            return (201, new JsonObject { ["lease"] = lease.DeepClone() }.ToJsonString(), none, null);
        }

        public void Dispose()
        {
            _stop.Cancel();
            Hold.Set();
            try { _listener.Stop(); _listener.Close(); } catch (ObjectDisposedException) { }
            try { _loop.Wait(2000); } catch (AggregateException) { }
        }
    }
}
