using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace EdgeOps.Benchmark.Report
{
    /// <summary>Report input: a live BenchmarkResult, or one rebuilt by property name from any object (Import-Csv rows give text).</summary>
    public static class ReportInput
    {
        public static BenchmarkResult From(object baseObject, Func<string, object> property)
        {
            if (baseObject is BenchmarkResult live) return live;
            var row = new BenchmarkResult();
            foreach (var p in typeof(BenchmarkResult).GetProperties())
            {
                if (!p.CanWrite) continue;
                var v = property(p.Name);
                if (v == null || (v is string s && s.Length == 0)) continue;
                var target = Nullable.GetUnderlyingType(p.PropertyType) ?? p.PropertyType;
                try
                {
                    object value;
                    if (target == typeof(string)) value = Convert.ToString(v, CultureInfo.InvariantCulture);
                    else if (target == typeof(DateTimeOffset))
                    {
                        // a time stamp written in another culture is not worth refusing a report for
                        if (v is DateTimeOffset d) value = d;
                        else if (DateTimeOffset.TryParse(Convert.ToString(v, CultureInfo.InvariantCulture), CultureInfo.InvariantCulture, DateTimeStyles.None, out var parsed)) value = parsed;
                        else continue;
                    }
                    else if (target == typeof(bool) && v is string text) value = bool.Parse(text);
                    else value = Convert.ChangeType(v, target, CultureInfo.InvariantCulture);
                    p.SetValue(row, value);
                }
                catch (Exception e) when (e is FormatException || e is InvalidCastException || e is OverflowException)
                {
                    throw new EdgeOpsException("InvalidReportInput", "InvalidData", $"Property {p.Name} = '{v}' is not a {target.Name}: pipe Invoke-EdgeBenchmark results (or Import-Csv of them) to Export-EdgeBenchmarkReport.", e);
                }
            }
            if (string.IsNullOrEmpty(row.Model) || string.IsNullOrEmpty(row.ComputerName))
                throw new EdgeOpsException("InvalidReportInput", "InvalidData",
                    "An input object has no Model or ComputerName: pipe the results of Invoke-EdgeBenchmark (or Import-Csv of them) to Export-EdgeBenchmarkReport.");
            return row;
        }

        public static string Label(BenchmarkResult r) => r.Model + " @ " + r.ComputerName;
    }

    /// <summary>The report's charts as inline SVG: median and P99 per model and device with the budget lines, and each model's latency histogram.</summary>
    public static class Charts
    {
        public const string Ink = "#222222", Grid = "#e4e4e4", Axis = "#888888";
        public const string MedianColor = "#1f77b4", P99Color = "#ff7f0e", MedianBudgetColor = "#0b2e6b", P99BudgetColor = "#b22222";
        public static readonly string[] Palette = { "#2ca02c", "#9467bd", "#d62728", "#17becf", "#8c564b", "#e377c2", "#bcbd22", "#7f7f7f" };

        static string F(double v) => v >= 100 ? v.ToString("0", CultureInfo.InvariantCulture) : v >= 10 ? v.ToString("0.#", CultureInfo.InvariantCulture) : v.ToString("0.##", CultureInfo.InvariantCulture);

        /// <summary>A "nice" axis maximum and tick step for values up to <paramref name="max"/>.</summary>
        public static (double top, double step) NiceAxis(double max)
        {
            if (!(max > 0)) max = 1;
            double raw = max / 5, mag = Math.Pow(10, Math.Floor(Math.Log10(raw))), f = raw / mag;
            double step = (f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 ? 2.5 : f <= 5 ? 5 : 10) * mag;
            return (Math.Ceiling(max / step) * step, step);
        }

        /// <summary>
        /// One row per model and device (model name over device name on the left), a median and a P99 bar each, as long as
        /// their values on a shared millisecond axis; budget lines across all rows, named in the legend under the title.
        /// </summary>
        public static string LatencyBars(IReadOnlyList<BenchmarkResult> rows)
        {
            const double top = 72, rowH = 58, barH = 18, plotW = 640, valueRoom = 56;
            double labelW = Math.Max(120, rows.Max(r => Math.Max(SvgWriter.TextWidth(r.Model, 12), SvgWriter.TextWidth(r.ComputerName, 11)))) + 16;
            double left = 12 + labelW, bottom = top + rowH * rows.Count;
            var medianBudgets = rows.Where(r => r.MaxMedianMs.HasValue).Select(r => r.MaxMedianMs.Value).Distinct().ToList();
            var p99Budgets = rows.Where(r => r.MaxP99Ms.HasValue).Select(r => r.MaxP99Ms.Value).Distinct().ToList();
            double max = rows.Select(r => Math.Max(r.P99Ms, r.MedianMs)).Concat(medianBudgets).Concat(p99Budgets).DefaultIfEmpty(1).Max() * 1.08;
            var (xTop, step) = NiceAxis(max);
            double Px(double v) => left + Math.Max(0, Math.Min(v, xTop)) / xTop * plotW;
            var svg = new SvgWriter();

            svg.Text(12, 22, "Latency per model and device: median and P99 (ms)", Ink, size: 14, bold: true);
            for (double t = 0; t <= xTop + step / 2; t += step)
            {
                svg.Line(Px(t), top - 6, Px(t), bottom, Grid);
                svg.Text(Px(t), bottom + 16, F(t), Ink, "middle", 11);
            }
            svg.Text(left + plotW, bottom + 32, "latency (ms)", Axis, "end", 11);
            for (int i = 0; i < rows.Count; i++)
            {
                var r = rows[i];
                double y0 = top + i * rowH;
                svg.Text(left - 10, y0 + 24, r.Model, Ink, "end", bold: true, cls: "model");
                svg.Text(left - 10, y0 + 40, r.ComputerName, Axis, "end", 11, cls: "device");
                foreach (var (series, name, value, color, y) in new[] { ("median", "median", r.MedianMs, MedianColor, y0 + 8), ("p99", "P99", r.P99Ms, P99Color, y0 + 10 + barH) })
                {
                    double w = Px(value) - left;
                    svg.Rect(left, y, w, barH, color, "bar " + series, $"{ReportInput.Label(r)}: {name} {F(value)} ms");
                    svg.Text(left + w + 4, y + barH - 5, F(value), Ink, size: 11);
                }
            }
            svg.Line(left, top - 6, left, bottom, Axis);

            // Legend under the title: the two series, then every budget line with its value; the lines themselves cross all rows.
            double lx = 12;
            foreach (var (color, name) in new[] { (MedianColor, "median"), (P99Color, "P99") })
            {
                svg.Rect(lx, 36, 12, 12, color);
                svg.Text(lx + 16, 46, name, Ink);
                lx += 16 + SvgWriter.TextWidth(name, 12) + 14;
            }
            foreach (var (budgets, color, name, cls) in new[] { (medianBudgets, MedianBudgetColor, "median budget", "budget median-budget"), (p99Budgets, P99BudgetColor, "P99 budget", "budget p99-budget") })
                foreach (var b in budgets)
                {
                    var label = $"{name} {F(b)} ms";
                    svg.Line(Px(b), top - 10, Px(b), bottom, color, 2, "6 4", cls, label);
                    svg.Line(lx, 42, lx + 18, 42, color, 2, "6 4");
                    svg.Text(lx + 22, 46, label, color);
                    lx += 22 + SvgWriter.TextWidth(label, 12) + 14;
                }
            double width = Math.Max(left + plotW + valueRoom, lx);
            return svg.ToSvg(width, bottom + 44, "Median and P99 latency per model and device, with budget lines");
        }

        /// <summary>Each model's latency histogram (share of runs per bin) on a shared axis, with its median and P99 marked.</summary>
        public static string Distributions(IReadOnlyList<BenchmarkResult> rows)
        {
            const double left = 64, plotW = 680, panelH = 96, gap = 44, top = 52;
            const int bins = 40;
            string Caption(BenchmarkResult r) => $"{ReportInput.Label(r)} ({r.Precision})";
            double width = Math.Max(left + plotW + 24, rows.Max(r => left + SvgWriter.TextWidth(Caption(r), 12) + 24));
            double height = top + rows.Count * (panelH + gap) + 16;
            double lo = Math.Max(0, rows.Select(r => r.MinMs).DefaultIfEmpty(0).Min() * 0.95);
            double hi = rows.Select(r => Math.Max(r.P99Ms * 1.2, r.MedianMs * 1.5)).DefaultIfEmpty(1).Max();
            if (hi <= lo) hi = lo + 1;
            double binW = (hi - lo) / bins;
            double Px(double v) => left + (Math.Min(Math.Max(v, lo), hi) - lo) / (hi - lo) * plotW;
            var svg = new SvgWriter();
            svg.Text(12, 22, "Latency distribution per model and device (share of runs; tail beyond 1.2 x P99 in the last bin)", Ink, size: 14, bold: true);
            for (int i = 0; i < rows.Count; i++)
            {
                var r = rows[i];
                var color = Palette[i % Palette.Length];
                double y0 = top + i * (panelH + gap), baseY = y0 + panelH, usable = panelH - 28;
                svg.Text(left, y0 - 4, Caption(r), Ink, bold: true, cls: "caption");
                svg.Line(left, baseY, left + plotW, baseY, Axis);
                svg.Line(left, y0 + 12, left, baseY, Axis);
                var latencies = r.GetLatenciesMs();
                if (latencies.Length > 0)
                {
                    var counts = new int[bins];
                    foreach (var v in latencies) counts[Math.Max(0, Math.Min(bins - 1, (int)((v - lo) / binW)))]++;
                    int most = counts.Max();
                    svg.Text(left - 6, baseY - usable + 4, (most * 100.0 / latencies.Length).ToString("0", CultureInfo.InvariantCulture) + "%", Ink, "end", 11);
                    svg.Text(left - 6, baseY + 4, "0", Ink, "end", 11);
                    for (int b = 0; b < bins; b++)
                    {
                        if (counts[b] == 0) continue;
                        double h = Math.Max(1, counts[b] / (double)most * usable), x0 = Px(lo + b * binW), x1 = Px(lo + (b + 1) * binW);
                        svg.Rect(x0 + 0.5, baseY - h, Math.Max(1, x1 - x0 - 1), h, color, "bin series-" + i,
                            $"{ReportInput.Label(r)}: {F(lo + b * binW)} to {F(lo + (b + 1) * binW)} ms, {counts[b]} of {latencies.Length} runs");
                    }
                }
                else
                {
                    svg.Text(left + plotW / 2, y0 + panelH / 2, "raw latencies not in the input (results read back from a file): percentiles marked", Axis, "middle", 11);
                }
                // each marker's label on a line of its own, so close percentiles never print over each other
                foreach (var (v, name, labelY) in new[] { (r.MedianMs, "median", y0 + 10), (r.P99Ms, "P99", y0 + 22) })
                {
                    svg.Line(Px(v), labelY - 9, Px(v), baseY, Ink, 1.5, "2 2", "marker " + name.ToLowerInvariant(), $"{ReportInput.Label(r)}: {name} {F(v)} ms");
                    svg.Text(Px(v) + 3, labelY, $"{name} {F(v)}", Ink, size: 11);
                }
                var tick = NiceAxis(hi - lo).step;
                for (double t = Math.Ceiling(lo / tick) * tick; t <= hi; t += tick)
                {
                    svg.Line(Px(t), baseY, Px(t), baseY + 4, Axis);
                    svg.Text(Px(t), baseY + 16, F(t), Ink, "middle", 11);
                }
            }
            svg.Text(left + plotW, height - 4, "latency (ms)", Axis, "end", 11);
            return svg.ToSvg(width, height, "Latency histogram per model and device");
        }
    }
}
