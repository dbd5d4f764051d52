using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;

// Shared with the runner (src/EdgeOps.Runner compiles this folder): no dependency beyond ONNX Runtime and the BCL.
namespace EdgeOps.Benchmark.Measure
{
    /// <summary>What to measure: the same object drives an in-process run and a runner on a device.</summary>
    public sealed class MeasureRequest
    {
        public List<string> Models { get; } = new List<string>();
        /// <summary>Input name to shape; applies to every model that has an input of that name.</summary>
        public Dictionary<string, long[]> InputShapes { get; } = new Dictionary<string, long[]>(StringComparer.Ordinal);
        /// <summary>Fills a dynamic first (batch) dimension.</summary>
        public int BatchSize { get; set; } = 1;
        public int WarmupRuns { get; set; } = 10;
        /// <summary>Timed runs per model (ignored when <see cref="DurationSeconds"/> is above 0).</summary>
        public int Runs { get; set; } = 200;
        /// <summary>Run for this long (all models together) instead of a run count.</summary>
        public double DurationSeconds { get; set; }
        /// <summary>Intra-op threads; 0 lets ONNX Runtime choose.</summary>
        public int Threads { get; set; }
        /// <summary>Disabled, Basic, Extended or All.</summary>
        public string GraphOptimization { get; set; } = "All";
        public string ExecutionProvider { get; set; } = "CPU";
        /// <summary>Seed of the synthetic input data.</summary>
        public int Seed { get; set; } = 1;

        public string ToWire()
        {
            var w = new WireWriter("edgeops-bench-request");
            w.Line("batch", Num(BatchSize)).Line("warmup", Num(WarmupRuns)).Line("runs", Num(Runs))
             .Line("duration", DurationSeconds.ToString("R", CultureInfo.InvariantCulture)).Line("threads", Num(Threads))
             .Line("opt", GraphOptimization).Line("ep", ExecutionProvider).Line("seed", Num(Seed));
            foreach (var m in Models) w.Line("model", m);
            foreach (var kv in InputShapes) w.Line("shape", kv.Key, string.Join(",", kv.Value.Select(d => d.ToString(CultureInfo.InvariantCulture))));
            return w.ToString();
        }

        public static MeasureRequest FromWire(string text)
        {
            var r = new MeasureRequest();
            foreach (var f in WireReader.Lines(text, "edgeops-bench-request"))
            {
                switch (f[0])
                {
                    case "batch": r.BatchSize = ParseInt(f[1]); break;
                    case "warmup": r.WarmupRuns = ParseInt(f[1]); break;
                    case "runs": r.Runs = ParseInt(f[1]); break;
                    case "duration": r.DurationSeconds = double.Parse(f[1], CultureInfo.InvariantCulture); break;
                    case "threads": r.Threads = ParseInt(f[1]); break;
                    case "opt": r.GraphOptimization = f[1]; break;
                    case "ep": r.ExecutionProvider = f[1]; break;
                    case "seed": r.Seed = ParseInt(f[1]); break;
                    case "model": r.Models.Add(f[1]); break;
                    case "shape":
                        r.InputShapes[f[1]] = f[2].Length == 0 ? new long[0]
                            : f[2].Split(',').Select(s => long.Parse(s, CultureInfo.InvariantCulture)).ToArray();
                        break;
                }
            }
            return r;
        }

        internal static string Num(long v) => v.ToString(CultureInfo.InvariantCulture);
        internal static int ParseInt(string s) => int.Parse(s, NumberStyles.Integer, CultureInfo.InvariantCulture);
    }

    /// <summary>Raw figures of one model: the statistics are computed from them by the controller, in one place.</summary>
    public sealed class ModelMeasurement
    {
        public string Model { get; set; }
        public double InitMs { get; set; }
        public long PeakMemoryBytes { get; set; }
        public string ExecutionProvider { get; set; }
        /// <summary>The resolved first dimension of the first input (samples per run).</summary>
        public long BatchSize { get; set; }
        /// <summary>Resolved shapes of the inputs, e.g. "image=1x3x224x224".</summary>
        public string InputShapes { get; set; }
        public List<double> LatenciesMs { get; } = new List<double>();
    }

    /// <summary>What a measurement returns: raw latencies per model and the machine's state around them.</summary>
    public sealed class MeasureResponse
    {
        public List<ModelMeasurement> Models { get; } = new List<ModelMeasurement>();
        public RunContext Before { get; set; } = new RunContext();
        public RunContext After { get; set; } = new RunContext();
        public string OnnxRuntimeVersion { get; set; }
        public string Runner { get; set; }

