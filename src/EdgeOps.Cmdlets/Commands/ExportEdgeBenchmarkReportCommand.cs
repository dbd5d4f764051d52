using System;
using System.Collections.Generic;
using System.IO;
using System.Management.Automation;
using EdgeOps.Benchmark.Report;

namespace EdgeOps.Commands
{
    /// <summary>Writes one self-contained HTML page (charts as inline SVG, and the table) from benchmark results in the pipeline.</summary>
    [Cmdlet(VerbsData.Export, "EdgeBenchmarkReport", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
    [OutputType(typeof(FileInfo))]
    public sealed class ExportEdgeBenchmarkReportCommand : PSCmdlet
    {
        [Parameter(Mandatory = true, Position = 0)]
        [ValidateNotNullOrEmpty]
        public string Path { get; set; }

        [Parameter(Mandatory = true, ValueFromPipeline = true)]
        public PSObject InputObject { get; set; }

        [Parameter]
        [ValidateNotNullOrEmpty]
        public string Title { get; set; } = "EdgeOps benchmark report";

        [Parameter]
        public SwitchParameter NoClobber { get; set; }

        [Parameter]
        public SwitchParameter PassThru { get; set; }

        // BenchmarkResult is an engine type: kept as object (the engine's load context is hooked after PowerShell scans this class).
        readonly List<object> _rows = new List<object>();

        protected override void ProcessRecord()
        {
            if (InputObject == null) return;
            var o = InputObject;
            try
            {
                _rows.Add(ReportInput.From(o.BaseObject, name => { var v = o.Properties[name]?.Value; return v is PSObject p ? p.BaseObject : v; }));
            }
            catch (EdgeOpsException e)
            {
                WriteError(ErrorRecords.For(e, o));
            }
        }

        protected override void EndProcessing()
        {
            var path = GetUnresolvedProviderPathFromPSPath(Path);
            if (_rows.Count == 0)
            {
                ThrowTerminatingError(ErrorRecords.New("NoReportInput", "InvalidArgument",
                    "No benchmark result to report: pipe Invoke-EdgeBenchmark's results to Export-EdgeBenchmarkReport.", null));
                return;
            }
            if (NoClobber && File.Exists(path))
            {
                ThrowTerminatingError(ErrorRecords.New("ReportExists", "ResourceExists",
                    $"'{path}' exists and -NoClobber was given: choose another -Path, or leave -NoClobber out to replace it.", path));
                return;
            }
            if (!ShouldProcess(path, $"Write a benchmark report of {_rows.Count} result(s)")) return;
            var rows = new List<BenchmarkResult>();
            foreach (var r in _rows) rows.Add((BenchmarkResult)r);
            try
            {
                var html = BenchmarkReport.Html(rows, Title);
                BenchmarkReport.Write(path, html);
            }
            catch (EdgeOpsException e)
            {
                ThrowTerminatingError(ErrorRecords.For(e, path));
                return;
            }
            WriteVerbose($"Wrote {path} ({_rows.Count} result(s)).");
            if (PassThru) WriteObject(new FileInfo(path));
        }
    }
}
