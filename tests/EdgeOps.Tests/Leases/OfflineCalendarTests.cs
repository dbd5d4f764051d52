using System.Management.Automation;
using EdgeOps.Tests.Infrastructure;
using Xunit;

namespace EdgeOps.Tests.Leases
{
    /// <summary>Get-LeaseWindow over saved calendars (no network): CSV, .ics, piped objects; and an .ics feed over HTTP.</summary>
    public class OfflineCalendarTests : IClassFixture<LeaseSessionFixture>, IDisposable
    {
        readonly PowerShellSession _ps;
        readonly string _dir = Path.Combine(Path.GetTempPath(), "edgeops-leases-" + Guid.NewGuid().ToString("N"));
        // a device name with spaces, quotes, ;, $(...) and backticks
        const string Hostile = "pi5 'lab' \"7\"; $(rm -rf ~) `x`";

        public OfflineCalendarTests(LeaseSessionFixture f)
        {
            _ps = f.PS;
            Directory.CreateDirectory(_dir);
            _ps.Set("from", "2030-05-06 08:00");
            _ps.Set("to", "2030-05-06 18:00");
        }

        public void Dispose() { try { Directory.Delete(_dir, true); } catch (IOException) { } }

        string Write(string name, string content) { var p = Path.Combine(_dir, name); File.WriteAllText(p, content); return p; }

        static List<(string device, int hour)> Hours(PSRun r) =>
            r.Output.Select(o => (o.Properties["Device"].Value.ToString()!, ((DateTimeOffset)o.Properties["StartUtc"].Value).Hour)).ToList();