        public string ToWire()
        {
            var w = new WireWriter("edgeops-bench-result");
            w.Line("ort", OnnxRuntimeVersion ?? "").Line("runner", Runner ?? "");
            foreach (var kv in Before.ToPairs()) w.Line("before", kv.Key, kv.Value);
            foreach (var kv in After.ToPairs()) w.Line("after", kv.Key, kv.Value);
            for (int i = 0; i < Models.Count; i++)
            {
                var m = Models[i];
                var n = MeasureRequest.Num(i);
                w.Line("model", n, m.Model).Line("init", n, m.InitMs.ToString("R", CultureInfo.InvariantCulture))
                 .Line("peak", n, MeasureRequest.Num(m.PeakMemoryBytes)).Line("ep", n, m.ExecutionProvider ?? "")
                 .Line("batch", n, MeasureRequest.Num(m.BatchSize)).Line("shapes", n, m.InputShapes ?? "")
                 .Line("lat", n, string.Join(",", m.LatenciesMs.Select(v => v.ToString("R", CultureInfo.InvariantCulture))));
            }
            return w.ToString();
        }

        public static MeasureResponse FromWire(string text)
        {
            var r = new MeasureResponse();
            ModelMeasurement At(string index)
            {
                int i = MeasureRequest.ParseInt(index);
                while (r.Models.Count <= i) r.Models.Add(new ModelMeasurement());
                return r.Models[i];
            }
            foreach (var f in WireReader.Lines(text, "edgeops-bench-result"))
            {
                switch (f[0])
                {
                    case "ort": r.OnnxRuntimeVersion = f[1]; break;
                    case "runner": r.Runner = f[1]; break;
                    case "before": r.Before.Set(f[1], f[2]); break;
                    case "after": r.After.Set(f[1], f[2]); break;
                    case "model": At(f[1]).Model = f[2]; break;
                    case "init": At(f[1]).InitMs = double.Parse(f[2], CultureInfo.InvariantCulture); break;
                    case "peak": At(f[1]).PeakMemoryBytes = long.Parse(f[2], CultureInfo.InvariantCulture); break;
                    case "ep": At(f[1]).ExecutionProvider = f[2]; break;
                    case "batch": At(f[1]).BatchSize = long.Parse(f[2], CultureInfo.InvariantCulture); break;
                    case "shapes": At(f[1]).InputShapes = f[2]; break;
                    case "lat":
                        var m = At(f[1]);
                        if (f[2].Length > 0) m.LatenciesMs.AddRange(f[2].Split(',').Select(s => double.Parse(s, CultureInfo.InvariantCulture)));
                        break;
                    case "error":
                        throw new EdgeOpsException(f[1], f[2], f[3]);
                }
            }
            return r;
        }

        /// <summary>How the runner reports a failure: the controller turns it back into the same exception.</summary>
        public static string ErrorToWire(EdgeOpsException e) =>
            new WireWriter("edgeops-bench-result").Line("error", e.ErrorId, e.Category, e.Message).ToString();
    }

    /// <summary>
    /// The text format between controller and runner: a header line, then one record per line, fields separated
    /// by tabs; backslash, tab, CR and newline inside a field are escaped, so any path or name survives.
    /// </summary>
    sealed class WireWriter
    {
        readonly StringBuilder _sb = new StringBuilder();
        public WireWriter(string header) { _sb.Append(header).Append(" 1\n"); }

        public WireWriter Line(params string[] fields)
        {
            for (int i = 0; i < fields.Length; i++)
            {
                if (i > 0) _sb.Append('\t');
                foreach (var c in fields[i] ?? "")
                {
                    switch (c)
                    {
                        case '\\': _sb.Append("\\\\"); break;
                        case '\t': _sb.Append("\\t"); break;
                        case '\n': _sb.Append("\\n"); break;
                        case '\r': _sb.Append("\\r"); break;
                        default: _sb.Append(c); break;
                    }
                }
            }
            _sb.Append('\n');
            return this;
        }

        public override string ToString() => _sb.ToString();
    }

    static class WireReader
    {
        public static IEnumerable<string[]> Lines(string text, string header)
        {
            var lines = (text ?? "").Split('\n');
            int start = Array.FindIndex(lines, l => l.TrimEnd('\r') == header + " 1");
            if (start < 0) throw new InvalidDataException("Not an EdgeOps benchmark message (no '" + header + " 1' line): " + Excerpt(text));
            for (int i = start + 1; i < lines.Length; i++)
            {
                if (lines[i].Length == 0) continue;
                var fields = lines[i].Split('\t').Select(Unescape).ToArray();
                if (fields.Length < 2) continue;
                yield return fields;
            }
        }

        static string Unescape(string s)
        {
            if (s.IndexOf('\\') < 0) return s;
            var sb = new StringBuilder(s.Length);
            for (int i = 0; i < s.Length; i++)
            {
                if (s[i] != '\\' || i + 1 == s.Length) { sb.Append(s[i]); continue; }
                char n = s[++i];
                sb.Append(n == 't' ? '\t' : n == 'n' ? '\n' : n == 'r' ? '\r' : n);
            }
            return sb.ToString();
        }

        static string Excerpt(string s) { s = (s ?? "").Trim(); return s.Length > 300 ? s.Substring(0, 300) + "..." : s; }
    }
}
