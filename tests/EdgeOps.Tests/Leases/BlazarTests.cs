using System.Diagnostics;
using System.Management.Automation;
using System.Security;
using System.Text.Json.Nodes;
using EdgeOps.Leases;
using EdgeOps.Tests.Infrastructure;
using Xunit;

namespace EdgeOps.Tests.Leases
{
    public sealed class LeaseSessionFixture : IDisposable
    {
        public PowerShellSession PS { get; } = new();
        public void Dispose() => PS.Dispose();
    }

    /// <summary>Get-LeaseWindow and New-EdgeLease against a loopback Keystone + Blazar that checks every request.</summary>
    public class BlazarTests : IClassFixture<LeaseSessionFixture>, IDisposable
    {
        static readonly DateTime D = new(2030, 5, 6, 0, 0, 0, DateTimeKind.Utc);
        readonly PowerShellSession _ps;
        readonly FakeTestbed _bed = new();
        readonly JsonObject _pi1, _pi2;

        public BlazarTests(LeaseSessionFixture f)
        {
            _ps = f.PS;
            _pi1 = _bed.AddDevice("pi5-01", "8f1c9a44-uid-01");
            _pi2 = _bed.AddDevice("pi5-02", "8f1c9a44-uid-02");
            _bed.AddDevice("nano-01", "8f1c9a44-uid-03", machine: "jetson-nano");
            _bed.AddDevice("pi5-broken", "8f1c9a44-uid-04", reservable: false);
            _bed.Book(_pi1, D.AddHours(10), D.AddHours(12));
            _bed.Book(_pi2, D.AddHours(9), D.AddHours(15));
            _ps.Set("cred", new PSCredential(_bed.AppCredId, Secure(_bed.AppCredSecret)));
            _ps.Set("auth", _bed.AuthUrl);
            _ps.Set("blazar", _bed.BlazarUrl);
            _ps.Set("from", new DateTimeOffset(D.AddHours(8)));
            _ps.Set("to", new DateTimeOffset(D.AddHours(18)));
        }

        public void Dispose() => _bed.Dispose();

        static SecureString Secure(string s) { var ss = new SecureString(); foreach (var c in s) ss.AppendChar(c); ss.MakeReadOnly(); return ss; }

        const string Search = "Get-LeaseWindow -Calendar $blazar -AuthUrl $auth -Credential $cred -From $from -To $to";

        static List<(string device, int hour)> Hours(PSRun r) =>
            r.Output.Select(o => (o.Properties["Device"].Value.ToString()!, ((DateTimeOffset)o.Properties["StartUtc"].Value).Hour)).ToList();

        [Fact]
        public void Windows_come_from_Blazar_devices_and_allocations()
        {
            var r = _ps.Run(Search + " -MachineName raspberrypi5 -TimeZone America/Chicago -Verbose");
            Assert.Empty(r.Errors);
            Assert.Empty(_bed.Violations);
            Assert.Equal(new[] { ("pi5-01", 8), ("pi5-01", 12), ("pi5-01", 13), ("pi5-01", 14), ("pi5-02", 15), ("pi5-01", 15), ("pi5-02", 16), ("pi5-01", 16) }
                .OrderBy(x => x.Item2).ThenBy(x => x.Item1), Hours(r));
            var w = r.Output[0];
            Assert.Equal("EdgeOps.LeaseWindow", w.TypeNames[0]);
            Assert.Equal("8f1c9a44-uid-01", w.Properties["DeviceUid"].Value);
            Assert.Equal("raspberrypi5", w.Properties["MachineName"].Value);
            Assert.Equal(_bed.BlazarUrl + "/v1", w.Properties["Calendar"].Value);
            Assert.Equal("America/Chicago", w.Properties["TimeZone"].Value);
            Assert.Equal(TimeSpan.FromHours(-5), ((DateTimeOffset)w.Properties["StartLocal"].Value).Offset); // CDT in May
            // the calls, in order, each as the API reference wants them
            var reqs = _bed.Requests.ToList();
            Assert.Equal(new[] { "POST /identity/v3/auth/tokens", "GET /reservation/v1/devices", "GET /reservation/v1/devices/allocations" },
                reqs.Select(q => q.method + " " + q.path));
            Assert.False(reqs[0].headers.ContainsKey("X-Auth-Token"));
            Assert.All(reqs.Skip(1), q => Assert.Equal(_bed.IssuedToken, q.headers["X-Auth-Token"]));
            Assert.DoesNotContain(r.Verbose, v => v.Contains(_bed.AppCredSecret) || v.Contains(_bed.IssuedToken));
            Assert.Contains(r.Verbose, v => v.Contains("not reservable") && v.Contains("pi5-broken"));
        }

