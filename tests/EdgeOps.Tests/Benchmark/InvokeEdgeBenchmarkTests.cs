using System.Management.Automation;
using EdgeOps.Benchmark;
using EdgeOps.Benchmark.Measure;
using EdgeOps.Benchmark.Onnx;
using EdgeOps.Tests.Infrastructure;
using Xunit;

namespace EdgeOps.Tests.Benchmark
{
    /// <summary>Invoke-EdgeBenchmark in a real PowerShell runspace, on this machine (in-process measurement).</summary>
    public sealed class InvokeEdgeBenchmarkTests : IDisposable
    {
        readonly string _dir = Path.Combine(Path.GetTempPath(), "edgeops-bench-" + Guid.NewGuid().ToString("N"));
        readonly PowerShellSession _ps = new();
        public InvokeEdgeBenchmarkTests() => Directory.CreateDirectory(_dir);
        public void Dispose() { _ps.Dispose(); try { Directory.Delete(_dir, true); } catch (IOException) { } }

        static string P(PSObject o, string name) => o.Properties[name]?.Value?.ToString() ?? "";

        static readonly HashSet<Type> s_flat = new()
        {
            typeof(string), typeof(bool), typeof(int), typeof(long), typeof(double), typeof(DateTimeOffset),
            typeof(int?), typeof(long?), typeof(double?),
        };

        [Fact]
        public void Without_a_model_it_benchmarks_both_samples_against_the_edge_budget()
        {
            var r = _ps.Run("Invoke-EdgeBenchmark -Runs 15 -WarmupRuns 2");
            Assert.Empty(r.Errors);
            Assert.Equal(2, r.Output.Count);
            var fp32 = r.Output.Single(o => P(o, "Model") == SampleModels.Fp32Name);
            var int8 = r.Output.Single(o => P(o, "Model") == SampleModels.Int8Name);
            Assert.Equal("FP32", P(fp32, "Precision"));
            Assert.Equal("INT8", P(int8, "Precision"));
            Assert.Equal("5242880", P(fp32, "MaxModelBytes"));
            Assert.Equal("15", P(fp32, "MaxMedianMs"));
            Assert.Equal("False", P(fp32, "Passed"));
            Assert.Contains("ModelBytes", P(fp32, "FailedBudgets"));
            Assert.DoesNotContain("ModelBytes", P(int8, "FailedBudgets"));
            Assert.True((long)int8.Properties["ModelBytes"].Value < 5L << 20);
            foreach (var o in r.Output)
            {
                Assert.Equal("EdgeOps.BenchmarkResult", o.TypeNames[0]);
                Assert.Equal("in-process", P(o, "MeasuredBy"));
                Assert.Equal("CPUExecutionProvider", P(o, "ExecutionProvider"));
                Assert.Equal("15", P(o, "Runs"));
                Assert.Equal("image=1x3x224x224", P(o, "InputShapes"));
                var median = (double)o.Properties["MedianMs"].Value;
                Assert.True(median > 0 && (double)o.Properties["MinMs"].Value <= median && median <= (double)o.Properties["P90Ms"].Value);
                Assert.True((double)o.Properties["P90Ms"].Value <= (double)o.Properties["P95Ms"].Value);
                Assert.True((double)o.Properties["P99Ms"].Value <= (double)o.Properties["MaxMs"].Value);
                Assert.Equal(1000.0 / (double)o.Properties["MeanMs"].Value, (double)o.Properties["Throughput"].Value, 6);
                Assert.True((double)o.Properties["InitMs"].Value > 0);
                // the session holds the model's weights however much of the process's memory it could reuse
                Assert.True((long)o.Properties["PeakMemoryBytes"].Value >= (long)o.Properties["ModelBytes"].Value / 2,
                    $"PeakMemoryBytes {o.Properties["PeakMemoryBytes"].Value} for a model of {o.Properties["ModelBytes"].Value} bytes");
                Assert.Equal(Environment.ProcessorCount.ToString(), P(o, "Cores"));
                Assert.False(string.IsNullOrEmpty(P(o, "CpuModel")));
                Assert.Equal(15, ((BenchmarkResult)o.BaseObject).GetLatenciesMs().Length);
            }
        }

