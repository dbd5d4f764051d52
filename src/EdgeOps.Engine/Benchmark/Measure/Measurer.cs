using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using System.Threading;
using Microsoft.ML.OnnxRuntime;

namespace EdgeOps.Benchmark.Measure
{
    /// <summary>
    /// The measurement itself, the same code in-process and in the runner on a device: one ONNX Runtime session
    /// per model (creation timed), synthetic inputs, warm-up, then timed runs interleaved across the models (the
    /// order alternating each round) so every model sees the same machine state. Returns raw latencies.
    /// </summary>
    public static class Measurer
    {
        public static readonly string[] OptimizationLevels = { "Disabled", "Basic", "Extended", "All" };

        /// <summary>Execution providers this ONNX Runtime build offers, e.g. CPUExecutionProvider.</summary>
        public static string[] AvailableProviders() => OrtEnv.Instance().GetAvailableProviders();

        public static string OnnxRuntimeVersion() => OrtEnv.Instance().GetVersionString();

        /// <summary>"CPU", "cuda" or "CUDAExecutionProvider" to the provider's full name, or an error listing the available ones.</summary>
        public static string ResolveProvider(string requested)
        {
            var available = AvailableProviders();
            var want = string.IsNullOrWhiteSpace(requested) ? "CPU" : requested.Trim();
            foreach (var p in available)
                if (string.Equals(p, want, StringComparison.OrdinalIgnoreCase) || string.Equals(p, want + "ExecutionProvider", StringComparison.OrdinalIgnoreCase))
                    return p;
            throw new EdgeOpsException("ExecutionProviderUnavailable", "InvalidArgument",
                $"The execution provider '{requested}' is not available in this ONNX Runtime ({OnnxRuntimeVersion()}). " +
                $"Available: {string.Join(", ", available.Select(Short))}. Give one of them to -ExecutionProvider.");
        }

        static string Short(string p) => p.EndsWith("ExecutionProvider", StringComparison.Ordinal) ? p.Substring(0, p.Length - "ExecutionProvider".Length) : p;

        public static SessionOptions CreateOptions(MeasureRequest request, string provider)
        {
            var so = new SessionOptions
            {
                GraphOptimizationLevel = ParseLevel(request.GraphOptimization),
                ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
                IntraOpNumThreads = Math.Max(0, request.Threads),
            };
            try
            {
                switch (Short(provider).ToUpperInvariant())
                {
                    case "CPU": break;
                    case "CUDA": so.AppendExecutionProvider_CUDA(0); break;
                    case "TENSORRT": so.AppendExecutionProvider_Tensorrt(0); break;
                    case "DML": so.AppendExecutionProvider_DML(0); break;
                    case "ROCM": so.AppendExecutionProvider_ROCm(0); break;
                    case "MIGRAPHX": so.AppendExecutionProvider_MIGraphX(0); break;
                    case "DNNL": so.AppendExecutionProvider_Dnnl(0); break;
                    case "OPENVINO": so.AppendExecutionProvider_OpenVINO(""); break;
                    case "COREML": so.AppendExecutionProvider_CoreML(CoreMLFlags.COREML_FLAG_USE_NONE); break;
                    default: so.AppendExecutionProvider(Short(provider), new Dictionary<string, string>()); break;
                }
            }
            catch (OnnxRuntimeException e)
            {
                so.Dispose();
                throw new EdgeOpsException("ExecutionProviderFailed", "ResourceUnavailable",
                    $"The execution provider {provider} could not be started ({e.Message.TrimEnd('.')}). Use -ExecutionProvider CPU, or install what {provider} needs.", e);
            }
            return so;
        }

        public static GraphOptimizationLevel ParseLevel(string level)
        {
            switch ((level ?? "All").Trim().ToLowerInvariant())
            {
                case "disabled": case "none": return GraphOptimizationLevel.ORT_DISABLE_ALL;
                case "basic": return GraphOptimizationLevel.ORT_ENABLE_BASIC;
                case "extended": return GraphOptimizationLevel.ORT_ENABLE_EXTENDED;
                case "all": return GraphOptimizationLevel.ORT_ENABLE_ALL;
                default:
                    throw new EdgeOpsException("InvalidGraphOptimization", "InvalidArgument",
                        $"Unknown graph optimization level '{level}'. Use one of: {string.Join(", ", OptimizationLevels)}.");
            }
        }

        /// <summary>A loaded model with its inputs made, ready to run.</summary>
        public sealed class PreparedModel : IDisposable
        {
            public string Path { get; internal set; }
            public InferenceSession Session { get; internal set; }
            public string[] InputNames { get; internal set; }
            public OrtValue[] Inputs { get; internal set; }
            public string[] OutputNames { get; internal set; }
            public RunOptions RunOptions { get; } = new RunOptions();
            public ModelMeasurement Measurement { get; } = new ModelMeasurement();

