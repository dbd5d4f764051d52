using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;

namespace EdgeOps.Benchmark.Report
{
    /// <summary>Export-EdgeBenchmarkReport's page: one self-contained HTML file, charts as inline SVG, then the table.</summary>
    public static class BenchmarkReport
    {
        public static string Html(IReadOnlyList<BenchmarkResult> rows, string title)
        {
            if (rows.Count == 0)
                throw new EdgeOpsException("NoReportInput", "InvalidArgument", "No benchmark result to report: pipe Invoke-EdgeBenchmark's results to Export-EdgeBenchmarkReport.");
            string E(string s) => Markup.Escape(s);
            string N(double v, string f = "0.###") => v.ToString(f, CultureInfo.InvariantCulture);
            string O(double? v, string f = "0.#") => v.HasValue ? v.Value.ToString(f, CultureInfo.InvariantCulture) : "";
            var sb = new StringBuilder();
            sb.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>").Append(E(title)).Append("</title>\n<style>")
              .Append("body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:24px;color:#222}")
              .Append("table{border-collapse:collapse;font-size:13px}th,td{border:1px solid #ddd;padding:4px 8px;text-align:right}")
              .Append("th{background:#f4f4f4}td.t{text-align:left}tr.fail td{background:#fff1f0}svg{max-width:100%;height:auto;display:block;margin:12px 0 24px}")
              .Append("</style></head><body>\n");
            sb.Append("<h1>").Append(E(title)).Append("</h1>\n");
            int passed = rows.Count(r => r.Passed);
            sb.Append("<p>").Append(rows.Count).Append(" result(s) from ").Append(rows.Select(r => r.ComputerName).Distinct().Count())
              .Append(" device(s); ").Append(passed).Append(" within budget, ").Append(rows.Count - passed).Append(" not. Generated ")
              .Append(E(DateTimeOffset.Now.ToString("yyyy-MM-dd HH:mm zzz", CultureInfo.InvariantCulture))).Append(" by EdgeOps.</p>\n");
            sb.Append("<h2>Median and P99 latency</h2>\n").Append(Charts.LatencyBars(rows)).Append('\n');
            sb.Append("<h2>Latency distribution</h2>\n").Append(Charts.Distributions(rows)).Append('\n');
            sb.Append("<h2>Results</h2>\n<table>\n<tr>");
            string[] heads = { "Device", "Model", "Precision", "Provider", "Batch", "Runs", "Median ms", "P90 ms", "P95 ms", "P99 ms", "Max ms", "Mean ms", "StdDev ms",
                               "Samples/s", "Size MB", "Peak mem MB", "Init ms", "Passed", "Failed budgets", "CPU", "Board", "MHz before/after", "Temp C before/after", "Throttling" };
            foreach (var h in heads) sb.Append("<th>").Append(E(h)).Append("</th>");
            sb.Append("</tr>\n");
            foreach (var r in rows)
            {
                sb.Append(r.Passed ? "<tr>" : "<tr class=\"fail\">");
                void T(string s) => sb.Append("<td class=\"t\">").Append(E(s)).Append("</td>");
                void D(string s) => sb.Append("<td>").Append(E(s)).Append("</td>");
                T(r.ComputerName); T(r.Model); T(r.Precision); T(r.ExecutionProvider); D(r.BatchSize.ToString(CultureInfo.InvariantCulture));
                D(r.Runs.ToString(CultureInfo.InvariantCulture)); D(N(r.MedianMs)); D(N(r.P90Ms)); D(N(r.P95Ms)); D(N(r.P99Ms)); D(N(r.MaxMs));
                D(N(r.MeanMs)); D(N(r.StdDevMs)); D(N(r.Throughput, "0.0")); D(N(r.ModelBytes / 1048576.0, "0.00")); D(N(r.PeakMemoryBytes / 1048576.0, "0.0"));
                D(N(r.InitMs, "0.0")); T(r.Passed ? "yes" : "no"); T(r.FailedBudgets); T(r.CpuModel); T(r.BoardModel);
                D(O(r.CpuMHzBefore, "0") + " / " + O(r.CpuMHzAfter, "0")); D(O(r.TemperatureCBefore) + " / " + O(r.TemperatureCAfter)); T(r.Throttling);
                sb.Append("</tr>\n");
            }
            sb.Append("</table>\n</body></html>\n");
            return sb.ToString();
        }

        /// <summary>Writes the page through a temporary file and a rename.</summary>
        public static void Write(string path, string html)
        {
            var full = Path.GetFullPath(path);
            var dir = Path.GetDirectoryName(full);
            if (!Directory.Exists(dir))
                throw new EdgeOpsException("ReportFolderMissing", "ObjectNotFound", $"The folder '{dir}' does not exist: create it, or give -Path a file in an existing folder.");
            var tmp = full + "." + Guid.NewGuid().ToString("N").Substring(0, 8) + ".tmp";
            File.WriteAllText(tmp, html, new UTF8Encoding(false));
            if (File.Exists(full)) File.Delete(full);
            File.Move(tmp, full);
        }
    }
}
