using System;
using System.Threading;
using EdgeOps.Transport;

namespace EdgeOps.Fleet
{
    /// <summary>Rate and ETA for a byte count, shared by every progress display.</summary>
    public sealed class RateMeter
    {
        readonly System.Diagnostics.Stopwatch _sw = System.Diagnostics.Stopwatch.StartNew();
        public double BytesPerSecond(long done) => _sw.Elapsed.TotalSeconds > 0.05 ? done / _sw.Elapsed.TotalSeconds : 0;
        public int SecondsRemaining(long done, long total)
        {
            var rate = BytesPerSecond(done);
            if (rate <= 0 || total <= 0 || done >= total) return -1;
            return (int)Math.Min(int.MaxValue, (total - done) / rate);
        }
        public static string Human(double bytes)
        {
            string[] u = { "B", "KB", "MB", "GB", "TB" };
            int i = 0;
            while (bytes >= 1024 && i < u.Length - 1) { bytes /= 1024; i++; }
            return bytes.ToString(i == 0 ? "0" : "0.0", System.Globalization.CultureInfo.InvariantCulture) + " " + u[i];
        }
    }
}