        [Fact]
        public void A_saved_calendar_gives_the_same_windows_offline()
        {
            var hostile = _bed.AddDevice("pi5 'lab' \"7\"; $(rm -rf ~) `x`, ünïcode", "uid-hostile;,\\", machine: "raspberrypi5");
            _bed.Book(hostile, D.AddHours(11), D.AddHours(13));
            var path = Path.Combine(Path.GetTempPath(), $"edgeops-saved-{Guid.NewGuid():N}.ics");
            try
            {
                var online = _ps.Run(Search + " -MachineName raspberrypi5 -SaveCalendar $args[0] -Verbose", path);
                Assert.Empty(online.Errors);
                Assert.Contains(online.Verbose, v => v.Contains("Saved 5 device(s) and 3 booking(s)"));
                var requests = _bed.Requests.Count;
                var offline = _ps.Run("Get-LeaseWindow -Calendar $args[0] -From $from -To $to -MachineName raspberrypi5", path);
                Assert.Empty(offline.Errors);
                Assert.Equal(requests, _bed.Requests.Count); // no network
                string Row(PSObject o) => $"{o.Properties["Device"].Value}|{o.Properties["DeviceUid"].Value}|{o.Properties["StartUtc"].Value}";
                Assert.Equal(online.Output.Select(Row), offline.Output.Select(Row));
                Assert.Contains(offline.Output, o => (string)o.Properties["Device"].Value == hostile["name"]!.ToString() && (string)o.Properties["DeviceUid"].Value == "uid-hostile;,\\");
                // the saved device list is complete, as Blazar's was: an unknown name is still an error
                var err = _ps.Run("try { Get-LeaseWindow -Calendar $args[0] -From $from -To $to -Device pi5-99 } catch { $_ }", path)
                    .Output.Select(o => o.BaseObject).OfType<ErrorRecord>().Single();
                Assert.StartsWith("LeaseDeviceNotFound", err.FullyQualifiedErrorId);
                // a window of that device books that device, commas in its uid and all
                var lease = _ps.Run("Get-LeaseWindow -Calendar $args[0] -From $from -To $to -Device $args[1] -First 1 | New-EdgeLease -Name serve_edge_h -AuthUrl $auth -Credential $cred", path, hostile["name"]!.ToString());
                Assert.Empty(lease.Errors);
                var posted = JsonNode.Parse(_bed.Requests.Single(q => q.method == "POST" && q.path == "/reservation/v1/leases").body)!;
                Assert.Equal("[\"==\", \"$uid\", \"uid-hostile;,\\\\\"]", Assert.Single(posted["reservations"]!.AsArray())!["resource_properties"]!.GetValue<string>());
                Assert.Empty(_bed.Violations);
                // and Ical.Net reads the file too
                var events = Ical.Net.Calendar.Load(File.ReadAllText(path))!.Events;
                Assert.Equal(3, events.Count);
                Assert.Contains(events, e => e.Resources.Contains(hostile["name"]!.ToString()));
            }
            finally { File.Delete(path); }
        }

        [Fact]
        public void AllOf_finds_windows_free_on_every_listed_device_at_once()
        {
            var r = _ps.Run(Search + " -Device 'pi5-0[12]' -AllOf");
            Assert.Empty(r.Errors);
            Assert.Equal(new[] { ("pi5-01,pi5-02", 15), ("pi5-01,pi5-02", 16) }, Hours(r));
            Assert.Equal(2, r.Output[0].Properties["DeviceCount"].Value);
            Assert.Equal("8f1c9a44-uid-01,8f1c9a44-uid-02", r.Output[0].Properties["DeviceUid"].Value);
        }