        [Fact]
        public void On_this_machine_it_changes_nothing_so_WhatIf_and_Confirm_ask_nothing_and_results_come_out()
        {
            // in-process measurement writes nothing anywhere: no ShouldProcess, so -WhatIf neither holds it back nor plans it
            var model = SampleModels.Ensure()[0];
            var r = _ps.Run("Invoke-EdgeBenchmark -Model $args[0] -Runs 3 -WarmupRuns 1 -WhatIf", model);
            Assert.Empty(r.Errors);
            Assert.Empty(r.WhatIf);
            Assert.Equal("in-process", P(Assert.Single(r.Output), "MeasuredBy"));
            // -Confirm would prompt before every change: there is none here, so the host is never asked
            var c = _ps.Run("Invoke-EdgeBenchmark -Model $args[0] -Runs 3 -WarmupRuns 1 -Confirm", model);
            Assert.Empty(c.Errors);
            Assert.Equal("in-process", P(Assert.Single(c.Output), "MeasuredBy"));
        }

        [Fact]
        public void Export_Csv_contract_one_flat_row_per_model_and_device()
        {
            var models = SampleModels.Ensure();
            var r = _ps.Run("Invoke-EdgeBenchmark -Model $args[0] -Runs 3 -WarmupRuns 1 -MaxP99Ms 100000 -MinThroughput 0.001", (object)models);
            Assert.Empty(r.Errors);
            Assert.Equal(2, r.Output.Count);
            // Every property Export-Csv writes is a flat primitive (no arrays, no nested objects)...
            foreach (var p in typeof(BenchmarkResult).GetProperties())
                Assert.True(s_flat.Contains(p.PropertyType), $"{p.Name} is {p.PropertyType}");
            // ...the raw latencies are a method, not a column...
            Assert.DoesNotContain(r.Output[0].Properties, p => p.Name.Contains("Latencies"));
            // ...and the rows are unique per (device, model), each naming its device.
            Assert.Equal(2, r.Output.Select(o => P(o, "ComputerName") + "|" + P(o, "ModelPath")).Distinct().Count());
            Assert.All(r.Output, o => Assert.False(string.IsNullOrEmpty(P(o, "ComputerName"))));
            Assert.All(r.Output, o => Assert.Equal("True", P(o, "Passed")));
            Assert.All(r.Output, o => Assert.Equal("100000", P(o, "MaxP99Ms")));
        }

        [Fact]
        public void Models_come_from_the_pipeline_with_hostile_names()
        {
            var sub = Path.Combine(_dir, "m $(x) ;`'q'");
            Directory.CreateDirectory(sub);
            var names = new[] { "a b 'c'.onnx", "$(touch pwned);`x`.onnx" };
            foreach (var n in names)
                new OnnxModelBuilder("id").Input("x", OnnxType.Float, 1, 4).Output("y", OnnxType.Float, 1, 4)
                    .Node("Relu", new[] { "x" }, new[] { "y" }).Save(Path.Combine(sub, n));
            // What Get-ChildItem emits (FileInfo, bound by FullName); Get-ChildItem itself is not in the hosted engine.
            var r = _ps.Run("[System.IO.DirectoryInfo]::new($args[0]).GetFiles('*.onnx') | Invoke-EdgeBenchmark -Runs 4 -WarmupRuns 1", sub);
            Assert.Empty(r.Errors);
            Assert.Equal(names.OrderBy(n => n, StringComparer.Ordinal), r.Output.Select(o => P(o, "Model")).OrderBy(n => n, StringComparer.Ordinal));
            Assert.All(r.Output, o => Assert.Equal("FP32", P(o, "Precision")));
            Assert.False(File.Exists("pwned"));
        }

