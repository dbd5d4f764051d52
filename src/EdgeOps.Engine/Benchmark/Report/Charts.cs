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

        public static ChartImage LatencyBars(IReadOnlyList<BenchmarkResult> rows)
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
                    img.Marks.Add(new ChartMark { Series = series, Label = ReportInput.Label(r), Color = color, X = x, Y = y, Width = barW, Height = top + plotH - y, Value = value });
                }
                c.Text(cx, top + plotH + 6, Fit(r.Model, slot - 6), Ink, 1);
                c.Text(cx, top + plotH + 6 + Canvas.TextHeight, Fit(r.ComputerName, slot - 6), Axis, 1);
            }
            // Budget lines across the plot; their labels go in the legend row under the title, never over a bar.
            int legendX = left;
            foreach (var (color, name) in new[] { (MedianColor, "median"), (P99Color, "P99") })
            {
                c.FillRect(legendX, 30, 12, 12, color);
                c.Text(legendX + 16, 28, name, Ink);
                legendX += 16 + Canvas.TextWidth(name) + 14;
            }
            foreach (var (budgets, color, name) in new[] { (medianBudgets, MedianBudgetColor, "median budget"), (p99Budgets, P99BudgetColor, "P99 budget") })
                foreach (var b in budgets)
                {
                    int y = Py(b);
                    c.HLine(left + 1, left + plotW, y, color, 2, 6);
                    img.Marks.Add(new ChartMark { Series = name, Label = name, Color = color, X = left + 1, Y = y, Width = plotW - 1, Height = 2, Value = b });
                    var label = $"{name} {F(b)} ms";
                    c.HLine(legendX, legendX + 18, 36, color, 2, 6);
                    c.Text(legendX + 22, 28, label, color);
                    legendX += 22 + Canvas.TextWidth(label) + 14;
                }
            img.Png = c.ToPng();
            return img;
        }

        public static ChartImage Distributions(IReadOnlyList<BenchmarkResult> rows)
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
                c.Text(left, y0 - 2, Fit($"{ReportInput.Label(r)} ({r.Precision})", plotW), Ink);
                c.HLine(left, left + plotW, baseY, Axis);
                c.VLine(left, y0 + Canvas.TextHeight, baseY, Axis);
                var latencies = r.GetLatenciesMs();
                if (latencies.Length > 0)
                {
                    var counts = new int[bins];
                    foreach (var v in latencies) counts[Math.Max(0, Math.Min(bins - 1, (int)((v - lo) / binW)))]++;
                    double share = counts.Max() / (double)latencies.Length;
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
                            img.Marks.Add(new ChartMark { Series = "histogram", Label = ReportInput.Label(r), Color = color, X = x0, Y = baseY - h, Width = Math.Max(1, x1 - x0), Height = h, Value = counts[b] / (double)latencies.Length });
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