        [Fact]
        public void Without_a_calendar_the_reservation_endpoint_comes_from_the_catalog()
        {
            var r = _ps.Run("Get-LeaseWindow -AuthUrl $auth -Credential $cred -From $from -To $to -Device nano-01 -First 2");
            Assert.Empty(r.Errors);
            Assert.Equal(new[] { ("nano-01", 8), ("nano-01", 9) }, Hours(r));
            Assert.Contains(_bed.Requests, q => q.path == "/reservation/v1/devices/allocations");
            Assert.Empty(_bed.Violations);
        }

        [Fact]
        public void An_openrc_environment_is_used_when_no_login_is_given()
        {
            var vars = new Dictionary<string, string?>
            {
                ["OS_AUTH_URL"] = _bed.AuthUrl, ["OS_APPLICATION_CREDENTIAL_ID"] = _bed.AppCredId,
                ["OS_APPLICATION_CREDENTIAL_SECRET"] = _bed.AppCredSecret, ["OS_REGION_NAME"] = "CHI@Edge",
            };
            try
            {
                foreach (var kv in vars) Environment.SetEnvironmentVariable(kv.Key, kv.Value);
                // the design's example, as written: a Blazar URL, a machine name, a duration and a horizon
                var r = _ps.Run("Get-LeaseWindow -Calendar $blazar -MachineName raspberrypi5 -Duration 2h -Within 7d -Verbose");
                Assert.Empty(r.Errors);
                Assert.NotEmpty(r.Output);
                Assert.Contains(r.Verbose, v => v.Contains("OS_APPLICATION_CREDENTIAL_ID"));
                Assert.DoesNotContain(r.Verbose, v => v.Contains(_bed.AppCredSecret));
                var auth = JsonNode.Parse(_bed.Requests.First().body)!;
                Assert.Equal(_bed.AppCredId, auth["auth"]!["identity"]!["application_credential"]!["id"]!.GetValue<string>());
                Assert.All(r.Output, o => Assert.True((DateTimeOffset)o.Properties["StartUtc"].Value >= DateTimeOffset.UtcNow.AddMinutes(-1)));
                Assert.Empty(_bed.Violations);
            }
            finally
            {
                foreach (var kv in vars) Environment.SetEnvironmentVariable(kv.Key, null);
            }
        }

        [Fact]
        public void Password_login_is_scoped_to_the_project()
        {
            _ps.Set("user", new PSCredential(_bed.UserName, Secure(_bed.UserPassword)));
            var r = _ps.Run(Search.Replace("$cred", "$user") + " -AuthMethod Password -ProjectName $args[0] -Device pi5-02", _bed.ProjectName);
            Assert.Empty(r.Errors);
            Assert.Equal(2, r.Output.Count);
            Assert.Empty(_bed.Violations);
            var r2 = _ps.Run(Search.Replace("$cred", "$user") + " -AuthMethod Password -Device pi5-02");
            Assert.Equal("ProjectMissing,Get-LeaseWindow".Split(',')[0], r2.Errors.Single().FullyQualifiedErrorId.Split(',')[0]);
        }

        [Fact]
        public void A_wrong_secret_is_a_clear_authentication_error_that_never_shows_the_secret()
        {
            _ps.Set("bad", new PSCredential(_bed.AppCredId, Secure("wrong-" + _bed.AppCredSecret)));
            var r = _ps.Run("try { " + Search.Replace("$cred", "$bad") + " -Verbose } catch { $_ }");
            var err = r.Output.Select(o => o.BaseObject).OfType<ErrorRecord>().Single();
            Assert.StartsWith("KeystoneAuthenticationFailed", err.FullyQualifiedErrorId);
            Assert.Equal(ErrorCategory.AuthenticationError, err.CategoryInfo.Category);
            Assert.Contains(_bed.AppCredId, err.Exception.Message);
            Assert.Contains("-Credential", err.Exception.Message);
            Assert.DoesNotContain("s3cr3t", r.AllText + err.Exception.Message);
        }