        [Fact]
        public void Dynamic_dimensions_batch_size_and_duration()
        {
            var model = Path.Combine(_dir, "dyn.onnx");
            new OnnxModelBuilder("d").Input("x", OnnxType.Float, "batch", 3, "h", "w").Output("y", OnnxType.Float, "batch", 3, "h", "w")
                .Node("Relu", new[] { "x" }, new[] { "y" }).Save(model);
            var missing = _ps.Run("Invoke-EdgeBenchmark -Model $args[0] -Runs 2", model);
            var err = Assert.Single(missing.Errors);
            Assert.Equal("UnresolvedInputDimension", err.FullyQualifiedErrorId.Split(',')[0]);
            Assert.Contains("'x' dimension 2 ('h'), 'x' dimension 3 ('w')", err.ToString());
            Assert.Contains("-InputShape @{ x = 1,3,<h>,<w> }", err.ToString());

            var ok = _ps.Run("Invoke-EdgeBenchmark -Model $args[0] -BatchSize 4 -InputShape @{ x = '4x3x16x16' } -Duration 1s -WarmupRuns 1", model);
            Assert.Empty(ok.Errors);
            var o = Assert.Single(ok.Output);
            Assert.Equal("x=4x3x16x16", P(o, "InputShapes"));
            Assert.Equal("4", P(o, "BatchSize"));
            Assert.Equal(4000.0 / (double)o.Properties["MeanMs"].Value, (double)o.Properties["Throughput"].Value, 6);
            Assert.True((int)o.Properties["Runs"].Value > 10);

            var batchOnly = _ps.Run("Invoke-EdgeBenchmark -Model $args[0] -BatchSize 2 -InputShape @{ x = 2,3,5,5 } -Runs 3 -Threads 1 -GraphOptimization Basic", model);
            Assert.Empty(batchOnly.Errors);
            Assert.Equal("Basic", P(batchOnly.Output[0], "GraphOptimization"));
            Assert.Equal("1", P(batchOnly.Output[0], "Threads"));
        }

        [Fact]
        public void Duration_takes_the_one_duration_grammar()
        {
            var model = SampleModels.Ensure()[1];
            // combinations of units and minutes: measured for that long
            foreach (var d in new[] { "1s500ms", "0.02m", "00:00:01.2" })
            {
                var r = _ps.Run($"Invoke-EdgeBenchmark -Model $args[0] -Duration {d} -WarmupRuns 1 -Threads 1", model);
                Assert.Empty(r.Errors);
                Assert.True((int)Assert.Single(r.Output).Properties["Runs"].Value > 2, d);
            }
            // days, weeks and bare seconds bind (PowerShell reads 1d as the decimal 1 and 30s as the Int16 30: the string
            // parameter gets the text as typed); a missing model stops the run after binding, so nothing runs for a day
            var missing = Path.Combine(_dir, "missing.onnx");
            foreach (var d in new[] { "1d", "1w", "90", "30s", "1h30m", "'2 hours'", "([timespan]'00:01:30')" })
            {
                var r = _ps.Run($"Invoke-EdgeBenchmark -Model $args[0] -Duration {d}", missing);
                Assert.Equal("ModelNotFound", Assert.Single(r.Errors).FullyQualifiedErrorId.Split(',')[0]);
                Assert.Empty(r.Output);
            }
        }

