using EdgeOps.Benchmark;
using Xunit;

namespace EdgeOps.Tests.Benchmark
{
    public class StatisticsTests
    {
        [Fact]
        public void Percentiles_interpolate_between_order_statistics()
        {
            // 0..100: the p-th percentile of type 7 is exactly p.
            var s = LatencyStatistics.Compute(Enumerable.Range(0, 101).Select(i => (double)i).Reverse());
            Assert.Equal(50, s.Median, 9);
            Assert.Equal(90, s.P90, 9);
            Assert.Equal(95, s.P95, 9);
            Assert.Equal(99, s.P99, 9);
            Assert.Equal(0, s.Min);
            Assert.Equal(100, s.Max);
            Assert.Equal(50, s.Mean, 9);
            // sample variance of 0..100: sum (i - 50)^2 / 100 = 858.5
            Assert.Equal(Math.Sqrt(858.5), s.StdDev, 9);

            var four = LatencyStatistics.Compute(new double[] { 4, 1, 3, 2 });
            Assert.Equal(2.5, four.Median, 12);
            Assert.Equal(3.7, four.P90, 12);   // h = 3 * 0.9 = 2.7: 3 + 0.7 * (4 - 3)
            Assert.Equal(3.97, four.P99, 12);

            var one = LatencyStatistics.Compute(new double[] { 7.5 });
            Assert.Equal(7.5, one.Median);
            Assert.Equal(7.5, one.P99);
            Assert.Equal(0, one.StdDev);
        }

        [Fact]
        public void Bad_samples_are_refused()
        {
            Assert.Throws<ArgumentException>(() => LatencyStatistics.Compute(Array.Empty<double>()));
            Assert.Throws<ArgumentException>(() => LatencyStatistics.Compute(new[] { 1.0, double.NaN }));
        }

        // Samples of known distributions (seeded): the statistics must land on the analytic values.
        const int N = 200_000;

        [Fact]
        public void Uniform_distribution()
        {
            var rng = new SeededRandom(11);
            var s = LatencyStatistics.Compute(Enumerable.Range(0, N).Select(_ => 2 + 8 * rng.NextDouble()));
            Assert.InRange(s.Mean, 6 - 0.03, 6 + 0.03);
            Assert.InRange(s.Median, 6 - 0.04, 6 + 0.04);
            Assert.InRange(s.P90, 9.2 - 0.03, 9.2 + 0.03);
            Assert.InRange(s.P95, 9.6 - 0.02, 9.6 + 0.02);
            Assert.InRange(s.P99, 9.92 - 0.01, 9.92 + 0.01);
            Assert.InRange(s.StdDev, 8 / Math.Sqrt(12) - 0.01, 8 / Math.Sqrt(12) + 0.01);
            Assert.InRange(s.Min, 2, 2.001);
            Assert.InRange(s.Max, 9.999, 10);
        }

        [Fact]
        public void Normal_distribution()
        {
            var rng = new SeededRandom(12);
            var v = rng.Normal(N, 2f).Select(x => 10 + (double)x);
            var s = LatencyStatistics.Compute(v);
            Assert.InRange(s.Mean, 10 - 0.02, 10 + 0.02);
            Assert.InRange(s.Median, 10 - 0.02, 10 + 0.02);
            Assert.InRange(s.P90, 10 + 1.28155 * 2 - 0.03, 10 + 1.28155 * 2 + 0.03);
            Assert.InRange(s.P95, 10 + 1.64485 * 2 - 0.04, 10 + 1.64485 * 2 + 0.04);
            Assert.InRange(s.P99, 10 + 2.32635 * 2 - 0.06, 10 + 2.32635 * 2 + 0.06);
            Assert.InRange(s.StdDev, 2 - 0.02, 2 + 0.02);
        }

        [Fact]
        public void Exponential_distribution_has_a_long_tail()
        {
            var rng = new SeededRandom(13);
            // Exponential with mean 3 ms: quantile q = -3 ln(1 - q)
            var s = LatencyStatistics.Compute(Enumerable.Range(0, N).Select(_ => -3 * Math.Log(1 - rng.NextDouble())));
            Assert.InRange(s.Mean, 3 - 0.03, 3 + 0.03);
            Assert.InRange(s.Median, 3 * Math.Log(2) - 0.03, 3 * Math.Log(2) + 0.03);
            Assert.InRange(s.P90, 3 * Math.Log(10) - 0.06, 3 * Math.Log(10) + 0.06);
            Assert.InRange(s.P99, 3 * Math.Log(100) - 0.2, 3 * Math.Log(100) + 0.2);
            Assert.InRange(s.StdDev, 3 - 0.05, 3 + 0.05);
            Assert.True(s.Mean > s.Median);
        }

        [Fact]
        public void Budgets_name_what_failed()
        {
            var r = new BenchmarkResult { MedianMs = 18.2, P99Ms = 30, ModelBytes = 6_478_010, Throughput = 50 };
            new BenchmarkBudgets { MaxMedianMs = 15, MaxP99Ms = 40, MaxModelBytes = 5L * 1024 * 1024, MinThroughput = 100 }.Apply(r);
            Assert.False(r.Passed);
            Assert.Contains("MedianMs 18.2 > 15", r.FailedBudgets);
            Assert.Contains("ModelBytes 6478010 > 5242880", r.FailedBudgets);
            Assert.Contains("Throughput 50 < 100", r.FailedBudgets);
            Assert.DoesNotContain("P99Ms", r.FailedBudgets);
            Assert.Equal(40, r.MaxP99Ms);

            var ok = new BenchmarkResult { MedianMs = 1, P99Ms = 2, ModelBytes = 10, Throughput = 1000 };
            BenchmarkBudgets.Edge().Apply(ok);
            Assert.True(ok.Passed);
            Assert.Equal("", ok.FailedBudgets);
            Assert.Null(ok.MinThroughput);
        }
    }
}