        [Fact]
        public void New_EdgeLease_creates_the_lease_for_a_piped_window_once()
        {
            var name = "serve_edge_ab1234 'q' \"d\" $(rm -rf) ; `t";
            var r = _ps.Run(Search + " -Device pi5-01 -First 1 | New-EdgeLease -Name $args[0] -AuthUrl $auth -Credential $cred", name);
            Assert.Empty(r.Errors);
            Assert.Empty(_bed.Violations);
            var lease = Assert.Single(r.Output);
            Assert.Equal("EdgeOps.EdgeLease", lease.TypeNames[0]);
            Assert.Equal(name, lease.Properties["Name"].Value);
            Assert.True((bool)lease.Properties["Created"].Value);
            Assert.Equal("PENDING", lease.Properties["Status"].Value);
            Assert.Equal(new DateTimeOffset(D.AddHours(8)), lease.Properties["StartUtc"].Value);
            Assert.Equal(new DateTimeOffset(D.AddHours(9).AddMinutes(55)), lease.Properties["EndUtc"].Value);
            var post = _bed.Requests.Single(q => q.method == "POST" && q.path == "/reservation/v1/leases");
            var body = JsonNode.Parse(post.body)!;
            Assert.Equal(name, body["name"]!.GetValue<string>());
            Assert.Equal("2030-05-06 08:00", body["start_date"]!.GetValue<string>());
            Assert.Equal("2030-05-06 09:55", body["end_date"]!.GetValue<string>());
            var res = Assert.Single(body["reservations"]!.AsArray())!;
            Assert.Equal("device", res["resource_type"]!.GetValue<string>());
            Assert.Equal("[\"==\", \"$uid\", \"8f1c9a44-uid-01\"]", res["resource_properties"]!.GetValue<string>());
            Assert.Equal(1, res["min"]!.GetValue<int>());
            Assert.Single(_bed.Leases);

            // again: the existing lease comes back, nothing is posted
            var again = _ps.Run(Search + " -Device pi5-01 -First 1 | New-EdgeLease -Name $args[0] -AuthUrl $auth -Credential $cred", name);
            Assert.Empty(again.Errors);
            Assert.False((bool)Assert.Single(again.Output).Properties["Created"].Value);
            Assert.Equal(lease.Properties["Id"].Value, again.Output[0].Properties["Id"].Value);
            Assert.Single(_bed.Requests, q => q.method == "POST" && q.path == "/reservation/v1/leases");
            Assert.Single(_bed.Leases);
            // and a window booked by that lease is no longer offered
            var after = _ps.Run(Search + " -Device pi5-01 -First 1");
            Assert.Equal(12, ((DateTimeOffset)after.Output[0].Properties["StartUtc"].Value).Hour);
        }

        [Fact]
        public void An_AllOf_window_becomes_one_lease_with_a_reservation_per_device()
        {
            var r = _ps.Run(Search + " -Device 'pi5-0[12]' -AllOf -First 1 | New-EdgeLease -Name serve_edge_pair -AuthUrl $auth -Credential $cred");
            Assert.Empty(r.Errors);
            Assert.Empty(_bed.Violations);
            var lease = Assert.Single(r.Output);
            Assert.Equal("pi5-01,pi5-02", lease.Properties["Device"].Value);
            var body = JsonNode.Parse(_bed.Requests.Single(q => q.method == "POST" && q.path == "/reservation/v1/leases").body)!;
            Assert.Equal(new[] { "[\"==\", \"$uid\", \"8f1c9a44-uid-01\"]", "[\"==\", \"$uid\", \"8f1c9a44-uid-02\"]" },
                body["reservations"]!.AsArray().Select(x => x!["resource_properties"]!.GetValue<string>()));
            Assert.Equal("2030-05-06 15:00", body["start_date"]!.GetValue<string>());
            Assert.Equal(2, _bed.Allocations["1"].Count);
            Assert.Equal(2, _bed.Allocations["2"].Count);
        }

        [Fact]
        public void A_terminated_lease_of_the_same_name_does_not_stop_a_new_one()
        {
            _bed.Leases.Add(new JsonObject { ["id"] = "old-lease", ["name"] = "serve_edge_again", ["status"] = "TERMINATED",
                ["start_date"] = "2030-04-01T08:00:00.000000", ["end_date"] = "2030-04-01T09:55:00.000000", ["reservations"] = new JsonArray() });
            var r = _ps.Run(Search + " -Device pi5-01 -First 1 | New-EdgeLease -Name serve_edge_again -AuthUrl $auth -Credential $cred");
            Assert.Empty(r.Errors);
            var lease = Assert.Single(r.Output);
            Assert.True((bool)lease.Properties["Created"].Value);
            Assert.NotEqual("old-lease", lease.Properties["Id"].Value);
            Assert.Empty(_bed.Violations);
        }

