using EdgeOps.Leases;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Xunit;

namespace EdgeOps.Tests.Leases
{
    /// <summary>A random calendar and random rules, all in whole minutes from a base instant.</summary>
    public sealed class Scenario
    {
        public DateTimeOffset Base;
        public int Devices;
        public List<(int device, int start, int length)> Bookings = new();
        public int DurationMin, GuardMin, AlignMin, FromMin, ToMin;
        public int First;

        public WindowRules Rules() => new()
        {
            Duration = TimeSpan.FromMinutes(DurationMin), EndGuard = TimeSpan.FromMinutes(GuardMin), Align = TimeSpan.FromMinutes(AlignMin),
            MaxLease = TimeSpan.FromDays(7), From = Base.AddMinutes(FromMin), To = Base.AddMinutes(ToMin),
        };

        public static string Name(int i) => $"pi5-{i:00}";

        public CalendarData Calendar()
        {
            var c = new CalendarData { Source = "scenario" };
            foreach (var (d, s, l) in Bookings)
                c.Reservations.Add(new LeaseReservation { Device = Name(d), StartUtc = Base.AddMinutes(s), EndUtc = Base.AddMinutes(s + l) });
            for (int i = 0; i < Devices; i++) c.Devices.Add(new LeaseDevice { Name = Name(i) });
            c.DevicesAuthoritative = true;
            return c;
        }

        public override string ToString() =>
            $"base {Base:u} devices {Devices} dur {DurationMin} guard {GuardMin} align {AlignMin} from {FromMin} to {ToMin} first {First} bookings [{string.Join(" ", Bookings.Select(b => $"{b.device}:{b.start}+{b.length}"))}]";
    }

    public static class ScenarioArbitrary
    {
        public static Arbitrary<Scenario> Scenarios()
        {
            var booking = from d in Gen.Choose(0, 3)
                          from s in Gen.Choose(-600, 4000)
                          from l in Gen.Frequency((1, Gen.Constant(0)), (8, Gen.Choose(1, 600)))
                          select (d, s, l);
            var gen = from devices in Gen.Choose(1, 4)
                      from n in Gen.Choose(0, 30)
                      from bookings in booking.ListOf(n)
                      from dur in Gen.Choose(3, 72).Select(x => x * 5)
                      from guard in Gen.Choose(0, 10)
                      from align in Gen.Elements(1, 5, 7, 15, 30, 60, 120, 1440)
                      from start in Gen.Choose(-120, 1440)
                      from span in Gen.Choose(30, 2880)
                      from shift in Gen.Choose(0, 59)
                      from first in Gen.Frequency((3, Gen.Constant(0)), (1, Gen.Choose(1, 20)))
                      select new Scenario
                      {
                          Base = new DateTimeOffset(2025, 3, 8, 0, 0, 0, TimeSpan.Zero).AddMinutes(shift), Devices = devices,
                          Bookings = bookings.Where(b => b.d < devices).ToList(),
                          DurationMin = dur, GuardMin = Math.Min(guard, dur - 1), AlignMin = align, FromMin = start, ToMin = start + span, First = first,
                      };
            return gen.ToArbitrary();
        }
    }

    /// <summary>
    /// The search against a brute-force minute scan over random calendars: every window is free, aligned, guarded,
    /// inside the horizon and the policy, sorted, and none is missed.
    /// </summary>
    public class WindowPropertyTests
    {
        static readonly long Epoch = LeaseTime.UnixEpoch.UtcTicks;

        /// <summary>Every minute of the range tried as a start; the definition, written the slow and obvious way.</summary>
        static List<(long start, string device)> BruteForce(Scenario s, bool allOf)
        {
            var r = s.Rules();
            var result = new List<(long, string)>();
            var len = r.WindowLength.Ticks;
            var cal = s.Calendar();
            var groups = allOf ? new List<List<string>> { Enumerable.Range(0, s.Devices).Select(Scenario.Name).ToList() }
                               : Enumerable.Range(0, s.Devices).Select(i => new List<string> { Scenario.Name(i) }).ToList();
            for (long t = r.From.UtcTicks; t <= r.To.UtcTicks; t += TimeSpan.TicksPerMinute)
            {
                if ((t - Epoch) % r.Align.Ticks != 0) continue;
                if (t + len > r.To.UtcTicks) continue;
                foreach (var g in groups)
                {
                    bool free = cal.Reservations.Where(x => g.Contains(x.Device)).All(x => !(t < x.EndUtc.UtcTicks && x.StartUtc.UtcTicks < t + len));
                    if (free) result.Add((t, string.Join(",", g)));
                }
            }
            return result.OrderBy(x => x.Item1).ThenBy(x => x.Item2, StringComparer.OrdinalIgnoreCase).ToList();
        }

