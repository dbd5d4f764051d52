using System;
using System.Collections.Generic;
using System.Linq;

namespace EdgeOps.Benchmark
{
    /// <summary>
    /// Summary statistics of a latency sample, computed in one place for local and remote runs alike.
    /// Percentiles interpolate linearly between order statistics (Hyndman-Fan type 7, as numpy and Excel's
    /// PERCENTILE.INC); the standard deviation is the sample one (n - 1), by Welford's method.
    /// </summary>
    public sealed class LatencyStatistics
    {
        public int Count { get; private set; }
        public double Mean { get; private set; }
        public double Median { get; private set; }
        public double P90 { get; private set; }
        public double P95 { get; private set; }
        public double P99 { get; private set; }
        public double Min { get; private set; }
        public double Max { get; private set; }
        public double StdDev { get; private set; }

        public static LatencyStatistics Compute(IEnumerable<double> samples)
        {
            var sorted = samples.ToArray();
            if (sorted.Length == 0) throw new ArgumentException("No latency was measured.", nameof(samples));
            if (sorted.Any(v => double.IsNaN(v) || double.IsInfinity(v))) throw new ArgumentException("A latency is not a finite number.", nameof(samples));
            Array.Sort(sorted);
            double mean = 0, m2 = 0;
            for (int i = 0; i < sorted.Length; i++)
            {
                double delta = sorted[i] - mean;
                mean += delta / (i + 1);
                m2 += delta * (sorted[i] - mean);
            }
            return new LatencyStatistics
            {
                Count = sorted.Length,
                Mean = mean,
                Median = Percentile(sorted, 50),
                P90 = Percentile(sorted, 90),
                P95 = Percentile(sorted, 95),
                P99 = Percentile(sorted, 99),
                Min = sorted[0],
                Max = sorted[sorted.Length - 1],
                StdDev = sorted.Length > 1 ? Math.Sqrt(m2 / (sorted.Length - 1)) : 0,
            };
        }

        /// <summary>The p-th percentile (0-100) of an ascending array.</summary>
        public static double Percentile(double[] sorted, double p)
        {
            if (sorted.Length == 0) throw new ArgumentException("Empty sample.", nameof(sorted));
            if (p < 0 || p > 100) throw new ArgumentOutOfRangeException(nameof(p));
            double h = (sorted.Length - 1) * p / 100.0;
            int lo = (int)Math.Floor(h);
            int hi = Math.Min(lo + 1, sorted.Length - 1);
            return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
        }
    }
}
