using System.Text.RegularExpressions;
using System.Xml.Linq;
using EdgeOps.Benchmark;
using EdgeOps.Benchmark.Report;
using EdgeOps.Tests.Infrastructure;
using Xunit;

namespace EdgeOps.Tests.Benchmark
{
    public sealed class ReportTests : IDisposable
    {
        readonly string _dir = Path.Combine(Path.GetTempPath(), "edgeops-report-" + Guid.NewGuid().ToString("N"));
        public ReportTests() => Directory.CreateDirectory(_dir);
        public void Dispose() { try { Directory.Delete(_dir, true); } catch (IOException) { } }

        static readonly XNamespace Svg = "http://www.w3.org/2000/svg";

        /// <summary>The page's inline SVG elements, each parsed as the XML it must be.</summary>
        static List<XElement> Svgs(string html) =>
            Regex.Matches(html, "<svg[\\s\\S]*?</svg>").Select(m => XElement.Parse(m.Value)).ToList();

        static double A(XElement e, string name) => double.Parse(e.Attribute(name)!.Value, System.Globalization.CultureInfo.InvariantCulture);
        static string Tip(XElement e) => e.Element(Svg + "title")?.Value ?? "";
        static IEnumerable<XElement> Classed(XElement svg, string cls) =>
            svg.Descendants().Where(e => (e.Attribute("class")?.Value ?? "").Split(' ').Contains(cls));

        static BenchmarkResult Row(string device, string model, double[] latencies, double? maxMedian = null, double? maxP99 = null)
        {
            var s = LatencyStatistics.Compute(latencies);
            var r = new BenchmarkResult
            {
                ComputerName = device, Model = model, Precision = "FP32", MedianMs = s.Median, P99Ms = s.P99, P90Ms = s.P90, P95Ms = s.P95,
                MinMs = s.Min, MaxMs = s.Max, MeanMs = s.Mean, Passed = true, MaxMedianMs = maxMedian, MaxP99Ms = maxP99,
            };
            r.SetLatencies(latencies);
            return r;
        }