        static void Check(Scenario s, bool allOf)
        {
            var query = new LeaseQuery { Rules = s.Rules(), AllOf = allOf, First = s.First, Zone = TimeZoneInfo.Utc, ZoneName = "UTC" };
            var windows = LeasePlanner.Find(s.Calendar(), query);
            var expected = BruteForce(s, allOf);
            if (s.First > 0) expected = expected.Take(s.First).ToList();
            var actual = windows.Select(w => (w.StartUtc.UtcTicks, w.Device)).ToList();
            Assert.True(expected.SequenceEqual(actual),
                $"{s}\nexpected {expected.Count}: {string.Join(", ", expected.Take(8).Select(e => $"{new DateTimeOffset(e.start, TimeSpan.Zero):u} {e.device}"))}\n" +
                $"actual {actual.Count}: {string.Join(", ", actual.Take(8).Select(e => $"{new DateTimeOffset(e.Item1, TimeSpan.Zero):u} {e.Item2}"))}");

            // the properties, each on its own (the comparison above implies them; these name what broke)
            var r = s.Rules();
            var cal = s.Calendar();
            for (int i = 0; i < windows.Count; i++)
            {
                var w = windows[i];
                Assert.Equal(0, (w.StartUtc.UtcTicks - Epoch) % r.Align.Ticks);                       // aligned
                Assert.Equal(r.Duration - r.EndGuard, w.EndUtc - w.StartUtc);                          // guarded
                Assert.True(w.StartUtc >= r.From && w.EndUtc <= r.To);                                 // in the horizon
                Assert.True(w.EndUtc - w.StartUtc <= r.MaxLease);                                      // policy
                var devices = w.Device.Split(',');
                Assert.DoesNotContain(cal.Reservations, x => devices.Contains(x.Device) && w.StartUtc < x.EndUtc && x.StartUtc < w.EndUtc); // free
                if (i > 0) Assert.True(windows[i - 1].StartUtc <= w.StartUtc);                         // sorted
                Assert.Equal(TimeSpan.Zero, w.StartUtc.Offset);
            }
        }

        [Property(Arbitrary = new[] { typeof(ScenarioArbitrary) }, MaxTest = 400)]
        public void Every_window_per_device_matches_a_minute_scan(Scenario s) => Check(s, allOf: false);

        [Property(Arbitrary = new[] { typeof(ScenarioArbitrary) }, MaxTest = 300)]
        public void Windows_free_on_all_devices_at_once_match_a_minute_scan(Scenario s) => Check(s, allOf: true);

        [Fact]
        public void Two_hour_block_is_HH00_to_next_hour_55_around_a_booking()
        {
            var b = new DateTimeOffset(2025, 6, 2, 0, 0, 0, TimeSpan.Zero);
            var cal = new CalendarData { Source = "t", DevicesAuthoritative = true };
            cal.Devices.Add(new LeaseDevice { Name = "pi5-01" });
            // busy 00:00-09:55 and 12:00-23:55: free 09:55-12:00, so only 10:00-11:55 fits a 2h block
            cal.Reservations.Add(new LeaseReservation { Device = "pi5-01", StartUtc = b, EndUtc = b.AddHours(9).AddMinutes(55) });
            cal.Reservations.Add(new LeaseReservation { Device = "pi5-01", StartUtc = b.AddHours(12), EndUtc = b.AddHours(23).AddMinutes(55) });
            var q = new LeaseQuery { Rules = new WindowRules { From = b, To = b.AddDays(1) } };
            var w = Assert.Single(LeasePlanner.Find(cal, q));
            Assert.Equal(b.AddHours(10), w.StartUtc);
            Assert.Equal(b.AddHours(11).AddMinutes(55), w.EndUtc);
            Assert.Equal("01:55:00", w.Duration);
            Assert.Equal(115, w.DurationMinutes);
        }

        [Fact]
        public void Rules_no_window_can_meet_are_refused_with_the_parameter_named()
        {
            var b = DateTimeOffset.UtcNow;
            var e = Assert.Throws<EdgeOpsException>(() => new WindowRules { Duration = TimeSpan.FromDays(8), From = b, To = b.AddDays(30) }.Validate());
            Assert.Contains("longest lease", e.Message);
            Assert.Contains("-Duration", e.Message);
            e = Assert.Throws<EdgeOpsException>(() => new WindowRules { EndGuard = TimeSpan.FromHours(3), From = b, To = b.AddDays(1) }.Validate());
            Assert.Contains("-EndGuard", e.Message);
            e = Assert.Throws<EdgeOpsException>(() => new WindowRules { Align = TimeSpan.FromSeconds(30), From = b, To = b.AddDays(1) }.Validate());
            Assert.Contains("-Align", e.Message);
            e = Assert.Throws<EdgeOpsException>(() => new WindowRules { From = b, To = b }.Validate());
            Assert.Contains("-To", e.Message);
        }
    }
}
