using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using EdgeOps.Benchmark.Measure;
using EdgeOps.Benchmark.Onnx;
using EdgeOps.Fleet;

namespace EdgeOps.Benchmark
{
    /// <summary>Budgets a result is held to; null means not checked.</summary>
    public sealed class BenchmarkBudgets
    {
        public double? MaxMedianMs { get; set; }
        public double? MaxP99Ms { get; set; }
        public long? MaxModelBytes { get; set; }
        public double? MinThroughput { get; set; }

        public bool Any => MaxMedianMs.HasValue || MaxP99Ms.HasValue || MaxModelBytes.HasValue || MinThroughput.HasValue;

        /// <summary>The edge budget of the sample: model under 5 MB on disk, median under 15 ms.</summary>
        public static BenchmarkBudgets Edge() => new BenchmarkBudgets { MaxModelBytes = 5L * 1024 * 1024, MaxMedianMs = 15 };

        /// <summary>Sets Passed, FailedBudgets and the budget columns of a result.</summary>
        public void Apply(BenchmarkResult r)
        {
            var failed = new List<string>();
            string F(double v) => v.ToString("0.###", CultureInfo.InvariantCulture);
            if (MaxMedianMs.HasValue && r.MedianMs > MaxMedianMs.Value) failed.Add($"MedianMs {F(r.MedianMs)} > {F(MaxMedianMs.Value)}");
            if (MaxP99Ms.HasValue && r.P99Ms > MaxP99Ms.Value) failed.Add($"P99Ms {F(r.P99Ms)} > {F(MaxP99Ms.Value)}");
            if (MaxModelBytes.HasValue && r.ModelBytes > MaxModelBytes.Value)
                failed.Add($"ModelBytes {r.ModelBytes} > {MaxModelBytes.Value} ({RateMeter.Human(r.ModelBytes)} > {RateMeter.Human(MaxModelBytes.Value)})");
            if (MinThroughput.HasValue && r.Throughput < MinThroughput.Value) failed.Add($"Throughput {F(r.Throughput)} < {F(MinThroughput.Value)}");
            r.MaxMedianMs = MaxMedianMs; r.MaxP99Ms = MaxP99Ms; r.MaxModelBytes = MaxModelBytes; r.MinThroughput = MinThroughput;
            r.Passed = failed.Count == 0;
            r.FailedBudgets = string.Join("; ", failed);
        }
    }

    /// <summary>Invoke-EdgeBenchmark's work for one device: measure (in-process or by the runner on the device), then statistics and budgets.</summary>
    public static class BenchmarkService
    {
        /// <summary>Measures the models on the context's device and returns one result per model.</summary>
        public static IReadOnlyList<BenchmarkResult> Run(IDeviceContext ctx, MeasureRequest request, BenchmarkBudgets budgets, string runnerDirectory = null)
        {
            foreach (var m in request.Models)
                if (!File.Exists(m))
                    throw new EdgeOpsException("ModelNotFound", "ObjectNotFound", $"Model file '{m}' does not exist. Give the path of an .onnx file to -Model.");
            MeasureResponse response;
            string measuredBy;
            const string activity = "Benchmarking";
            if (ctx.Device.IsLocal)
            {
                ctx.Verbose($"Measuring {request.Models.Count} model(s) in-process with ONNX Runtime {Measurer.OnnxRuntimeVersion()}.");
                response = Measurer.Run(request, (done, total) => ctx.Progress(activity, "runs", done, total), ctx.Cancellation);
                measuredBy = "in-process";
            }
            else
            {
                // The device keeps the runner and the models in its cache folder: a change, so -WhatIf and -Confirm apply.
                if (!ctx.ShouldProcess(string.Join(", ", request.Models.Select(Path.GetFileName)),
                        $"Benchmark with the runner (copied to {(string.IsNullOrEmpty(runnerDirectory) ? "~/.cache/edgeops" : runnerDirectory)} with the models when missing)"))
                    return new List<BenchmarkResult>();
                response = RemoteRunner.Measure(ctx, request, runnerDirectory, out var runnerHash);
                measuredBy = "runner " + runnerHash.Substring(0, 12);
            }
            ctx.ProgressDone(activity);
            if (response.Models.Count != request.Models.Count)
                throw new EdgeOpsException("RunnerProtocolError", "InvalidResult",
                    $"{ctx.Device.ComputerName}: the measurement returned {response.Models.Count} model(s) for {request.Models.Count} requested: the runner on the device is out of date or damaged. Delete the device's runner folder (~/.cache/edgeops/runner or -RunnerDirectory) and run again.");
            var results = new List<BenchmarkResult>();
            for (int i = 0; i < request.Models.Count; i++)
                results.Add(ToResult(ctx.Device.ComputerName, request.Models[i], request, response, response.Models[i], measuredBy, budgets));
            return results;
        }

        /// <summary>Turns raw figures into a result: the one place where statistics are computed.</summary>
        public static BenchmarkResult ToResult(string computerName, string modelPath, MeasureRequest request, MeasureResponse response,
                                               ModelMeasurement m, string measuredBy, BenchmarkBudgets budgets)
        {
            if (m.LatenciesMs.Count == 0)
                throw new EdgeOpsException("NoLatencies", "InvalidResult", $"{computerName}: no timed run of '{Path.GetFileName(modelPath)}' was recorded: give -Runs 1 or more, or a longer -Duration.");
            var s = LatencyStatistics.Compute(m.LatenciesMs);
            string precision;
            try { precision = OnnxGraphInfo.Read(modelPath).Precision; }
            catch (InvalidDataException) { precision = "unknown"; }
            var r = new BenchmarkResult
            {
                ComputerName = computerName,
                Model = Path.GetFileName(modelPath),
                ModelPath = Path.GetFullPath(modelPath),
                ModelBytes = new FileInfo(modelPath).Length,
                Precision = precision,
                ExecutionProvider = m.ExecutionProvider,
                BatchSize = m.BatchSize,
                Runs = s.Count,
                MedianMs = s.Median, MeanMs = s.Mean, P90Ms = s.P90, P95Ms = s.P95, P99Ms = s.P99,
                MinMs = s.Min, MaxMs = s.Max, StdDevMs = s.StdDev,
                Throughput = s.Mean > 0 ? m.BatchSize * 1000.0 / s.Mean : 0,
                InitMs = m.InitMs,
                PeakMemoryBytes = m.PeakMemoryBytes,
                Threads = request.Threads,
                GraphOptimization = request.GraphOptimization,
                WarmupRuns = request.WarmupRuns,
                InputShapes = m.InputShapes,
                HostName = response.After.HostName ?? response.Before.HostName,
                BoardModel = response.Before.BoardModel,
                CpuModel = response.Before.CpuModel,
                Cores = response.Before.Cores,
                Architecture = response.Before.Architecture,
                CpuMHzBefore = response.Before.CpuMHz,
                CpuMHzAfter = response.After.CpuMHz,
                CpuMaxMHz = response.Before.CpuMaxMHz,
                TemperatureCBefore = response.Before.TemperatureC,
                TemperatureCAfter = response.After.TemperatureC,
                Throttling = response.After.Throttling ?? response.Before.Throttling ?? "",
                MeasuredBy = measuredBy,
                OnnxRuntimeVersion = response.OnnxRuntimeVersion,
                Timestamp = DateTimeOffset.Now,
            };
            r.SetLatencies(m.LatenciesMs.ToArray());
            (budgets ?? new BenchmarkBudgets()).Apply(r);
            return r;
        }
    }
}