        [Fact]
        public void Charts_draw_every_series_where_the_values_say()
        {
            var rng = new SeededRandom(21);
            var rows = new List<BenchmarkResult>
            {
                Row("pi4", "a.onnx", rng.Normal(500, 1f).Select(v => 12 + Math.Abs((double)v)).ToArray(), 15, 30),
                Row("pi4", "a.int8.onnx", rng.Normal(500, 0.5f).Select(v => 5 + Math.Abs((double)v)).ToArray(), 15, 30),
                Row("pi5", "a.onnx", Enumerable.Range(0, 400).Select(i => 20 + (i % 7)).Select(v => (double)v).ToArray(), 15, 30),
            };
            var html = BenchmarkReport.Html(rows, "t <b>&</b>");
            Assert.Contains("<title>t &lt;b&gt;&amp;&lt;/b&gt;</title>", html);
            Assert.DoesNotContain("data:image", html);
            var charts = Svgs(html);
            Assert.Equal(2, charts.Count);
            var bars = charts[0];

            // One median and one P99 bar per row, all from the same axis origin, each as long as its value on one scale.
            var median = Classed(bars, "median").ToList();
            var p99 = Classed(bars, "p99").ToList();
            Assert.Equal(3, median.Count);
            Assert.Equal(3, p99.Count);
            double origin = A(median[0], "x"), scale = A(p99[0], "width") / rows[0].P99Ms;
            for (int i = 0; i < rows.Count; i++)
                foreach (var (bar, value) in new[] { (median[i], rows[i].MedianMs), (p99[i], rows[i].P99Ms) })
                {
                    Assert.Equal(origin, A(bar, "x"));
                    Assert.InRange(A(bar, "width"), value * scale - 0.02, value * scale + 0.02);
                    Assert.StartsWith(ReportInput.Label(rows[i]) + ":", Tip(bar));
                    Assert.Equal(Charts.MedianColor == bar.Attribute("fill")!.Value ? "median" : "p99", bar.Attribute("class")!.Value.Split(' ')[1]);
                }
            // pi5's median (23 ms) is longer than pi4's FP32 one (about 12.7 ms), which is longer than the INT8 one (about 5.3 ms)
            Assert.True(A(median[2], "width") > A(median[0], "width") && A(median[0], "width") > A(median[1], "width"));
            // the P99 bar sits under the median bar of its row, inside the row
            for (int i = 0; i < rows.Count; i++) Assert.True(A(p99[i], "y") >= A(median[i], "y") + A(median[i], "height"));

            // Budget lines cross every row at their value on the same scale, and the legend names them.
            var budgets = Classed(bars, "budget").ToList();
            Assert.Equal(new[] { 15.0, 30.0 }, budgets.Select(b => Math.Round((A(b, "x1") - origin) / scale, 1)).OrderBy(v => v));
            Assert.All(budgets, b => Assert.True(A(b, "y1") < A(median[0], "y") && A(b, "y2") >= A(p99[2], "y") + A(p99[2], "height")));
            var texts = bars.Descendants(Svg + "text").Select(t => t.Value).ToList();
            Assert.Contains("median budget 15 ms", texts);
            Assert.Contains("P99 budget 30 ms", texts);
            Assert.Contains("median", texts);
            Assert.Contains("P99", texts);
            // every model and device is named in a text of its own
            Assert.Equal(rows.Select(r => r.Model), Classed(bars, "model").Select(t => t.Value));
            Assert.Equal(rows.Select(r => r.ComputerName), Classed(bars, "device").Select(t => t.Value));

            // The distribution chart: one histogram per row, in its own colour, each run counted once, the tallest bin where the data is densest.
            var dist = charts[1];
            var hist = rows.Select((r, i) => Classed(dist, "series-" + i).ToList()).ToList();
            Assert.Equal(3, hist.Select(h => h.Select(b => b.Attribute("fill")!.Value).Distinct().Single()).Distinct().Count());
            for (int i = 0; i < rows.Count; i++)
                Assert.Equal(rows[i].GetLatenciesMs().Length, hist[i].Sum(b => int.Parse(Regex.Match(Tip(b), @", (\d+) of").Groups[1].Value)));
            XElement Tallest(List<XElement> h) => h.OrderByDescending(b => A(b, "height")).First();
            Assert.True(A(Tallest(hist[0]), "x") > A(Tallest(hist[1]), "x"), "the FP32 model's mode lies right of the INT8 one's");
            // pi5's samples are uniform over 20..26: seven bins of about equal height
            Assert.InRange(hist[2].Count(b => A(b, "height") > A(Tallest(hist[2]), "height") * 0.8), 6, 8);
            Assert.Equal(6, Classed(dist, "marker").Count());
            Assert.Equal(rows.Select(r => $"{ReportInput.Label(r)} (FP32)"), Classed(dist, "caption").Select(t => t.Value));
        }

