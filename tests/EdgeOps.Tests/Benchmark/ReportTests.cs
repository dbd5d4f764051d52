using System.IO.Compression;
using System.Text.RegularExpressions;
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

        /// <summary>A PNG decoder written from the specification (8-bit RGB/RGBA, all five filters): the test's own reading.</summary>
        sealed class Png
        {
            public int Width, Height;
            byte[] _rgb = Array.Empty<byte>();

            public static Png Decode(byte[] file)
            {
                Assert.Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }, file[..8]);
                var png = new Png();
                int pos = 8, channels = 0;
                using var idat = new MemoryStream();
                while (pos < file.Length)
                {
                    int len = (file[pos] << 24) | (file[pos + 1] << 16) | (file[pos + 2] << 8) | file[pos + 3];
                    var type = System.Text.Encoding.ASCII.GetString(file, pos + 4, 4);
                    var data = file.AsSpan(pos + 8, len);
                    uint crc = Crc32(file.AsSpan(pos + 4, len + 4));
                    uint stored = (uint)((file[pos + 8 + len] << 24) | (file[pos + 9 + len] << 16) | (file[pos + 10 + len] << 8) | file[pos + 11 + len]);
                    Assert.Equal(stored, crc);
                    if (type == "IHDR")
                    {
                        png.Width = (data[0] << 24) | (data[1] << 16) | (data[2] << 8) | data[3];
                        png.Height = (data[4] << 24) | (data[5] << 16) | (data[6] << 8) | data[7];
                        Assert.Equal(8, data[8]);
                        channels = data[9] == 2 ? 3 : data[9] == 6 ? 4 : throw new InvalidDataException("colour type " + data[9]);
                    }
                    else if (type == "IDAT") idat.Write(data);
                    else if (type == "IEND") break;
                    pos += 12 + len;
                }
                idat.Position = 0;
                using var z = new ZLibStream(idat, CompressionMode.Decompress);
                using var raw = new MemoryStream();
                z.CopyTo(raw);
                var bytes = raw.ToArray();
                int stride = png.Width * channels;
                Assert.Equal((stride + 1) * png.Height, bytes.Length);
                var cur = new byte[stride * png.Height];
                for (int y = 0; y < png.Height; y++)
                {
                    int f = bytes[y * (stride + 1)];
                    for (int i = 0; i < stride; i++)
                    {
                        int x = bytes[y * (stride + 1) + 1 + i];
                        int a = i >= channels ? cur[y * stride + i - channels] : 0;
                        int b = y > 0 ? cur[(y - 1) * stride + i] : 0;
                        int c = i >= channels && y > 0 ? cur[(y - 1) * stride + i - channels] : 0;
                        int p = a + b - c, pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
                        int pred = f switch { 0 => 0, 1 => a, 2 => b, 3 => (a + b) / 2, 4 => pa <= pb && pa <= pc ? a : pb <= pc ? b : c, _ => throw new InvalidDataException("filter " + f) };
                        cur[y * stride + i] = (byte)(x + pred);
                    }
                }
                png._rgb = new byte[png.Width * png.Height * 3];
                for (int i = 0; i < png.Width * png.Height; i++)
                    for (int k = 0; k < 3; k++) png._rgb[i * 3 + k] = cur[i * channels + k];
                return png;
            }

            static uint Crc32(ReadOnlySpan<byte> data)
            {
                uint c = 0xFFFFFFFF;
                foreach (var b in data)
                {
                    c ^= b;
                    for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320 ^ (c >> 1) : c >> 1;
                }
                return c ^ 0xFFFFFFFF;
            }

            public Rgb At(int x, int y) { int i = (y * Width + x) * 3; return new Rgb(_rgb[i], _rgb[i + 1], _rgb[i + 2]); }
        }

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
        public void Charts_hold_every_plotted_series_where_the_values_say()
        {
            var rng = new SeededRandom(21);
            var rows = new List<BenchmarkResult>
            {
                Row("pi4", "a.onnx", rng.Normal(500, 1f).Select(v => 12 + Math.Abs((double)v)).ToArray(), 15, 30),
                Row("pi4", "a.int8.onnx", rng.Normal(500, 0.5f).Select(v => 5 + Math.Abs((double)v)).ToArray(), 15, 30),
                Row("pi5", "a.onnx", Enumerable.Range(0, 400).Select(i => 20 + (i % 7)).Select(v => (double)v).ToArray(), 15, 30),
            };
            var html = BenchmarkReport.Html(rows, "t <b>&</b>", out var bars, out var dist);
            Assert.Contains("t &lt;b&gt;&amp;&lt;/b&gt;", html);

            // The PNGs embedded in the page are the charts, and decode.
            var embedded = Regex.Matches(html, "data:image/png;base64,([A-Za-z0-9+/=]+)").Select(m => Convert.FromBase64String(m.Groups[1].Value)).ToList();
            Assert.Equal(2, embedded.Count);
            Assert.Equal(bars.Png, embedded[0]);
            Assert.Equal(dist.Png, embedded[1]);

            var png = Png.Decode(bars.Png);
            Assert.Equal((bars.Width, bars.Height), (png.Width, png.Height));
            // One median and one P99 bar per row, each as tall as its value, the two budget lines across the plot.
            Assert.Equal(3, bars.Marks.Count(m => m.Series == "median"));
            Assert.Equal(3, bars.Marks.Count(m => m.Series == "p99"));
            var p99Top = bars.Marks.Where(m => m.Series == "p99").ToList();
            double pxPerMs = (double)p99Top[0].Height / p99Top[0].Value;
            foreach (var m in bars.Marks.Where(m => m.Series is "median" or "p99"))
            {
                var row = rows.Single(r => ReportInput.Label(r) == m.Label);
                Assert.Equal(m.Series == "median" ? row.MedianMs : row.P99Ms, m.Value);
                Assert.InRange(m.Height, m.Value * pxPerMs - 2, m.Value * pxPerMs + 2);
                int cx = m.X + m.Width / 2;
                Assert.Equal(m.Color, png.At(cx, m.Y + m.Height - 2));          // bottom of the bar
                Assert.Equal(m.Color, png.At(cx, m.Y + 1));                     // its top
                Assert.NotEqual(m.Color, png.At(cx, m.Y - 2));                  // and nothing above
            }
            Assert.Equal(Charts.MedianColor, bars.Marks.First(m => m.Series == "median").Color);
            foreach (var budget in bars.Marks.Where(m => m.Series.EndsWith("budget")))
            {
                int hits = Enumerable.Range(budget.X, budget.Width).Count(x => png.At(x, budget.Y).Equals(budget.Color));
                Assert.True(hits > budget.Width / 3, $"{budget.Series} line drawn on {hits} of {budget.Width} pixels");
            }
            Assert.Equal(new[] { 15.0, 30.0 }, bars.Marks.Where(m => m.Series.EndsWith("budget")).Select(m => m.Value).OrderBy(v => v));

            // The distribution chart: one histogram per row, in its own colour, tallest bin where the data is densest.
            var d = Png.Decode(dist.Png);
            var hist = dist.Marks.Where(m => m.Series == "histogram").ToList();
            Assert.Equal(rows.Select(ReportInput.Label), hist.Select(m => m.Label));
            Assert.Equal(3, hist.Select(m => m.Color).Distinct().Count());
            foreach (var m in hist)
            {
                Assert.Equal(m.Color, d.At(m.X + m.Width / 2, m.Y + m.Height / 2));
                Assert.Equal(m.Color, d.At(m.X + m.Width / 2, m.Y));
            }
            // pi5's samples are uniform over 20..26: its tallest bin holds at most a quarter of the runs
            Assert.InRange(hist[2].Value, 1.0 / 7 - 0.01, 0.3);
            Assert.True(hist[0].X > hist[1].X, "the FP32 model's mode lies right of the INT8 one's");
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
            Assert.Equal(2, Regex.Matches(html, "data:image/png;base64,").Count);
            Assert.Contains("sample-mobilenet.int8.onnx", html);
            Assert.Contains("<tr class=\"fail\">", html);                  // the FP32 model fails the 5 MB budget
            Assert.DoesNotContain("src=\"http", html);                     // self-contained

            // Read back as Import-Csv would give them (every property a string): the report still renders.
            var csvLike = ps.Run("$res | ForEach-Object { $o = [ordered]@{}; foreach ($p in $_.PSObject.Properties) { $o[$p.Name] = [string]$p.Value }; [pscustomobject]$o } | " +
                                 "Export-EdgeBenchmarkReport -Path $args[0]", Path.Combine(_dir, "again.html"));
            Assert.Empty(csvLike.Errors);
            var again = File.ReadAllText(Path.Combine(_dir, "again.html"));
            var pngs = Regex.Matches(again, "data:image/png;base64,([A-Za-z0-9+/=]+)").Select(m => Png.Decode(Convert.FromBase64String(m.Groups[1].Value))).ToList();
            Assert.Equal(2, pngs.Count);
            // the bars are there; the histograms are not (no raw latencies in text columns), only percentile markers
            Assert.Contains(Enumerable.Range(0, pngs[0].Width), x => Enumerable.Range(0, pngs[0].Height).Any(y => pngs[0].At(x, y).Equals(Charts.P99Color)));
            Assert.DoesNotContain(Enumerable.Range(0, pngs[1].Width), x => Enumerable.Range(0, pngs[1].Height).Any(y => pngs[1].At(x, y).Equals(Charts.Palette[0])));
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