        [Fact]
        public void WhatIf_sends_nothing()
        {
            var r = _ps.Run("New-EdgeLease -Name serve_edge_x -StartUtc '2030-05-06 08:00' -EndUtc '2030-05-06 09:55' -MachineName raspberrypi5 -AuthUrl $auth -Credential $cred -WhatIf");
            Assert.Empty(r.Errors);
            Assert.Empty(r.Output);
            Assert.Empty(_bed.Requests);
        }

        [Fact]
        public void A_window_taken_meanwhile_is_a_not_enough_resources_error()
        {
            var windows = _ps.Run(Search + " -Device pi5-01 -First 1");
            _bed.Book(_pi1, D.AddHours(8), D.AddHours(9)); // someone else was faster
            _ps.Set("w", windows.Output[0]);
            var r = _ps.Run("try { $w | New-EdgeLease -Name serve_edge_late -AuthUrl $auth -Credential $cred } catch { $_ }");
            var err = r.Output.Select(o => o.BaseObject).OfType<ErrorRecord>().Single();
            Assert.StartsWith("LeaseNotEnoughResources", err.FullyQualifiedErrorId);
            Assert.Equal(ErrorCategory.ResourceUnavailable, err.CategoryInfo.Category);
            Assert.Contains("Not enough resources available", err.Exception.Message);
            Assert.Contains("Get-LeaseWindow", err.Exception.Message);
            Assert.Contains("2030-05-06 08:00", err.Exception.Message);
            Assert.Empty(_bed.Leases);
            Assert.Empty(_bed.Violations);
        }

        [Fact]
        public void A_lease_longer_than_the_policy_allows_is_a_policy_error()
        {
            var r = _ps.Run("try { New-EdgeLease -Name serve_edge_long -StartUtc '2030-05-06 08:00' -EndUtc '2030-05-14 08:00' -DeviceUid 8f1c9a44-uid-03 -Calendar $blazar -AuthUrl $auth -Credential $cred } catch { $_ }");
            var err = r.Output.Select(o => o.BaseObject).OfType<ErrorRecord>().Single();
            Assert.StartsWith("LeasePolicyViolation", err.FullyQualifiedErrorId);
            Assert.Equal(ErrorCategory.PermissionDenied, err.CategoryInfo.Category);
            Assert.Contains("maximum lease duration of 604800 seconds", err.Exception.Message);
            Assert.Empty(_bed.Violations);
        }

        [Fact]
        public void A_credential_without_a_Keystone_URL_is_refused_before_any_call()
        {
            var r = _ps.Run("try { Get-LeaseWindow -Calendar $blazar -Credential $cred } catch { $_ }");
            var err = r.Output.Select(o => o.BaseObject).OfType<ErrorRecord>().Single();
            Assert.StartsWith("AuthUrlMissing", err.FullyQualifiedErrorId);
            Assert.Contains("-AuthUrl", err.Exception.Message);
            Assert.Empty(_bed.Requests);
        }

        [Fact]
        public void A_token_Blazar_refuses_is_an_authentication_error()
        {
            _bed.RejectTokens = true;
            var r = _ps.Run("try { " + Search + " } catch { $_ }");
            var err = r.Output.Select(o => o.BaseObject).OfType<ErrorRecord>().Single();
            Assert.StartsWith("BlazarAuthenticationFailed", err.FullyQualifiedErrorId);
            Assert.Contains("401", err.Exception.Message);
        }