        [Fact]
        public void Hostile_and_non_ASCII_names_are_escaped_and_shown_as_themselves()
        {
            var names = new[] { "modèle-ß-日本.onnx", "a<b>&\"'$(rm -rf ~);`x`.onnx", "</svg><script>alert(1)</script>]]>.onnx", "ctl\u0001\u001b[31m\uD800.onnx" };
            var rows = names.Select((n, i) => Row("dev 'x' $(y) 😀", n, new[] { 1.0 + i, 2.0 + i, 3.0 + i })).ToList();
            var html = BenchmarkReport.Html(rows, "</title><script>x</script>");
            Assert.DoesNotContain("<script>", html);
            for (int i = 0; i < html.Length; i++)                            // no control character, no lone surrogate
            {
                Assert.False(html[i] == '\u0001' || html[i] == '\u001b', $"control character at {i}");
                if (char.IsHighSurrogate(html[i])) Assert.True(i + 1 < html.Length && char.IsLowSurrogate(html[++i]), $"lone surrogate at {i}");
                else Assert.False(char.IsLowSurrogate(html[i]), $"lone surrogate at {i}");
            }
            Assert.Contains("modèle-ß-日本.onnx", html);                    // itself, not a ? or a character reference
            var charts = Svgs(html);
            Assert.Equal(2, charts.Count);
            var shown = Classed(charts[0], "model").Select(t => t.Value).ToList();
            Assert.Equal(names.Take(3), shown.Take(3));
            Assert.Equal("ctl\uFFFD\uFFFD[31m\uFFFD.onnx", shown[3]);            // what XML cannot hold is shown as U+FFFD
            Assert.All(Classed(charts[0], "device"), t => Assert.Equal("dev 'x' $(y) 😀", t.Value));
            Assert.Contains(charts[1].Descendants(Svg + "text"), t => t.Value == "modèle-ß-日本.onnx @ dev 'x' $(y) 😀 (FP32)");
            // the table holds the same names
            Assert.Contains("<td class=\"t\">a&lt;b&gt;&amp;&quot;&#39;$(rm -rf ~);`x`.onnx</td>", html);
        }

        [ChromiumFact]
        public void Report_renders_in_headless_Chromium_with_a_non_ASCII_model_name()
        {
            var rng = new SeededRandom(5);
            var rows = new List<BenchmarkResult>
            {
                Row("pi5-01", "modèle-ß-日本.onnx", rng.Normal(300, 1f).Select(v => 9 + Math.Abs((double)v)).ToArray(), 15, 30),
                Row("pi5-01", "modèle-ß-日本.int8.onnx", rng.Normal(300, 0.5f).Select(v => 4 + Math.Abs((double)v)).ToArray(), 15, 30),
                Row("jetson 'nano'", "mobilenet <v2>.onnx", rng.Normal(300, 2f).Select(v => 18 + Math.Abs((double)v)).ToArray(), 15, 30),
            };
            var page = Path.Combine(_dir, "report ß 日本.html");
            BenchmarkReport.Write(page, BenchmarkReport.Html(rows, "Edge report: modèle-ß-日本"));
            var png = Path.Combine(_dir, "shot.png");
            Chromium.Screenshot(page, png, 1200, 900);
            if (Environment.GetEnvironmentVariable("EDGEOPS_KEEP_SCREENSHOT") is { Length: > 0 } keep) File.Copy(png, keep, true);

            var (width, height, rgb) = Chromium.Pixels(png);
            Assert.Equal((1200, 900), (width, height));
            Assert.Equal(width * height * 3, rgb.Length);
            int Count(string hex)
            {
                var c = Convert.FromHexString(hex.TrimStart('#'));
                int n = 0;
                for (int i = 0; i < rgb.Length; i += 3) if (rgb[i] == c[0] && rgb[i + 1] == c[1] && rgb[i + 2] == c[2]) n++;
                return n;
            }
            // the bars are drawn: three median and three P99 bars of 18 px height, each at least ~60 px long
            Assert.True(Count(Charts.MedianColor) > 3 * 18 * 50, $"median colour on {Count(Charts.MedianColor)} pixels");
            Assert.True(Count(Charts.P99Color) > 3 * 18 * 50, $"P99 colour on {Count(Charts.P99Color)} pixels");
            // and text around them: anti-aliased glyphs give many distinct colours in the chart's rows
            var colours = new HashSet<int>();
            for (int i = 0; i < rgb.Length; i += 3) colours.Add((rgb[i] << 16) | (rgb[i + 1] << 8) | rgb[i + 2]);
            Assert.True(colours.Count > 100, $"{colours.Count} distinct colours");

            // a render with other data differs where the bars are
            var other = rows.Select(r => Row(r.ComputerName, r.Model, r.GetLatenciesMs().Select(v => v * 2).ToArray(), 15, 30)).ToList();
            BenchmarkReport.Write(page, BenchmarkReport.Html(other, "Edge report: modèle-ß-日本"));
            var png2 = Path.Combine(_dir, "shot2.png");
            Chromium.Screenshot(page, png2, 1200, 900);
            Assert.NotEqual(rgb, Chromium.Pixels(png2).rgb);
        }

