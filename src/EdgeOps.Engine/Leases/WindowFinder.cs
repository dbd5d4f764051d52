using System;
using System.Collections.Generic;

namespace EdgeOps.Leases
{
    /// <summary>The rules a free window must satisfy. All instants UTC.</summary>
    public sealed class WindowRules
    {
        /// <summary>The block the user reserves, e.g. 2 hours; the window is Duration - EndGuard long.</summary>
        public TimeSpan Duration { get; set; } = TimeSpan.FromHours(2);
        /// <summary>Taken off the end so the next lease, which starts on the boundary, never races this one.</summary>
        public TimeSpan EndGuard { get; set; } = TimeSpan.FromMinutes(5);
        /// <summary>Starts fall on multiples of Align counted from 1970-01-01 00:00 UTC (so 1h: every UTC hour).</summary>
        public TimeSpan Align { get; set; } = TimeSpan.FromHours(1);
        /// <summary>The testbed's longest lease (CHI@Edge: 7 days).</summary>
        public TimeSpan MaxLease { get; set; } = TimeSpan.FromDays(7);
        public DateTimeOffset From { get; set; }
        public DateTimeOffset To { get; set; }

        public TimeSpan WindowLength => Duration - EndGuard;

        /// <summary>Throws a clear error for rules no window can satisfy.</summary>
        public void Validate()
        {
            if (Duration <= TimeSpan.Zero) Fail("Duration", $"-Duration must be positive (it is {Duration}): give e.g. -Duration 2h.");
            if (EndGuard < TimeSpan.Zero) Fail("EndGuard", $"-EndGuard can't be negative (it is {EndGuard}): give 0 or more, e.g. -EndGuard 5m.");
            if (EndGuard >= Duration) Fail("EndGuard", $"-EndGuard ({EndGuard}) must be shorter than -Duration ({Duration}): lower -EndGuard or raise -Duration.");
            if (Align < TimeSpan.FromMinutes(1) || Align.Ticks % TimeSpan.TicksPerMinute != 0)
                Fail("Align", $"-Align must be a whole number of minutes, at least 1 minute (it is {Align}): Blazar takes times to the minute.");
            if (Duration.Ticks % TimeSpan.TicksPerMinute != 0 || EndGuard.Ticks % TimeSpan.TicksPerMinute != 0)
                Fail("Duration", "-Duration and -EndGuard must be whole minutes: Blazar takes times to the minute. Give them in minutes or hours.");
            if (WindowLength > MaxLease)
                Fail("Duration", $"A {Format(Duration)} block less the {Format(EndGuard)} end guard is a {Format(WindowLength)} lease, longer than the testbed's longest lease ({Format(MaxLease)}). Ask for a shorter -Duration, or raise -MaxLeaseDuration if your testbed allows it.");
            if (To <= From) Fail("To", $"The search range is empty: -To ({To:u}) must be later than -From ({From:u}): give a -To after -From, or use -Within.");
        }

        static string Format(TimeSpan t) => t.TotalDays >= 1 && t.Ticks % TimeSpan.TicksPerDay == 0 ? $"{t.TotalDays:0.##}d"
            : t.TotalHours >= 1 && t.Ticks % TimeSpan.TicksPerHour == 0 ? $"{t.TotalHours:0.##}h" : $"{t.TotalMinutes:0.##}m";

        static void Fail(string parameter, string message) =>
            throw new EdgeOpsException("InvalidLeaseWindowRule", "InvalidArgument", message);
    }

    /// <summary>
    /// The search itself: a sweep over one device's (or one group's) busy intervals. Busy intervals are merged,
    /// each free gap is clipped to the search range, and every aligned start whose window fits in the gap is a
    /// result. O(n log n) in the reservations (the sort) plus O(results).
    /// </summary>
    public static class WindowFinder
    {
        /// <summary>A reservation [Start, End) in UTC ticks.</summary>
        public struct Busy
        {
            public long Start;
            public long End;
            public Busy(long start, long end) { Start = start; End = end; }
        }

        /// <summary>Free window starts (UTC ticks), ascending. <paramref name="busy"/> is sorted in place.</summary>
        public static List<long> FreeStarts(Busy[] busy, int count, WindowRules rules, int limit = int.MaxValue)
        {
            var starts = new List<long>();
            FreeStarts(busy, count, rules, starts, limit);
            return starts;
        }

        /// <summary>Appends the free starts to <paramref name="output"/>; stops after <paramref name="limit"/>.</summary>
        public static void FreeStarts(Busy[] busy, int count, WindowRules rules, List<long> output, int limit = int.MaxValue)
        {
            long from = rules.From.UtcTicks, to = rules.To.UtcTicks;
            long length = rules.WindowLength.Ticks, align = rules.Align.Ticks;
            if (length <= 0 || align <= 0 || to <= from) return;
            if (count > 1) Array.Sort(busy, 0, count, BusyByStart.Instance);
            long cursor = from; // start of the current free gap
            int added = 0;
            for (int i = 0; i < count; i++)
            {
                long s = busy[i].Start, e = busy[i].End;
                if (e < from) continue; // wholly before the range (touching 'from' still matters: a zero-length gap)
                if (s > to) break;      // sorted: nothing later matters
                if (s >= cursor)
                {
                    added += Emit(cursor, Math.Min(s, to), length, align, output, limit - added);
                    if (added >= limit) return;
                }
                if (e > cursor) cursor = e;
            }
            if (cursor < to) Emit(cursor, to, length, align, output, limit - added);
        }

        static int Emit(long gapStart, long gapEnd, long length, long align, List<long> output, int room)
        {
            long last = gapEnd - length;
            long first = AlignUp(gapStart, align);
            int n = 0;
            for (long s = first; s <= last && n < room; s += align) { output.Add(s); n++; }
            return n;
        }

        static readonly long s_epoch = LeaseTime.UnixEpoch.UtcTicks;

        /// <summary>The first multiple of <paramref name="align"/> (from the Unix epoch) at or after <paramref name="ticks"/>.</summary>
        public static long AlignUp(long ticks, long align)
        {
            long r = (ticks - s_epoch) % align;
            if (r < 0) r += align;
            return r == 0 ? ticks : ticks + (align - r);
        }

        sealed class BusyByStart : IComparer<Busy>
        {
            public static readonly BusyByStart Instance = new BusyByStart();
            public int Compare(Busy x, Busy y) => x.Start.CompareTo(y.Start);
        }
    }
}
