using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace EdgeOps.Benchmark.Report
{
    /// <summary>One row of the report: a benchmark result, live or read back (Import-Csv) by property name.</summary>
    public sealed class ReportRow
    {
        public string ComputerName { get; set; }
        public string Model { get; set; }
        public string Precision { get; set; }
        public string ExecutionProvider { get; set; }
        public long BatchSize { get; set; }
        public int Runs { get; set; }
        public double MedianMs { get; set; }
        public double MeanMs { get; set; }
        public double P90Ms { get; set; }
        public double P95Ms { get; set; }
        public double P99Ms { get; set; }
        public double MinMs { get; set; }
        public double MaxMs { get; set; }
        public double StdDevMs { get; set; }
        public double Throughput { get; set; }
        public double InitMs { get; set; }
        public long ModelBytes { get; set; }
        public long PeakMemoryBytes { get; set; }
        public bool Passed { get; set; }
        public string FailedBudgets { get; set; }
        public double? MaxMedianMs { get; set; }
        public double? MaxP99Ms { get; set; }
        public long? MaxModelBytes { get; set; }
        public double? MinThroughput { get; set; }
        public string CpuModel { get; set; }
        public string BoardModel { get; set; }
        public int Cores { get; set; }
        public double? CpuMHzBefore { get; set; }
        public double? CpuMHzAfter { get; set; }
        public double? TemperatureCBefore { get; set; }
        public double? TemperatureCAfter { get; set; }
        public string Throttling { get; set; }
        public string MeasuredBy { get; set; }
        /// <summary>Raw latencies when the row is a live result; null when read back from a file.</summary>
        public double[] LatenciesMs { get; set; }

        public string Label => Model + " @ " + ComputerName;

        /// <summary>A row from any object: a BenchmarkResult, or one whose properties are read by name (strings from Import-Csv).</summary>
        public static ReportRow From(object baseObject, Func<string, object> property)
        {
            var row = new ReportRow();
            foreach (var p in typeof(ReportRow).GetProperties())
            {
                if (!p.CanWrite || p.Name == nameof(LatenciesMs)) continue;
                var v = property(p.Name);
                if (v == null || (v is string s && s.Length == 0)) continue;
                var target = Nullable.GetUnderlyingType(p.PropertyType) ?? p.PropertyType;
                try { p.SetValue(row, target == typeof(string) ? Convert.ToString(v, CultureInfo.InvariantCulture) : Convert.ChangeType(v, target, CultureInfo.InvariantCulture)); }
                catch (Exception e) when (e is FormatException || e is InvalidCastException || e is OverflowException)
                {
                    // Import-Csv gives text in the invariant culture; PowerShell's own conversions cover the rest.
                    if (v is string text && target == typeof(bool)) p.SetValue(row, string.Equals(text, "True", StringComparison.OrdinalIgnoreCase));
                    else throw new EdgeOpsException("InvalidReportInput", "InvalidData", $"Property {p.Name} = '{v}' is not a {target.Name}: is this an Invoke-EdgeBenchmark result?", e);
                }
            }
            if (baseObject is BenchmarkResult r) row.LatenciesMs = r.GetLatenciesMs();
            if (string.IsNullOrEmpty(row.Model) || string.IsNullOrEmpty(row.ComputerName))
                throw new EdgeOpsException("InvalidReportInput", "InvalidData",
                    "An input object has no Model or ComputerName: pipe the results of Invoke-EdgeBenchmark (or Import-Csv of them) to Export-EdgeBenchmarkReport.");
            return row;
        }
    }

    /// <summary>Where a chart drew something: lets tests check the PNG really holds each series.</summary>
    public sealed class ChartMark
    {
        public string Series { get; set; }
        public string Label { get; set; }
        public Rgb Color { get; set; }
        public int X { get; set; }
        public int Y { get; set; }
        public int Width { get; set; }
        public int Height { get; set; }
        public double Value { get; set; }
    }

    public sealed class ChartImage
    {
        public byte[] Png { get; set; }
        public int Width { get; set; }
        public int Height { get; set; }
        public List<ChartMark> Marks { get; } = new List<ChartMark>();
    }

    /// <summary>The report's charts: median and P99 per model and device with the budget lines, and each model's latency histogram.</summary>
    public static class Charts
    {
        public static readonly Rgb Background = Rgb.Hex(0xFFFFFF), Ink = Rgb.Hex(0x222222), Grid = Rgb.Hex(0xE4E4E4), Axis = Rgb.Hex(0x888888);
        public static readonly Rgb MedianColor = Rgb.Hex(0x1F77B4), P99Color = Rgb.Hex(0xFF7F0E);
        public static readonly Rgb MedianBudgetColor = Rgb.Hex(0x0B2E6B), P99BudgetColor = Rgb.Hex(0xB22222);
        public static readonly Rgb[] Palette =
        {
            Rgb.Hex(0x2CA02C), Rgb.Hex(0x9467BD), Rgb.Hex(0xD62728), Rgb.Hex(0x17BECF), Rgb.Hex(0x8C564B), Rgb.Hex(0xE377C2), Rgb.Hex(0xBCBD22), Rgb.Hex(0x7F7F7F),
        };

        static string F(double v) => v >= 100 ? v.ToString("0", CultureInfo.InvariantCulture) : v >= 10 ? v.ToString("0.#", CultureInfo.InvariantCulture) : v.ToString("0.##", CultureInfo.InvariantCulture);

        /// <summary>A "nice" axis maximum and tick step for values up to <paramref name="max"/>.</summary>
        public static (double top, double step) NiceAxis(double max)
        {
            if (!(max > 0)) max = 1;
            double raw = max / 5, mag = Math.Pow(10, Math.Floor(Math.Log10(raw))), f = raw / mag;
            double step = (f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 ? 2.5 : f <= 5 ? 5 : 10) * mag;
            return (Math.Ceiling(max / step) * step, step);
        }

        static string Fit(string s, int pixels)
        {
            if (Canvas.TextWidth(s) <= pixels) return s;
            while (s.Length > 1 && Canvas.TextWidth(s + "...") > pixels) s = s.Substring(0, s.Length - 1);
            return s + "...";
        }

        public static ChartImage LatencyBars(IReadOnlyList<ReportRow> rows)
        {
            const int left = 64, right = 24, top = 52, bottom = 64, groupW = 120, plotH = 300;
            int width = Math.Max(560, left + right + groupW * rows.Count);
            int height = top + plotH + bottom;
            int plotW = width - left - right;
            var medianBudgets = rows.Where(r => r.MaxMedianMs.HasValue).Select(r => r.MaxMedianMs.Value).Distinct().ToList();
            var p99Budgets = rows.Where(r => r.MaxP99Ms.HasValue).Select(r => r.MaxP99Ms.Value).Distinct().ToList();
            double max = rows.Select(r => Math.Max(r.P99Ms, r.MedianMs)).Concat(medianBudgets).Concat(p99Budgets).DefaultIfEmpty(1).Max() * 1.08;
            var (yTop, step) = NiceAxis(max);
            var c = new Canvas(width, height, Background);
            var img = new ChartImage { Width = width, Height = height };
            int Py(double v) => top + plotH - (int)Math.Round(Math.Min(v, yTop) / yTop * plotH);

            c.Text(left, 8, "Latency per model and device: median and P99 (ms)", Ink);
            for (double t = 0; t <= yTop + step / 2; t += step)
            {
                int y = Py(t);
                c.HLine(left, left + plotW, y, Grid);
                c.Text(left - 6, y - Canvas.TextHeight / 2, F(t), Ink, 2);
            }
            c.VLine(left, top, top + plotH, Axis);
            c.HLine(left, left + plotW, top + plotH, Axis);

            int slot = plotW / Math.Max(1, rows.Count);
            int barW = Math.Max(4, Math.Min(40, slot * 28 / 100));
            for (int i = 0; i < rows.Count; i++)
            {
                var r = rows[i];
                int gx = left + i * slot;
                int cx = gx + slot / 2;
                foreach (var (series, value, color, x) in new[] { ("median", r.MedianMs, MedianColor, cx - barW - 2), ("p99", r.P99Ms, P99Color, cx + 2) })
                {
                    int y = Math.Min(Py(value), top + plotH - 1);
                    c.FillRect(x, y, barW, top + plotH - y, color);
                    c.Text(x + barW / 2, y - Canvas.TextHeight, F(value), Ink, 1);
                    img.Marks.Add(new ChartMark { Series = series, Label = r.Label, Color = color, X = x, Y = y, Width = barW, Height = top + plotH - y, Value = value });
                }
                c.Text(cx, top + plotH + 6, Fit(r.Model, slot - 6), Ink, 1);
                c.Text(cx, top + plotH + 6 + Canvas.TextHeight, Fit(r.ComputerName, slot - 6), Axis, 1);
            }
            foreach (var (budgets, color, name) in new[] { (medianBudgets, MedianBudgetColor, "median budget"), (p99Budgets, P99BudgetColor, "P99 budget") })
                foreach (var b in budgets)
                {
                    int y = Py(b);
                    c.HLine(left + 1, left + plotW, y, color, 2, 6);
                    var label = $"{name} {F(b)} ms";
                    c.FillRect(left + plotW - 8 - Canvas.TextWidth(label), y - Canvas.TextHeight - 2, Canvas.TextWidth(label) + 8, Canvas.TextHeight, Background);
                    c.Text(left + plotW - 4, y - Canvas.TextHeight - 1, label, color, 2);
                    img.Marks.Add(new ChartMark { Series = name, Label = name, Color = color, X = left + 1, Y = y, Width = plotW - 1, Height = 2, Value = b });
                }
            // legend
            int lx = width - right - 190;
            c.FillRect(lx, 30, 12, 12, MedianColor); c.Text(lx + 16, 28, "median", Ink);
            c.FillRect(lx + 90, 30, 12, 12, P99Color); c.Text(lx + 106, 28, "P99", Ink);
            img.Png = c.ToPng();
            return img;
        }

        public static ChartImage Distributions(IReadOnlyList<ReportRow> rows)
        {
            const int left = 64, right = 24, panelH = 96, gap = 34, top = 40, bins = 40;
            int width = 720, plotW = width - left - right;
            int height = top + rows.Count * (panelH + gap) + 30;
            var c = new Canvas(width, height, Background);
            var img = new ChartImage { Width = width, Height = height };
            c.Text(left, 8, "Latency distribution per model and device (share of runs; tail beyond 1.2 x P99 in the last bin)", Ink);
            double lo = Math.Max(0, rows.Select(r => r.MinMs).DefaultIfEmpty(0).Min() * 0.95);
            double hi = rows.Select(r => Math.Max(r.P99Ms * 1.2, r.MedianMs * 1.5)).DefaultIfEmpty(1).Max();
            if (hi <= lo) hi = lo + 1;
            double binW = (hi - lo) / bins;
            int Px(double v) => left + (int)Math.Round((Math.Min(Math.Max(v, lo), hi) - lo) / (hi - lo) * plotW);
            for (int i = 0; i < rows.Count; i++)
            {
                var r = rows[i];
                var color = Palette[i % Palette.Length];
                int y0 = top + i * (panelH + gap);
                int baseY = y0 + panelH;
                c.Text(left, y0 - 2, Fit($"{r.Label} ({r.Precision})", plotW), Ink);
                c.HLine(left, left + plotW, baseY, Axis);
                c.VLine(left, y0 + Canvas.TextHeight, baseY, Axis);
                if (r.LatenciesMs != null && r.LatenciesMs.Length > 0)
                {
                    var counts = new int[bins];
                    foreach (var v in r.LatenciesMs) counts[Math.Max(0, Math.Min(bins - 1, (int)((v - lo) / binW)))]++;
                    double share = counts.Max() / (double)r.LatenciesMs.Length;
                    int usable = panelH - Canvas.TextHeight - 4;
                    c.Text(left - 6, baseY - usable - 6, (share * 100).ToString("0", CultureInfo.InvariantCulture) + "%", Ink, 2);
                    c.Text(left - 6, baseY - Canvas.TextHeight / 2, "0", Ink, 2);
                    int best = Array.IndexOf(counts, counts.Max());
                    for (int b = 0; b < bins; b++)
                    {
                        if (counts[b] == 0) continue;
                        int h = Math.Max(1, (int)Math.Round(counts[b] / (double)counts[best] * usable));
                        int x0 = Px(lo + b * binW) + 1, x1 = Px(lo + (b + 1) * binW);
                        c.FillRect(x0, baseY - h, Math.Max(1, x1 - x0), h, color);
                        if (b == best)
                            img.Marks.Add(new ChartMark { Series = "histogram", Label = r.Label, Color = color, X = x0, Y = baseY - h, Width = Math.Max(1, x1 - x0), Height = h, Value = counts[b] / (double)r.LatenciesMs.Length });
                    }
                }
                else
                {
                    c.Text(left + plotW / 2, y0 + panelH / 2 - 8, "raw latencies not in the input (results read back from a file): percentiles marked", Axis, 1);
                }
                // median and P99 markers
                foreach (var (v, name) in new[] { (r.MedianMs, "median"), (r.P99Ms, "P99") })
                {
                    int x = Px(v);
                    for (int y = y0 + Canvas.TextHeight; y < baseY; y += 4) { c.Set(x, y, Ink); c.Set(x, y + 1, Ink); }
                    c.Text(x + 3, y0 + Canvas.TextHeight, $"{name} {F(v)}", Ink);
                }
                // x axis ticks
                var tick = NiceAxis(hi - lo).step;
                for (double t = Math.Ceiling(lo / tick) * tick; t <= hi; t += tick)
                {
                    int x = Px(t);
                    c.VLine(x, baseY, baseY + 3, Axis);
                    c.Text(x, baseY + 4, F(t), Ink, 1);
                }
            }
            c.Text(left + plotW, height - 20, "latency (ms)", Ink, 2);
            img.Png = c.ToPng();
            return img;
        }
    }
}