            /// <summary>One inference, outputs released: what every timed run does.</summary>
            public void RunOnce()
            {
                using (var outputs = Session.Run(RunOptions, InputNames, Inputs, OutputNames)) { }
            }

            public void Dispose()
            {
                if (Inputs != null) foreach (var v in Inputs) v?.Dispose();
                Session?.Dispose();
                RunOptions.Dispose();
            }
        }

        /// <summary>Creates the session (timed) and the inputs of one model.</summary>
        public static PreparedModel Prepare(string path, MeasureRequest request, SessionOptions options, string provider)
        {
            if (!File.Exists(path))
                throw new EdgeOpsException("ModelNotFound", "ObjectNotFound", $"Model file '{path}' does not exist: give the path of an .onnx file to -Model.");
            var pm = new PreparedModel { Path = path };
            try
            {
                long rssBefore = Memory.ResidentBytes();
                long heapBefore = Memory.HeapInUseBytes();
                Memory.ResetPeak();
                var sw = Stopwatch.StartNew();
                try { pm.Session = new InferenceSession(path, options); }
                catch (OnnxRuntimeException e)
                {
                    InputSynthesizer.ThrowIfUnsupportedInputs(path);
                    throw new EdgeOpsException("ModelLoadFailed", "InvalidData", $"ONNX Runtime could not load '{path}' ({e.Message.TrimEnd('.')}). Check that it is an ONNX model (export it again, or check it with onnx.checker).", e);
                }
                pm.Measurement.InitMs = sw.Elapsed.TotalMilliseconds;
                pm.Measurement.Model = path;
                pm.Measurement.ExecutionProvider = provider;

                var names = pm.Session.InputNames.ToArray();
                var metas = names.Select(n => pm.Session.InputMetadata[n]).ToList();
                var shapes = InputSynthesizer.ResolveShapes(System.IO.Path.GetFileName(path), names, metas, request.InputShapes, request.BatchSize);
                var rng = new Random(request.Seed);
                pm.InputNames = names;
                pm.Inputs = new OrtValue[names.Length];
                for (int i = 0; i < names.Length; i++)
                    pm.Inputs[i] = InputSynthesizer.Create(System.IO.Path.GetFileName(path), names[i], metas[i].ElementDataType, shapes[i], rng);
                pm.OutputNames = pm.Session.OutputNames.ToArray();
                pm.Measurement.BatchSize = shapes.Length > 0 && shapes[0].Length > 0 ? shapes[0][0] : 1;
                pm.Measurement.InputShapes = string.Join("; ", names.Select((n, i) => n + "=" + string.Join("x", shapes[i].Select(d => d.ToString(CultureInfo.InvariantCulture)))));

                for (int i = 0; i < Math.Max(1, request.WarmupRuns); i++) pm.RunOnce();
                long peak = Memory.PeakBytes();
                long rssGrowth = (peak > 0 ? peak : Memory.ResidentBytes()) - rssBefore;
                // In a long-lived process the session may reuse pages an earlier (freed) allocation left resident, so
                // RSS need not grow: the C heap's in-use bytes (weights, arena, inputs) count what the model holds then.
                long heapAfter = Memory.HeapInUseBytes();
                long heapGrowth = heapBefore >= 0 && heapAfter >= 0 ? heapAfter - heapBefore : 0;
                pm.Measurement.PeakMemoryBytes = Math.Max(0, Math.Max(rssGrowth, heapGrowth));
                return pm;
            }
            catch (OnnxRuntimeException e)
            {
                pm.Dispose();
                throw new EdgeOpsException("InferenceFailed", "InvalidOperation", $"ONNX Runtime failed to run '{path}': {e.Message}", e);
            }
            catch { pm.Dispose(); throw; }
        }

        /// <summary>Measures every model of the request; <paramref name="progress"/> gets (done, total) now and then.</summary>
        public static MeasureResponse Run(MeasureRequest request, Action<long, long> progress = null, CancellationToken cancellation = default(CancellationToken))
        {
            if (request.Models.Count == 0) throw new EdgeOpsException("NoModel", "InvalidArgument", "No model to measure: give -Model, or leave it out for the bundled sample models.");
            var provider = ResolveProvider(request.ExecutionProvider);
            var response = new MeasureResponse { OnnxRuntimeVersion = OnnxRuntimeVersion(), Before = RunContext.Probe() };
            var prepared = new List<PreparedModel>();
            try
            {
                foreach (var path in request.Models)
                {
                    cancellation.ThrowIfCancellationRequested();
                    using (var options = CreateOptions(request, provider))
                        prepared.Add(Prepare(path, request, options, provider));
                }
                var unknown = request.InputShapes.Keys.Where(k => !prepared.Any(p => p.InputNames.Contains(k))).ToList();
                if (unknown.Count > 0)
                    throw new EdgeOpsException("UnknownInputName", "InvalidArgument",
                        $"-InputShape names {string.Join(", ", unknown.Select(k => "'" + k + "'"))}, which no model has as an input. Use the models' input names: " +
                        string.Join("; ", prepared.Select(p => System.IO.Path.GetFileName(p.Path) + ": " + string.Join(", ", p.InputNames))) + ".");
                TimedRuns(prepared, request, progress, cancellation);
                response.After = RunContext.Probe();
                foreach (var pm in prepared) response.Models.Add(pm.Measurement);
                return response;
            }
            finally
            {
                foreach (var pm in prepared) pm.Dispose();
            }
        }

