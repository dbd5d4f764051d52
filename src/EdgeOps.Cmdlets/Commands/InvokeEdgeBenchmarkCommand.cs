using System;
using System.Collections;
using System.Collections.Generic;
using System.Collections.ObjectModel;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Management.Automation;
using EdgeOps.Benchmark;
using EdgeOps.Benchmark.Measure;
using EdgeOps.Fleet;

namespace EdgeOps.Commands
{
    /// <summary>
    /// Measures ONNX models with ONNX Runtime on each device (in-process for the local machine, by the runner on
    /// SSH devices): latency percentiles, throughput, model size, memory, precision, budgets, machine state.
    /// </summary>
    [Cmdlet(VerbsLifecycle.Invoke, "EdgeBenchmark", DefaultParameterSetName = "Runs", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
    [OutputType(typeof(BenchmarkResult))]
    public sealed class InvokeEdgeBenchmarkCommand : EdgeDeviceCmdlet
    {
        /// <summary>Model files (wildcards allowed). None: the bundled FP32 and INT8 sample models (a MobileNet-shaped network with random weights) against the edge budget.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string[] Model { get; set; }

        /// <summary>Bound from Get-ChildItem output (FileInfo.FullName), so `Get-ChildItem *.onnx | Invoke-EdgeBenchmark` works.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true, DontShow = true)]
        public string FullName { get; set; }

        [Parameter]
        public Hashtable InputShape { get; set; }

        [Parameter]
        [ValidateRange(1, 1048576)]
        public int BatchSize { get; set; } = 1;

        [Parameter(ParameterSetName = "Runs")]
        [ValidateRange(1, 100000000)]
        public int Runs { get; set; } = 200;

        /// <summary>How long to run (all models together) instead of -Runs: 30s, 2m, 1h30m, 1500ms, 90 (seconds), 00:01:30 (Durations' grammar).</summary>
        [Parameter(ParameterSetName = "Duration", Mandatory = true)]
        [ValidateDuration(nameof(Duration))]
        public string Duration { get; set; }

        [Parameter]
        [ValidateRange(0, 1000000)]
        public int WarmupRuns { get; set; } = 10;

        [Parameter]
        [ValidateRange(0, 4096)]
        public int Threads { get; set; }

        [Parameter]
        [ValidateSet("Disabled", "Basic", "Extended", "All", IgnoreCase = true)]
        public string GraphOptimization { get; set; } = "All";

        [Parameter]
        [ArgumentCompleter(typeof(ExecutionProviderCompleter))]
        [ValidateNotNullOrEmpty]
        public string ExecutionProvider { get; set; } = "CPU";

        [Parameter]
        [ValidateRange(0.0, double.MaxValue)]
        public double MaxMedianMs { get; set; }

        [Parameter]
        [ValidateRange(0.0, double.MaxValue)]
        public double MaxP99Ms { get; set; }

        [Parameter]
        [ValidateRange(0L, long.MaxValue)]
        public long MaxModelBytes { get; set; }

        [Parameter]
        [ValidateRange(0.0, double.MaxValue)]
        public double MinThroughput { get; set; }

        /// <summary>Absolute folder on the devices for the runner and the models (default ~/.cache/edgeops).</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string RunnerDirectory { get; set; }

        readonly List<string> _pipedModels = new List<string>();
        readonly List<string> _models = new List<string>();
        readonly Dictionary<string, long[]> _shapes = new Dictionary<string, long[]>(StringComparer.Ordinal);
        bool _sample;

        protected override void ProcessRecord()
        {
            // A file from the pipeline is a model, not a device.
            if (!string.IsNullOrEmpty(FullName))
            {
                _pipedModels.Add(FullName);
                FullName = null;
                return;
            }
            base.ProcessRecord();
        }

        bool Bound(string name) => MyInvocation.BoundParameters.ContainsKey(name);

        /// <summary>Model files piped in with no device: they are benchmarked here, as with -Model and no device.</summary>
        protected override bool TargetsLocalWhenEmpty =>
            base.TargetsLocalWhenEmpty || (_pipedModels.Count > 0 && !DeviceParametersGiven && !DeviceInputFailed);

        protected override void BeginFleet(IReadOnlyList<EdgeDevice> devices)
        {
            foreach (var m in Model ?? new string[0])
            {
                Collection<string> paths;
                try { paths = GetResolvedProviderPathFromPSPath(m, out _); }
                catch (ItemNotFoundException e)
                {
                    ThrowTerminatingError(ErrorRecords.New("ModelNotFound", "ObjectNotFound",
                        $"-Model: '{m}' was not found. Give the path of an .onnx file to -Model.", m, e));
                    return;
                }
                _models.AddRange(paths);
            }
            foreach (var m in _pipedModels) _models.Add(GetUnresolvedProviderPathFromPSPath(m));
            foreach (var m in _models)
            {
                if (Directory.Exists(m))
                    ThrowTerminatingError(ErrorRecords.New("ModelIsFolder", "InvalidArgument",
                        $"-Model: '{m}' is a folder, not a model: pass the .onnx files in it (Get-ChildItem {m} -Filter *.onnx | Invoke-EdgeBenchmark).", m));
                if (!File.Exists(m))
                    ThrowTerminatingError(ErrorRecords.New("ModelNotFound", "ObjectNotFound",
                        $"-Model: the model file '{m}' does not exist. Give the path of an .onnx file to -Model.", m));
            }
            if (_models.Count == 0)
            {
                _sample = true;
                WriteVerbose("No -Model: benchmarking the bundled sample models (a MobileNet-shaped network with random, untrained weights; FP32 and INT8).");
                _models.AddRange(SampleModels.Ensure());
            }
            if (InputShape != null)
            {
                foreach (DictionaryEntry e in InputShape)
                {
                    var key = e.Key as string ?? Convert.ToString(e.Key, CultureInfo.InvariantCulture);
                    _shapes[key] = ParseShape(key, e.Value);
                }
            }
        }

        long[] ParseShape(string key, object value)
        {
            object v = value is PSObject p ? p.BaseObject : value;
            try
            {
                if (v is string s)
                    return s.Split(new[] { ',', 'x', 'X', ' ' }, StringSplitOptions.RemoveEmptyEntries)
                        .Select(d => long.Parse(d.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture)).ToArray();
                return LanguagePrimitives.ConvertTo<long[]>(v);
            }
            catch (Exception e) when (e is FormatException || e is PSInvalidCastException || e is OverflowException)
            {
                ThrowTerminatingError(ErrorRecords.New("InvalidInputShape", "InvalidArgument",
                    $"-InputShape: give the shape of '{key}' as a list of sizes, e.g. @{{ {key} = 1,3,224,224 }}, not '{value}'.", value, e));
                return null;
            }
        }

        /// <summary>
        /// On this machine a benchmark changes nothing (measured in-process), so it asks nothing and writes its results
        /// under -WhatIf too; on a device it copies the runner and the models, which goes through ShouldProcess.
        /// </summary>
        protected override bool ChangesUnderWhatIf(EdgeDevice device) => !device.IsLocal;

        protected override IEnumerable<object> ProcessDevice(IDeviceContext context)
        {
            var request = new MeasureRequest
            {
                BatchSize = BatchSize,
                WarmupRuns = WarmupRuns,
                Runs = Runs,
                DurationSeconds = ParameterSetName == "Duration" ? Durations.Parse(Duration, nameof(Duration), allowZero: false).TotalSeconds : 0,
                Threads = Threads,
                GraphOptimization = GraphOptimization,
                ExecutionProvider = ExecutionProvider,
            };
            request.Models.AddRange(_models);
            foreach (var kv in _shapes) request.InputShapes[kv.Key] = kv.Value;
            var budgets = new BenchmarkBudgets
            {
                MaxMedianMs = Bound(nameof(MaxMedianMs)) ? MaxMedianMs : (double?)null,
                MaxP99Ms = Bound(nameof(MaxP99Ms)) ? MaxP99Ms : (double?)null,
                MaxModelBytes = Bound(nameof(MaxModelBytes)) ? MaxModelBytes : (long?)null,
                MinThroughput = Bound(nameof(MinThroughput)) ? MinThroughput : (double?)null,
            };
            if (_sample && !budgets.Any) budgets = BenchmarkBudgets.Edge();
            return BenchmarkService.Run(context, request, budgets, RunnerDirectory);
        }
    }
}