        [Fact]
        public void Bad_parameters_are_refused_naming_what_to_do()
        {
            var ep = _ps.Run("Invoke-EdgeBenchmark -Model $args[0] -ExecutionProvider CUDA -Runs 2", SampleModels.Ensure()[1]);
            var e = Assert.Single(ep.Errors);
            Assert.Equal("ExecutionProviderUnavailable", e.FullyQualifiedErrorId.Split(',')[0]);
            Assert.Contains("Available: CPU", e.ToString());

            // Statement-terminating errors: nothing is measured.
            var missing = _ps.Run("Invoke-EdgeBenchmark -Model $args[0]", Path.Combine(_dir, "nope.onnx"));
            Assert.Equal("ModelNotFound", Assert.Single(missing.Errors).FullyQualifiedErrorId.Split(',')[0]);
            Assert.Contains("nope.onnx", missing.Errors[0].ToString());
            Assert.Empty(missing.Output);

            var folder = _ps.Run("Invoke-EdgeBenchmark -Model $args[0]", _dir);
            Assert.Contains("is a folder", Assert.Single(folder.Errors).ToString());

            var badShape = _ps.Run("Invoke-EdgeBenchmark -InputShape @{ x = 'a,b' }");
            Assert.Contains("-InputShape: give the shape of 'x' as a list of sizes", Assert.Single(badShape.Errors).ToString());
            Assert.Empty(badShape.Output);

            var badDuration = _ps.Run("Invoke-EdgeBenchmark -Duration soon");
            Assert.Contains("-Duration 'soon' is not a duration", Assert.Single(badDuration.Errors).ToString());
            Assert.Contains("30s", badDuration.Errors[0].ToString());
            Assert.Empty(badDuration.Output);
            foreach (var (bad, what) in new[] { ("0", "is zero"), ("-5s", "is negative"), ("'$(rm -rf ~)'", "is not a duration"), ("99999999999d", "is too long"), ("1kb", "'1kb' is not a duration") })   // 1kb: the text as typed, not 1024
            {
                var r = _ps.Run("Invoke-EdgeBenchmark -Duration " + bad);
                Assert.Contains(what, Assert.Single(r.Errors).ToString());
                Assert.Contains("-Duration", r.Errors[0].ToString());
                Assert.Empty(r.Output);
            }

            var junk = Path.Combine(_dir, "junk.onnx");
            File.WriteAllText(junk, "not a model");
            var load = _ps.Run("Invoke-EdgeBenchmark -Model $args[0] -Runs 2", junk);
            Assert.Equal("ModelLoadFailed", Assert.Single(load.Errors).FullyQualifiedErrorId.Split(',')[0]);
        }

        [Fact]
        public void Wire_format_round_trips_any_text()
        {
            var req = new MeasureRequest { BatchSize = 3, Runs = 7, WarmupRuns = 2, DurationSeconds = 1.5, Threads = 2, GraphOptimization = "Basic", ExecutionProvider = "CPU", Seed = 9 };
            req.Models.Add("/tmp/a\tb\nc\\d '$(x)'.onnx");
            req.InputShapes["in put\t"] = new long[] { 1, 2, 3 };
            var back = MeasureRequest.FromWire(req.ToWire());
            Assert.Equal(req.Models, back.Models);
            Assert.Equal(new long[] { 1, 2, 3 }, back.InputShapes["in put\t"]);
            Assert.Equal((3, 7, 2, 1.5, 2, "Basic", 9), (back.BatchSize, back.Runs, back.WarmupRuns, back.DurationSeconds, back.Threads, back.GraphOptimization, back.Seed));

            var resp = new MeasureResponse { OnnxRuntimeVersion = "1.31.1", Before = new RunContext { HostName = "pi\t5", CpuMHz = 2400.5, Cores = 4 }, After = new RunContext { TemperatureC = 61.2, Throttling = "none" } };
            var m = new ModelMeasurement { Model = "m", InitMs = 12.25, PeakMemoryBytes = 1234, ExecutionProvider = "CPUExecutionProvider", BatchSize = 2, InputShapes = "x=2x3" };
            m.LatenciesMs.AddRange(new[] { 1.0 / 3, 2.5, 1e-9 });
            resp.Models.Add(m);
            var r2 = MeasureResponse.FromWire(resp.ToWire());
            Assert.Equal(m.LatenciesMs, r2.Models[0].LatenciesMs);
            Assert.Equal((12.25, 1234L, 2L, "x=2x3"), (r2.Models[0].InitMs, r2.Models[0].PeakMemoryBytes, r2.Models[0].BatchSize, r2.Models[0].InputShapes));
            Assert.Equal(("pi\t5", 2400.5, 4), (r2.Before.HostName, r2.Before.CpuMHz, r2.Before.Cores));
            Assert.Equal((61.2, "none"), (r2.After.TemperatureC, r2.After.Throttling));
            Assert.Null(r2.Before.TemperatureC);

            var err = MeasureResponse.ErrorToWire(new EdgeOpsException("X", "InvalidArgument", "bad\nthing"));
            var ex = Assert.Throws<EdgeOpsException>(() => MeasureResponse.FromWire(err));
            Assert.Equal(("X", "InvalidArgument", "bad\nthing"), (ex.ErrorId, ex.Category, ex.Message));
            Assert.Throws<InvalidDataException>(() => MeasureResponse.FromWire("bash: edgeops-runner: not found"));
        }