        [Fact]
        public void Chromium_tests_fail_under_CI_instead_of_skipping()
        {
            Assert.Null(ChromiumFactAttribute.SkipReasonFor(null, null, isCI: true));
            Assert.Null(ChromiumFactAttribute.SkipReasonFor("/usr/bin/chromium", "/usr/bin/stream", isCI: false));
            Assert.Contains("tests/setup/report.sh", ChromiumFactAttribute.SkipReasonFor(null, "/usr/bin/stream", isCI: false));
            Assert.Contains("ImageMagick", ChromiumFactAttribute.SkipReasonFor("/usr/bin/chromium", null, isCI: false));
        }

        [Fact]
        public void Export_EdgeBenchmarkReport_writes_one_page_from_live_and_imported_results()
        {
            using var ps = new PowerShellSession();
            var path = Path.Combine(_dir, "report 'x' $(y).html");
            var r = ps.Run("$res = Invoke-EdgeBenchmark -Runs 8 -WarmupRuns 1; $res | Export-EdgeBenchmarkReport -Path $args[0] -PassThru -Title 'Food-11 <edge>'", path);
            Assert.Empty(r.Errors);
            Assert.Equal(path, Assert.Single(r.Output).Properties["FullName"].Value);
            var html = File.ReadAllText(path);
            Assert.Contains("<title>Food-11 &lt;edge&gt;</title>", html);
            Assert.Equal(2, Svgs(html).Count);
            Assert.Contains("sample-mobilenet.int8.onnx", html);
            Assert.Contains("<tr class=\"fail\">", html);                  // the FP32 model fails the 5 MB budget
            Assert.DoesNotContain("src=\"http", html);                     // self-contained

            // Read back as Import-Csv would give them (every property a string): the report still renders.
            var csvLike = ps.Run("$res | ForEach-Object { $o = [ordered]@{}; foreach ($p in $_.PSObject.Properties) { $o[$p.Name] = [string]$p.Value }; [pscustomobject]$o } | " +
                                 "Export-EdgeBenchmarkReport -Path $args[0]", Path.Combine(_dir, "again.html"));
            Assert.Empty(csvLike.Errors);
            var again = File.ReadAllText(Path.Combine(_dir, "again.html"));
            var svgs = Svgs(again);
            Assert.Equal(2, svgs.Count);
            // the bars are there; the histograms are not (no raw latencies in text columns), only percentile markers
            Assert.Equal(2, Classed(svgs[0], "p99").Count());
            Assert.Empty(Classed(svgs[1], "bin"));
            Assert.Equal(4, Classed(svgs[1], "marker").Count());
            Assert.Contains("sample-mobilenet.onnx", again);

            var noClobber = ps.Run("$res | Export-EdgeBenchmarkReport -Path $args[0] -NoClobber", path);
            Assert.Equal("ReportExists", Assert.Single(noClobber.Errors).FullyQualifiedErrorId.Split(',')[0]);
            var junk = ps.Run("[pscustomobject]@{ Name = 'x' } | Export-EdgeBenchmarkReport -Path $args[0]", Path.Combine(_dir, "junk.html"));
            Assert.Contains(junk.Errors, e => e.ToString().Contains("no Model or ComputerName"));
            Assert.False(File.Exists(Path.Combine(_dir, "junk.html")));
            var whatIf = ps.Run("$res | Export-EdgeBenchmarkReport -Path $args[0] -WhatIf", Path.Combine(_dir, "whatif.html"));
            Assert.False(File.Exists(Path.Combine(_dir, "whatif.html")));
        }
    }
}
