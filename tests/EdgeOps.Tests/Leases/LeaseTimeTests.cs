using EdgeOps.Leases;
using Xunit;

namespace EdgeOps.Tests.Leases
{
    /// <summary>Daylight-saving changes in several zones (IANA and Windows names), spans, and UTC inputs.</summary>
    public class LeaseTimeTests
    {
        static CalendarData OneDevice(params (DateTimeOffset s, DateTimeOffset e)[] busy)
        {
            var c = new CalendarData { Source = "t", DevicesAuthoritative = true };
            c.Devices.Add(new LeaseDevice { Name = "pi5-01" });
            foreach (var (s, e) in busy) c.Reservations.Add(new LeaseReservation { Device = "pi5-01", StartUtc = s, EndUtc = e });
            return c;
        }

        static List<LeaseWindow> Find(string zone, DateTimeOffset from, DateTimeOffset to) =>
            LeasePlanner.Find(OneDevice(), new LeaseQuery
            {
                Rules = new WindowRules { From = from, To = to }, Zone = LeaseTime.ResolveZone(zone), ZoneName = zone,
            });

        [Theory]
        [InlineData("America/New_York")]
        [InlineData("Eastern Standard Time")]
        public void Spring_forward_in_New_York_shows_each_end_with_its_own_offset(string zone)
        {
            // 2025-03-09 07:00Z: clocks jump from 02:00 EST to 03:00 EDT
            var from = new DateTimeOffset(2025, 3, 9, 5, 0, 0, TimeSpan.Zero);
            var windows = Find(zone, from, from.AddHours(5));
            var w = windows.Single(x => x.StartUtc == new DateTimeOffset(2025, 3, 9, 6, 0, 0, TimeSpan.Zero));
            Assert.Equal(new DateTime(2025, 3, 9, 1, 0, 0), w.StartLocal.DateTime);
            Assert.Equal(TimeSpan.FromHours(-5), w.StartLocal.Offset);
            Assert.Equal(new DateTime(2025, 3, 9, 3, 55, 0), w.EndLocal.DateTime); // 1:55 h later, but the wall clock moved 2:55
            Assert.Equal(TimeSpan.FromHours(-4), w.EndLocal.Offset);
            Assert.Equal(w.StartUtc, w.StartLocal.ToUniversalTime());
            Assert.Equal(w.EndUtc, w.EndLocal.ToUniversalTime());
            Assert.Equal(zone, w.TimeZone);
            // starts stay on UTC hours (the testbed's rule), so local starts are 00:00, 01:00, 03:00, 04:00 (02:00 never happens)
            Assert.Equal(new[] { 0, 1, 3, 4 }, windows.Select(x => x.StartLocal.Hour).ToArray());
        }

        [Theory]
        [InlineData("Europe/Berlin")]
        [InlineData("W. Europe Standard Time")]
        public void Fall_back_in_Berlin_keeps_the_repeated_hour_apart_by_offset(string zone)
        {
            // 2025-10-26 01:00Z: clocks go back from 03:00 CEST to 02:00 CET; 02:xx happens twice
            var from = new DateTimeOffset(2025, 10, 25, 23, 0, 0, TimeSpan.Zero);
            var windows = Find(zone, from, from.AddHours(5));
            var first = windows.Single(x => x.StartUtc == new DateTimeOffset(2025, 10, 26, 0, 0, 0, TimeSpan.Zero));
            var second = windows.Single(x => x.StartUtc == new DateTimeOffset(2025, 10, 26, 1, 0, 0, TimeSpan.Zero));
            Assert.Equal(new DateTime(2025, 10, 26, 2, 0, 0), first.StartLocal.DateTime);
            Assert.Equal(TimeSpan.FromHours(2), first.StartLocal.Offset);
            Assert.Equal(new DateTime(2025, 10, 26, 2, 0, 0), second.StartLocal.DateTime);
            Assert.Equal(TimeSpan.FromHours(1), second.StartLocal.Offset);
            Assert.Equal(new DateTime(2025, 10, 26, 2, 55, 0), first.EndLocal.DateTime); // 00:00Z+1:55 = 01:55Z = 02:55 CET
            Assert.Equal(TimeSpan.FromHours(1), first.EndLocal.Offset);
            Assert.NotEqual(first.StartLocal, second.StartLocal);
        }