        static void TimedRuns(List<PreparedModel> models, MeasureRequest request, Action<long, long> progress, CancellationToken ct)
        {
            bool byDuration = request.DurationSeconds > 0;
            long durationTicks = (long)(request.DurationSeconds * Stopwatch.Frequency);
            long total = byDuration ? (long)(request.DurationSeconds * 1000) : (long)request.Runs * models.Count;
            foreach (var m in models) m.Measurement.LatenciesMs.Capacity = byDuration ? 1024 : request.Runs;
            GC.Collect();
            GC.WaitForPendingFinalizers();
            double tickMs = 1000.0 / Stopwatch.Frequency;
            long start = Stopwatch.GetTimestamp(), lastReport = start;
            for (int round = 0; ; round++)
            {
                if (byDuration ? Stopwatch.GetTimestamp() - start >= durationTicks && round > 0 : round >= request.Runs) break;
                ct.ThrowIfCancellationRequested();
                for (int k = 0; k < models.Count; k++)
                {
                    // ABBA order: neither model always runs right after the other.
                    var m = models[(round & 1) == 0 ? k : models.Count - 1 - k];
                    long t0 = Stopwatch.GetTimestamp();
                    m.RunOnce();
                    long t1 = Stopwatch.GetTimestamp();
                    m.Measurement.LatenciesMs.Add((t1 - t0) * tickMs);
                }
                long now = Stopwatch.GetTimestamp();
                if (progress != null && now - lastReport > Stopwatch.Frequency / 4)
                {
                    lastReport = now;
                    progress(byDuration ? (long)((now - start) * tickMs) : (long)(round + 1) * models.Count, total);
                }
            }
        }
    }

    /// <summary>Resident memory of this process (Linux: /proc/self/status; elsewhere the working set).</summary>
    public static class Memory
    {
        static readonly bool s_linux = RuntimeInformation.IsOSPlatform(OSPlatform.Linux);

        public static long ResidentBytes() => s_linux ? StatusKb("VmRSS:") * 1024 : Process.GetCurrentProcess().WorkingSet64;

        /// <summary>Peak resident memory since the last <see cref="ResetPeak"/>; 0 when unknown.</summary>
        public static long PeakBytes() => s_linux ? StatusKb("VmHWM:") * 1024 : Process.GetCurrentProcess().PeakWorkingSet64;

        [StructLayout(LayoutKind.Sequential)]
        struct MallInfo2
        {
            public UIntPtr Arena, Ordblks, Smblks, Hblks, Hblkhd, Usmblks, Fsmblks, Uordblks, Fordblks, Keepcost;
        }

        [DllImport("libc", EntryPoint = "mallinfo2")]
        static extern MallInfo2 NativeMallInfo2();

        static bool s_noMallInfo;

        /// <summary>
        /// Bytes the C heap has handed out and not freed (glibc's mallinfo2: uordblks + hblkhd, every arena); -1 where
        /// unknown (not glibc, or glibc older than 2.33).
        /// </summary>
        public static long HeapInUseBytes()
        {
            if (!s_linux || s_noMallInfo) return -1;
            try
            {
                var m = NativeMallInfo2();
                return (long)m.Uordblks.ToUInt64() + (long)m.Hblkhd.ToUInt64();
            }
            catch (Exception e) when (e is EntryPointNotFoundException || e is DllNotFoundException)
            {
                s_noMallInfo = true;
                return -1;
            }
        }

        /// <summary>Resets the kernel's peak-RSS mark of this process (writing 5 to /proc/self/clear_refs).</summary>
        public static void ResetPeak()
        {
            if (!s_linux) return;
            try { File.WriteAllText("/proc/self/clear_refs", "5"); }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }

        static long StatusKb(string key)
        {
            try
            {
                foreach (var line in File.ReadAllLines("/proc/self/status"))
                    if (line.StartsWith(key, StringComparison.Ordinal))
                        return long.Parse(line.Substring(key.Length).Trim().Split(' ')[0], CultureInfo.InvariantCulture);
            }
            catch (IOException) { }
            return 0;
        }
    }
}
