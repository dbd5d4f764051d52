using System.Diagnostics;
using System.Globalization;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using EdgeOps.Benchmark;
using Microsoft.ML.OnnxRuntime;

// Harness overhead: for each sample model, alternate blocks of
//   (a) Invoke-EdgeBenchmark -Model m -Runs N  (the module, imported in a PowerShell runspace, measuring in-process), and
//   (b) a bare ONNX Runtime loop: its own session with the same settings, a Stopwatch around session.Run,
// then compare the medians of all samples of each. Exit code 1 when the harness median is more than 5% off.
int rounds = Arg("--rounds", 48), runs = Arg("--runs", 20), threads = Arg("--threads", 1);
var root = FindRoot();
var manifest = Path.Combine(root, "out", "module", "EdgeOps", "EdgeOps.psd1");
if (!File.Exists(manifest)) { Console.Error.WriteLine($"{manifest} not found: run `dotnet build EdgeOps.sln -c Release` first."); return 2; }
var models = SampleModels.Ensure();

var iss = InitialSessionState.CreateDefault2();
using var runspace = RunspaceFactory.CreateRunspace(iss);
runspace.Open();
Invoke(runspace, "Import-Module $args[0] -ErrorAction Stop", manifest);

Console.WriteLine($"machine: {Environment.ProcessorCount} cores, {EdgeOps.Benchmark.Measure.RunContext.Probe().CpuModel}; ONNX Runtime {OrtEnv.Instance().GetVersionString()}");
Console.WriteLine($"settings: intra-op threads {threads}, graph optimization All, batch 1, {rounds} rounds x {runs} runs per method, warm-up 10");
Console.WriteLine();
Console.WriteLine($"{"model",-18} {"harness median",15} {"bare median",12} {"diff",8} {"paired diff",12} {"harness p90",12} {"bare p90",9}");
bool ok = true;
foreach (var model in models)
{
    var harness = new List<double>();
    var bare = new List<double>();
    var ratios = new List<double>();
    for (int r = 0; r < rounds; r++)
    {
        // short blocks, alternating which goes first, so both see the same machine (this one is shared)
        double[] hb, bb;
        if (r % 2 == 0) { hb = Harness(model); bb = Bare(model); }
        else { bb = Bare(model); hb = Harness(model); }
        harness.AddRange(hb); bare.AddRange(bb);
        ratios.Add(LatencyStatistics.Compute(hb).Median / LatencyStatistics.Compute(bb).Median);
    }
    double paired = (LatencyStatistics.Compute(ratios).Median - 1) * 100;
    var h = LatencyStatistics.Compute(harness);
    var b = LatencyStatistics.Compute(bare);
    double diff = (h.Median - b.Median) / b.Median * 100;
    ok &= Math.Abs(diff) <= 5;
    Console.WriteLine($"{Path.GetFileName(model),-18} {h.Median,12:0.000} ms {b.Median,9:0.000} ms {diff,7:+0.0;-0.0}% {paired,11:+0.0;-0.0}% {h.P90,9:0.000} ms {b.P90,6:0.000} ms");
}
Console.WriteLine();
Console.WriteLine(ok ? "PASS: harness median within 5% of the bare loop for every model" : "FAIL: harness median more than 5% off the bare loop");
return ok ? 0 : 1;

double[] Harness(string model)
{
    var result = Invoke(runspace, "Invoke-EdgeBenchmark -Model $args[0] -Runs $args[1] -WarmupRuns 10 -Threads $args[2] -GraphOptimization All", model, runs, threads);
    return ((EdgeOpsResult)result.Single()).Latencies;
}

double[] Bare(string model)
{
    using var so = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL, IntraOpNumThreads = threads, ExecutionMode = ExecutionMode.ORT_SEQUENTIAL };
    using var session = new InferenceSession(model, so);
    var rng = new Random(1);
    var data = new float[3 * 224 * 224];
    for (int i = 0; i < data.Length; i++) data[i] = (float)rng.NextDouble();
    using var input = OrtValue.CreateTensorValueFromMemory(data, new long[] { 1, 3, 224, 224 });
    using var runOptions = new RunOptions();
    var inputs = new[] { input };
    string[] inNames = { "image" }, outNames = { "logits" };
    for (int i = 0; i < 10; i++) using (session.Run(runOptions, inNames, inputs, outNames)) { }
    var lat = new double[runs];
    for (int i = 0; i < runs; i++)
    {
        long t0 = Stopwatch.GetTimestamp();
        using (session.Run(runOptions, inNames, inputs, outNames)) { }
        lat[i] = (Stopwatch.GetTimestamp() - t0) * 1000.0 / Stopwatch.Frequency;
    }
    return lat;
}

static IEnumerable<object> Invoke(Runspace rs, string script, params object[] args)
{
    using var ps = PowerShell.Create();
    ps.Runspace = rs;
    ps.AddScript(script);
    foreach (var a in args) ps.AddArgument(a);
    var output = ps.Invoke();
    if (ps.Streams.Error.Count > 0) throw new InvalidOperationException(ps.Streams.Error[0].ToString());
    // The module's BenchmarkResult lives in the module's load context: read its latencies by reflection.
    return output.Select(o => (object)new EdgeOpsResult((double[])o.BaseObject.GetType().GetMethod("GetLatenciesMs")!.Invoke(o.BaseObject, null)!)).ToList();
}

static int Arg(string name, int fallback)
{
    var a = Environment.GetCommandLineArgs();
    int i = Array.IndexOf(a, name);
    return i >= 0 && i + 1 < a.Length ? int.Parse(a[i + 1], CultureInfo.InvariantCulture) : fallback;
}

static string FindRoot()
{
    for (var d = new DirectoryInfo(AppContext.BaseDirectory); d != null; d = d.Parent)
        if (File.Exists(Path.Combine(d.FullName, "EdgeOps.sln"))) return d.FullName;
    throw new InvalidOperationException("EdgeOps.sln not found");
}

sealed record EdgeOpsResult(double[] Latencies);