        [Fact]
        public void Half_hour_zones_and_half_hour_daylight_saving_are_exact()
        {
            // Kolkata (+05:30): UTC hour boundaries are :30 locally
            var from = new DateTimeOffset(2025, 1, 10, 0, 0, 0, TimeSpan.Zero);
            var w = Find("Asia/Kolkata", from, from.AddHours(3)).First();
            Assert.Equal(new DateTime(2025, 1, 10, 5, 30, 0), w.StartLocal.DateTime);
            // Lord Howe: DST is 30 minutes; at 2025-04-05 15:00Z (Sunday 6th, 02:00 local) clocks go back to 01:30 (+11 to +10:30)
            var lh = Find("Australia/Lord_Howe", new DateTimeOffset(2025, 4, 5, 14, 0, 0, TimeSpan.Zero), new DateTimeOffset(2025, 4, 5, 18, 0, 0, TimeSpan.Zero));
            var a = lh.Single(x => x.StartUtc.Hour == 14);
            Assert.Equal(TimeSpan.FromHours(11), a.StartLocal.Offset);
            Assert.Equal(new TimeSpan(10, 30, 0), a.EndLocal.Offset);
            Assert.Equal(new DateTime(2025, 4, 6, 1, 0, 0), a.StartLocal.DateTime); // 14:00Z + 11:00
            Assert.Equal(new DateTime(2025, 4, 6, 2, 25, 0), a.EndLocal.DateTime);  // 15:55Z + 10:30
        }

        [Fact]
        public void Wall_clock_times_in_a_gap_move_forward_and_in_an_overlap_take_the_first()
        {
            var ny = LeaseTime.ResolveZone("America/New_York");
            Assert.Equal(new DateTimeOffset(2025, 3, 9, 7, 30, 0, TimeSpan.Zero), LeaseTime.FromWallClock(new DateTime(2025, 3, 9, 2, 30, 0), ny));
            var berlin = LeaseTime.ResolveZone("Europe/Berlin");
            Assert.Equal(new DateTimeOffset(2025, 10, 26, 0, 30, 0, TimeSpan.Zero), LeaseTime.FromWallClock(new DateTime(2025, 10, 26, 2, 30, 0), berlin));
            Assert.Equal(new DateTimeOffset(2025, 7, 1, 10, 0, 0, TimeSpan.Zero), LeaseTime.FromWallClock(new DateTime(2025, 7, 1, 12, 0, 0), berlin));
        }

        [Fact]
        public void Unknown_zone_names_the_parameter_and_the_forms_accepted()
        {
            var e = Assert.Throws<EdgeOpsException>(() => LeaseTime.ResolveZone("Mars/Olympus_Mons"));
            Assert.Equal("UnknownTimeZone", e.ErrorId);
            Assert.Contains("-TimeZone 'Mars/Olympus_Mons'", e.Message);
            Assert.Contains("IANA", e.Message);
        }

        [Fact]
        public void Inputs_are_UTC_unless_they_carry_an_offset()
        {
            Assert.Equal(new DateTimeOffset(2025, 3, 10, 14, 0, 0, TimeSpan.Zero), LeaseTime.ToUtc("2025-03-10 14:00", TimeZoneInfo.Utc, "x"));
            Assert.Equal(new DateTimeOffset(2025, 3, 10, 12, 0, 0, TimeSpan.Zero), LeaseTime.ToUtc("2025-03-10T14:00:00+02:00", TimeZoneInfo.Utc, "x"));
            Assert.Equal(new DateTimeOffset(2025, 3, 10, 14, 0, 0, TimeSpan.Zero), LeaseTime.ToUtc(new DateTime(2025, 3, 10, 14, 0, 0, DateTimeKind.Utc), TimeZoneInfo.Utc, "x"));
            var local = new DateTime(2025, 3, 10, 14, 0, 0, DateTimeKind.Local);
            Assert.Equal(new DateTimeOffset(local).ToUniversalTime(), LeaseTime.ToUtc(local, TimeZoneInfo.Utc, "x"));
            Assert.Equal(new DateTimeOffset(2025, 3, 10, 14, 0, 0, TimeSpan.Zero), LeaseTime.ParseBlazarDate("2025-03-10T14:00:00.000000"));
            Assert.Equal("2025-03-10 14:00", LeaseTime.FormatBlazarDate(new DateTimeOffset(2025, 3, 10, 16, 0, 0, TimeSpan.FromHours(2))));
            // text without an offset, read in a given zone (a date alone is midnight there, not an offset of -10 hours)
            var ny = LeaseTime.ResolveZone("America/New_York");
            Assert.Equal(new DateTimeOffset(2025, 3, 10, 4, 0, 0, TimeSpan.Zero), LeaseTime.ToUtc("2025-03-10", ny, "x"));
            Assert.Equal(new DateTimeOffset(2025, 3, 10, 18, 0, 0, TimeSpan.Zero), LeaseTime.ToUtc("2025-03-10 14:00", ny, "x"));
            Assert.Equal(new DateTimeOffset(2025, 3, 10, 14, 0, 0, TimeSpan.Zero), LeaseTime.ToUtc("2025-03-10 14:00Z", ny, "x"));
            Assert.Equal(new DateTimeOffset(2025, 3, 10, 12, 0, 0, TimeSpan.Zero), LeaseTime.ToUtc("2025-03-10T14:00:00+02:00", ny, "x"));
            var e = Assert.Throws<EdgeOpsException>(() => LeaseTime.ToUtc("next tuesday", TimeZoneInfo.Utc, "line 3 Start"));
            Assert.Contains("line 3 Start", e.Message);
        }
    }
}
