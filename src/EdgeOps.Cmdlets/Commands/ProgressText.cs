using System;
using System.Management.Automation;

namespace EdgeOps.Commands
{
    /// <summary>The one progress text: "what 12.0 MB of 100.0 MB at 4.0 MB/s", with percent and seconds left.</summary>
    static class ProgressText
    {
        public static ProgressRecord Bytes(ProgressRecord record, string what, long done, long total, EdgeOps.Fleet.RateMeter meter)
        {
            if (total > 0)
            {
                record.PercentComplete = (int)Math.Max(0, Math.Min(100, done * 100 / total));
                record.SecondsRemaining = meter.SecondsRemaining(done, total);
                record.StatusDescription = $"{what} {EdgeOps.Fleet.RateMeter.Human(done)} of {EdgeOps.Fleet.RateMeter.Human(total)} at {EdgeOps.Fleet.RateMeter.Human(meter.BytesPerSecond(done))}/s".Trim();
            }
            else record.StatusDescription = string.IsNullOrEmpty(what) ? "..." : what;
            return record;
        }
    }
}