        [Fact]
        public void Hosts_are_listed_and_reserved_as_physical_hosts()
        {
            var h = _bed.AddHost("P3-CPU-009", "c9f98cc9-host-uid");
            _bed.Book(h, D.AddHours(8), D.AddHours(14));
            var r = _ps.Run(Search + " -ResourceType Host -First 1 | New-EdgeLease -Name serve_edge_host -ResourceType Host -AuthUrl $auth -Credential $cred");
            Assert.Empty(r.Errors);
            Assert.Empty(_bed.Violations);
            Assert.Contains(_bed.Requests, q => q.path == "/reservation/v1/os-hosts/allocations");
            var body = JsonNode.Parse(_bed.Requests.Single(q => q.method == "POST" && q.path == "/reservation/v1/leases").body)!;
            var res = body["reservations"]![0]!;
            Assert.Equal("physical:host", res["resource_type"]!.GetValue<string>());
            Assert.Equal("", res["hypervisor_properties"]!.GetValue<string>());
            Assert.Equal("2030-05-06 14:00", body["start_date"]!.GetValue<string>());
        }

        [Fact]
        public void A_device_Blazar_does_not_have_is_named_in_the_error()
        {
            var r = _ps.Run("try { " + Search + " -Device pi5-99 } catch { $_ }");
            var err = r.Output.Select(o => o.BaseObject).OfType<ErrorRecord>().Single();
            Assert.StartsWith("LeaseDeviceNotFound", err.FullyQualifiedErrorId);
            Assert.Contains("pi5-99", err.Exception.Message);
            Assert.Contains("pi5-01 (raspberrypi5)", err.Exception.Message);
        }

        [Fact]
        public void Ctrl_C_cancels_a_call_that_hangs()
        {
            _bed.Hold.Reset(); // the server takes the request and never answers
            using var ps = PowerShell.Create();
            ps.Runspace = _ps.Runspace;
            ps.AddScript(Search + " -TimeoutSec 600");
            var async = ps.BeginInvoke();
            var sw = Stopwatch.StartNew();
            while (_bed.Requests.IsEmpty && sw.Elapsed < TimeSpan.FromSeconds(20)) Thread.Sleep(20);
            Assert.False(_bed.Requests.IsEmpty);
            sw.Restart();
            ps.Stop();
            Assert.True(async.IsCompleted || async.AsyncWaitHandle.WaitOne(5000));
            Assert.True(sw.Elapsed < TimeSpan.FromSeconds(5), $"stop took {sw.Elapsed}");
            Assert.Equal(PSInvocationState.Stopped, ps.InvocationStateInfo.State);
            _bed.Hold.Set();
        }

        [Fact]
        public async Task Engine_normalizes_endpoints_and_reads_Blazar_error_bodies()
        {
            Assert.Equal("https://h:1234/v1/", BlazarClient.Normalize("https://h:1234").ToString());
            Assert.Equal("https://h:1234/v1/", BlazarClient.Normalize("https://h:1234/v1/").ToString());
            Assert.Equal("https://h:5000/v3/auth/tokens", Keystone.TokenUrl("https://h:5000/v3").ToString());
            Assert.Equal("https://h:5000/identity/v3/auth/tokens", Keystone.TokenUrl("https://h:5000/identity").ToString());
            Assert.Equal("Not enough resources available", Keystone.ErrorMessage("{\"error_code\": 409, \"error_message\": \"Not enough resources available\", \"error_name\": 409}"));
            // the engine directly: a name taken between the lookup and the POST returns the existing lease
            using var http = Http.Create(null, TimeSpan.FromSeconds(10));
            var creds = new KeystoneCredentials { AuthUrl = _bed.AuthUrl, UserName = _bed.AppCredId, Secret = _bed.AppCredSecret };
            var client = await BlazarClient.ConnectAsync(http, creds, null, null, CancellationToken.None);
            var req = new LeaseRequest { Name = "serve_edge_race", StartUtc = new DateTimeOffset(D.AddHours(16)), EndUtc = new DateTimeOffset(D.AddHours(17)), DeviceNames = new[] { "nano-01" } };
            var first = await client.CreateLeaseAsync(req, CancellationToken.None);
            var second = await client.CreateLeaseAsync(req, CancellationToken.None);
            Assert.True(first.created);
            Assert.False(second.created);
            Assert.Equal(first.lease["id"], second.lease["id"]);
            Assert.Equal("[\"==\", \"$name\", \"nano-01\"]", JsonNode.Parse(_bed.Requests.First(q => q.method == "POST" && q.path.EndsWith("leases")).body)!["reservations"]![0]!["resource_properties"]!.GetValue<string>());
            Assert.Empty(_bed.Violations);
        }
    }
}
