using System;

namespace EdgeOps
{
    /// <summary>
    /// One model measured on one device (Invoke-EdgeBenchmark): latency statistics in milliseconds, throughput
    /// in samples per second at the batch size, size and memory, precision, the budget verdict, and the state
    /// of the machine around the measurement. Flat, so Export-Csv gives one clean row per model and device.
    /// </summary>
    public sealed class BenchmarkResult
    {
        double[] _latencies = new double[0];

        public string ComputerName { get; set; }
        /// <summary>The model's file name.</summary>
        public string Model { get; set; }
        /// <summary>FP32, INT8, FP16... as read from the model's graph.</summary>
        public string Precision { get; set; }
        public string ExecutionProvider { get; set; }
        public long BatchSize { get; set; }
        /// <summary>Timed runs.</summary>
        public int Runs { get; set; }
        public double MedianMs { get; set; }
        public double MeanMs { get; set; }
        public double P90Ms { get; set; }
        public double P95Ms { get; set; }
        public double P99Ms { get; set; }
        public double MinMs { get; set; }
        public double MaxMs { get; set; }
        public double StdDevMs { get; set; }
        /// <summary>Samples per second: batch size times runs per second of inference time.</summary>
        public double Throughput { get; set; }
        /// <summary>Session creation (model load and graph optimization), milliseconds.</summary>
        public double InitMs { get; set; }
        public long ModelBytes { get; set; }
        /// <summary>Memory added by the model's session and warm-up runs: the larger of the peak-RSS growth and the C heap's in-use growth.</summary>
        public long PeakMemoryBytes { get; set; }
        /// <summary>False when a budget failed; true when every budget given was met (or none was given).</summary>
        public bool Passed { get; set; }
        /// <summary>The budgets that failed, e.g. "MedianMs 18.2 > 15"; empty when none did.</summary>
        public string FailedBudgets { get; set; } = "";
        public double? MaxMedianMs { get; set; }
        public double? MaxP99Ms { get; set; }
        public long? MaxModelBytes { get; set; }
        public double? MinThroughput { get; set; }
        public int Threads { get; set; }
        public string GraphOptimization { get; set; }
        public int WarmupRuns { get; set; }
        /// <summary>Resolved input shapes, e.g. "image=1x3x224x224".</summary>
        public string InputShapes { get; set; }
        /// <summary>The host name of the machine that ran the model (the device, for remote runs).</summary>
        public string HostName { get; set; }
        /// <summary>Board model from the device tree (e.g. "Raspberry Pi 5 Model B Rev 1.0") or DMI.</summary>
        public string BoardModel { get; set; }
        public string CpuModel { get; set; }
        public int Cores { get; set; }
        public string Architecture { get; set; }
        public double? CpuMHzBefore { get; set; }
        public double? CpuMHzAfter { get; set; }
        public double? CpuMaxMHz { get; set; }
        public double? TemperatureCBefore { get; set; }
        public double? TemperatureCAfter { get; set; }
        /// <summary>Firmware throttling flags after the runs ("none", "throttled now"...); empty where the board does not report them.</summary>
        public string Throttling { get; set; }
        /// <summary>"in-process", or "runner" and its content hash for runs on a device.</summary>
        public string MeasuredBy { get; set; }
        public string OnnxRuntimeVersion { get; set; }
        /// <summary>The model's path on the machine that ran Invoke-EdgeBenchmark.</summary>
        public string ModelPath { get; set; }
        public DateTimeOffset Timestamp { get; set; }

        /// <summary>The raw latencies, milliseconds, in the order measured (for the report's distribution chart).</summary>
        public double[] GetLatenciesMs() => (double[])_latencies.Clone();

        internal void SetLatencies(double[] latencies) => _latencies = latencies ?? new double[0];

        public override string ToString() => $"{ComputerName} {Model} median {MedianMs:0.###} ms";
    }
}