        [Fact]
        public void A_CSV_of_reservations_with_hostile_device_names_gives_windows_per_device()
        {
            var csv = Write("bookings.csv",
                "\"Device\",\"Start\",\"End\",\"MachineName\"\n" +
                $"\"{Hostile.Replace("\"", "\"\"")}\",\"2030-05-06 09:00\",\"2030-05-06 15:00\",raspberrypi5\n" +
                "pi5-01,2030-05-06T10:00:00Z,2030-05-06T12:00:00+00:00,raspberrypi5\n" +
                "nano-01,2030-05-06 08:00,2030-05-06 18:00,jetson-nano\n");
            var r = _ps.Run("Get-LeaseWindow -Calendar $args[0] -From $from -To $to -MachineName raspberrypi5 -Verbose", csv);
            Assert.Empty(r.Errors);
            Assert.Equal(new[] { ("pi5-01", 8), ("pi5-01", 12), ("pi5-01", 13), ("pi5-01", 14), (Hostile, 15), ("pi5-01", 15), (Hostile, 16), ("pi5-01", 16) }
                .OrderBy(x => x.Item2).ThenBy(x => x.Item1, StringComparer.OrdinalIgnoreCase), Hours(r));
            Assert.Contains(r.Verbose, v => v.Contains("Reading reservation CSV"));
            // literal -Device with the hostile name
            _ps.Set("name", Hostile);
            var one = _ps.Run("Get-LeaseWindow -Calendar $args[0] -From $from -To $to -Device $name", csv);
            Assert.Empty(one.Errors);
            Assert.Equal(new[] { (Hostile, 15), (Hostile, 16) }, Hours(one));
        }

        [Fact]
        public void Reservation_objects_bind_from_the_pipeline_by_property_name()
        {
            var r = _ps.Run(@"
                $b = @(
                    [pscustomobject]@{ Device = 'pi5-01'; Start = [datetime]'2030-05-06T09:00:00Z'; End = [datetimeoffset]'2030-05-06T17:00:00Z' }
                    [pscustomobject]@{ Device = 'pi5-02'; DeviceUid = 'uid-2'; Start = '2030-05-06 08:00'; End = '2030-05-06 13:00' }
                )
                $b | Get-LeaseWindow -From $from -To $to -Device pi5-01, pi5-02, pi5-03 -Duration 3h -Align 30m -EndGuard 10m -TimeZone 'Asia/Kolkata'");
            Assert.Empty(r.Errors);
            var got = r.Output.Select(o => (o.Properties["Device"].Value.ToString(), ((DateTimeOffset)o.Properties["StartUtc"].Value).ToString("HH:mm"))).ToList();
            // pi5-03 is named literally and has no bookings: free all day
            Assert.Contains(("pi5-03", "08:00"), got);
            Assert.Contains(("pi5-02", "13:00"), got);
            Assert.Contains(("pi5-02", "15:00"), got);   // 15:00-17:50 is the last that fits before 18:00
            Assert.DoesNotContain(got, g => g.Item1 == "pi5-01");
            var w = r.Output.First(o => (string)o.Properties["Device"].Value == "pi5-02");
            Assert.Equal("uid-2", w.Properties["DeviceUid"].Value);
            Assert.Equal("02:50:00", w.Properties["Duration"].Value);
            Assert.Equal(new TimeSpan(5, 30, 0), ((DateTimeOffset)w.Properties["StartLocal"].Value).Offset);
            Assert.Equal("Asia/Kolkata", w.Properties["TimeZone"].Value);
        }

        [Fact]
        public void An_ics_file_is_read_with_no_network_and_AllOf_intersects_the_devices()
        {
            var ics = Write("lab.ics",
                "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\n" +
                "BEGIN:VEVENT\r\nUID:1\r\nDTSTART:20300506T090000Z\r\nDTEND:20300506T110000Z\r\nRESOURCES:pi5-01\r\nEND:VEVENT\r\n" +
                "BEGIN:VEVENT\r\nUID:2\r\nDTSTART;TZID=America/Chicago:20300506T070000\r\nDURATION:PT3H\r\nRESOURCES:pi5-02\r\nEND:VEVENT\r\n" +
                "BEGIN:VEVENT\r\nUID:3\r\nDTSTART:20300506T140000Z\r\nDTEND:20300506T150000Z\r\nRESOURCES:pi5-02\r\nSTATUS:CANCELLED\r\nEND:VEVENT\r\n" +
                "END:VCALENDAR\r\n");
            var r = _ps.Run("Get-LeaseWindow -Calendar $args[0] -From $from -To $to -Device pi5-0* -AllOf -First 3", ics);
            Assert.Empty(r.Errors);
            // pi5-01 busy 09-11 UTC, pi5-02 busy 12-15 UTC (07:00 CDT for 3h): together free from 15:00
            Assert.Equal(new[] { ("pi5-01,pi5-02", 15), ("pi5-01,pi5-02", 16) }, Hours(r));
        }

        [Fact]
        public void An_ics_feed_is_fetched_over_HTTP()
        {
            using var bed = new FakeTestbed
            {
                ICalendarFeed = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nX-WR-CALNAME:pi5-feed\r\nBEGIN:VEVENT\r\nUID:f\r\nDTSTART:20300506T080000Z\r\nDTEND:20300506T160000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
            };
            var r = _ps.Run("Get-LeaseWindow -Calendar $args[0] -From $from -To $to", bed.BaseUrl + "/feeds/pi5.ics");
            Assert.Empty(r.Errors);
            Assert.Equal(new[] { ("pi5-feed", 16) }, Hours(r));
            Assert.Equal(bed.BaseUrl + "/feeds/pi5.ics", r.Output[0].Properties["Calendar"].Value);
        }

        [Theory]
        [InlineData("-Duration 2x", "InvalidTimeSpan", "-Duration '2x' is not a duration")]
        [InlineData("-Align '$(rm -rf ~)'", "InvalidTimeSpan", "-Align '$(rm -rf ~)' is not a duration")]
        [InlineData("-EndGuard -5m", "InvalidTimeSpan", "-EndGuard '-5m' is negative")]
        [InlineData("-Duration 99999999999d", "InvalidTimeSpan", "-Duration '99999999999d' is too long")]
        [InlineData("-Duration 90", "InvalidLeaseWindowRule", "-Duration (00:01:30)")]          // a bare number is seconds, as everywhere
        [InlineData("-Duration 8d", "InvalidLeaseWindowRule", "longest lease")]
        [InlineData("-TimeZone Mars/Base", "UnknownTimeZone", "Mars/Base")]
        [InlineData("-MachineName jetson*", "LeaseDeviceNotFound", "-MachineName jetson*")]
        public void Bad_input_is_a_clear_error_naming_the_parameter(string args, string errorId, string text)
        {
            var csv = Write("b.csv", "Device,Start,End\npi5-01,2030-05-06 09:00,2030-05-06 10:00\n");
            var r = _ps.Run($"try {{ Get-LeaseWindow -Calendar $args[0] -From $from -To $to -MaxLeaseDuration 7d {args} -Device pi5-01 }} catch {{ $_ }}".Replace("-Device pi5-01 -Device", "-Device"), csv);
            var err = r.Output.Select(o => o.BaseObject).OfType<ErrorRecord>().Single();
            Assert.StartsWith(errorId, err.FullyQualifiedErrorId);
            Assert.Contains(text, err.Exception.Message);
        }

        [Fact]
        public void Every_duration_parameter_takes_the_one_duration_grammar()
        {
            var csv = Write("grammar.csv", "Device,Start,End\npi5-01,2030-05-06 09:00,2030-05-06 10:00\n");
            string Windows(string args)
            {
                var r = _ps.Run($"Get-LeaseWindow -Calendar $args[0] -From $from -Device pi5-01 {args} | ForEach-Object {{ $_.StartUtc.ToString('o') + '/' + $_.EndUtc.ToString('o') }}", csv);
                Assert.Empty(r.Errors);
                return string.Join(" ", r.Output);
            }
            var expected = Windows("-To $to -Duration 90m -Align 30m -EndGuard 5m -MaxLeaseDuration 7d");
            Assert.Equal(14, expected.Split(' ').Length);   // starts 10:00 to 16:30, every 30 minutes, each 85 minutes long
            Assert.Equal(expected, Windows("-To $to -Duration 5400 -Align 1800 -EndGuard 300 -MaxLeaseDuration 604800"));   // seconds
            Assert.Equal(expected, Windows("-To $to -Duration 1h30m -Align 00:30:00 -EndGuard '5 min' -MaxLeaseDuration 1w"));
            Assert.Equal(expected, Windows("-To $to -Duration 1.5h -Align 0.5h -EndGuard 300s -MaxLeaseDuration 168h"));
            // -Within reads the same way: 10 hours from -From is -To
            Assert.Equal(expected, Windows("-Within 10h -Duration 90m -Align 30m"));
            Assert.Equal(expected, Windows("-Within 36000 -Duration 90m -Align 30m"));
            Assert.Equal(expected, Windows("-Within 9h60m -Duration 90m -Align 30m"));
        }

        [Fact]
        public void No_window_is_a_warning_that_says_what_to_change()
        {
            var csv = Write("full.csv", "Device,Start,End\npi5-01,2030-05-06 06:00,2030-05-06 17:00\n");
            var r = _ps.Run("Get-LeaseWindow -Calendar $args[0] -From $from -To $to -Device pi5-01", csv);
            Assert.Empty(r.Output);
            Assert.Empty(r.Errors);
            var w = Assert.Single(r.Warnings);
            Assert.Contains("No free 2h block", w);
            Assert.Contains("-Within", w);
        }

        [Fact]
        public void Missing_files_and_objects_without_times_are_refused()
        {
            var r = _ps.Run("try { Get-LeaseWindow -Calendar $args[0] } catch { $_ }", Path.Combine(_dir, "nope.ics"));
            Assert.StartsWith("CalendarNotFound", r.Output.Select(o => o.BaseObject).OfType<ErrorRecord>().Single().FullyQualifiedErrorId);
            r = _ps.Run("try { [pscustomobject]@{ Device = 'pi5-01'; Start = '2030-05-06 09:00' } | Get-LeaseWindow } catch { $_ }");
            var err = r.Output.Select(o => o.BaseObject).OfType<ErrorRecord>().Single();
            Assert.StartsWith("InvalidReservationObject", err.FullyQualifiedErrorId);
            Assert.Contains("End", err.Exception.Message);
            r = _ps.Run("try { Get-LeaseWindow } catch { $_ }");
            Assert.StartsWith("CalendarMissing", r.Output.Select(o => o.BaseObject).OfType<ErrorRecord>().Single().FullyQualifiedErrorId);
        }

        [Fact]
        public void Results_are_flat_and_have_a_table_view_and_help()
        {
            var csv = Write("c.csv", "Device,Start,End\npi5-01,2030-05-06 09:00,2030-05-06 10:00\n");
            var r = _ps.Run("Get-LeaseWindow -Calendar $args[0] -From $from -To $to -First 1", csv);
            var w = Assert.Single(r.Output);
            foreach (var p in new[] { "ComputerName", "Device", "DeviceUid", "StartUtc", "EndUtc", "StartLocal", "EndLocal", "TimeZone", "Duration" })
                Assert.NotNull(w.Properties[p]);
            Assert.All(w.Properties, p => Assert.True(p.Value == null || p.Value is string || p.Value is int || p.Value is double || p.Value is DateTimeOffset, p.Name));
            // Get-FormatData and Out-String live in Commands.Utility, absent from the hosted engine: read the shipped view
            var formats = System.Xml.Linq.XDocument.Load(Path.Combine(Path.GetDirectoryName(Repo.ModuleManifest)!, "formats", "Leases.Format.ps1xml"));
            var viewed = formats.Descendants("TypeName").Select(t => t.Value).ToList();
            Assert.Contains("EdgeOps.LeaseWindow", viewed);
            Assert.Contains("EdgeOps.EdgeLease", viewed);
            foreach (var cmd in new[] { "Get-LeaseWindow", "New-EdgeLease" })
            {
                var examples = _ps.Run($"@((Get-Help {cmd}).examples.example).Count");
                Assert.True((int)examples.Output.Single().BaseObject >= 2, cmd + " has fewer than two examples");
                var parameters = _ps.Run($"(Get-Command {cmd}).Parameters.Keys").Output.Select(o => o.ToString()!)
                    .Except(new[] { "Verbose", "Debug", "ErrorAction", "WarningAction", "InformationAction", "ProgressAction", "ErrorVariable", "WarningVariable", "InformationVariable", "OutVariable", "OutBuffer", "PipelineVariable", "WhatIf", "Confirm" });
                var documented = _ps.Run($"(Get-Help {cmd}).parameters.parameter.name").Output.Select(o => o.ToString()).ToList();
                Assert.All(parameters, p => Assert.Contains(p, documented));
            }
        }
    }
}