        [Fact]
        public void Run_context_reads_board_cpu_frequency_temperature_and_throttling()
        {
            var root = Path.Combine(_dir, "sysroot");
            void Write(string rel, string text) { var p = root + rel; Directory.CreateDirectory(Path.GetDirectoryName(p)!); File.WriteAllText(p, text); }
            Write("/sys/firmware/devicetree/base/model", "Raspberry Pi 5 Model B Rev 1.0\0");
            var cpuinfo = string.Concat(Enumerable.Range(0, 4).Select(i => $"processor\t: {i}\nBogoMIPS\t: 108.00\nCPU implementer\t: 0x41\nCPU architecture: 8\nCPU variant\t: 0x4\nCPU part\t: 0xd0b\n\n"));
            Write("/proc/cpuinfo", cpuinfo);
            for (int i = 0; i < 4; i++)
            {
                Write($"/sys/devices/system/cpu/cpu{i}/cpufreq/scaling_cur_freq", i < 2 ? "2400000\n" : "1500000\n");
                Write($"/sys/devices/system/cpu/cpu{i}/cpufreq/cpuinfo_max_freq", "2400000\n");
            }
            Write("/sys/class/thermal/thermal_zone0/type", "rp1_adc\n");
            Write("/sys/class/thermal/thermal_zone0/temp", "30000\n");
            Write("/sys/class/thermal/thermal_zone1/type", "cpu-thermal\n");
            Write("/sys/class/thermal/thermal_zone1/temp", "81234\n");
            Write("/sys/devices/platform/soc/soc:firmware/get_throttled", "50006\n");
            var c = RunContext.Probe(root);
            Assert.Equal("Raspberry Pi 5 Model B Rev 1.0", c.BoardModel);
            Assert.Equal("Cortex-A76 x4", c.CpuModel);
            Assert.Equal(1950, c.CpuMHz);
            Assert.Equal(2400, c.CpuMaxMHz);
            Assert.Equal(81.234, c.TemperatureC);
            // 0x50006: capped and throttled now; under-voltage (bit 16) and throttling (bit 18) since boot
            Assert.Equal("frequency capped now, throttled now, under-voltage since boot", c.Throttling);
            Assert.Equal("none", RunContext.DescribeThrottling(0));
            Assert.Equal("Cortex-A76 x4 + Cortex-A55 x4", RunContext.CpuModelFrom(
                cpuinfo + cpuinfo.Replace("0xd0b", "0xd05")));
            Assert.Equal("Intel(R) Core(TM) i5", RunContext.CpuModelFrom("processor : 0\nmodel name\t: Intel(R) Core(TM) i5\n"));
            // A board that reports nothing: nulls, not zeros.
            var bare = RunContext.Probe(Path.Combine(_dir, "empty"));
            Assert.Null(bare.TemperatureC);
            Assert.Null(bare.Throttling);
            Assert.Null(bare.CpuMHz);
        }
    }
}
