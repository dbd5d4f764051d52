using System.Diagnostics;

namespace EdgeOps.Tests.Benchmark
{
    /// <summary>Headless Chromium (Debian's chromium) taking a screenshot of a local page, and ImageMagick reading it back.</summary>
    public static class Chromium
    {
        public static string? Path => Tool("chromium") ?? Tool("chromium-browser");

        public static string? Tool(string name) =>
            (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
                .Select(d => System.IO.Path.Combine(d, name)).FirstOrDefault(File.Exists);

        /// <summary>Screenshot of <paramref name="page"/> at width x height, into <paramref name="png"/>.</summary>
        public static void Screenshot(string page, string png, int width, int height)
        {
            var profile = Directory.CreateTempSubdirectory("edgeops-chromium-");
            try
            {
                var (code, output) = Run(Path ?? throw new InvalidOperationException("chromium is not installed: run tests/setup/report.sh"),
                    "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run", "--user-data-dir=" + profile.FullName,
                    "--screenshot=" + png, $"--window-size={width},{height}", new Uri(page).AbsoluteUri);
                if (code != 0 || !File.Exists(png)) throw new InvalidOperationException($"chromium exited {code} without a screenshot:\n{output}");
            }
            finally { try { profile.Delete(true); } catch (IOException) { } }
        }

        /// <summary>The screenshot's pixels as RGB bytes (ImageMagick's stream), with its size from identify.</summary>
        public static (int width, int height, byte[] rgb) Pixels(string png)
        {
            var (code, size) = Run("identify", "-format", "%w %h", png);
            if (code != 0) throw new InvalidOperationException("identify failed: " + size);
            var wh = size.Trim().Split(' ').Select(int.Parse).ToArray();
            var raw = System.IO.Path.GetTempFileName();
            try
            {
                var (c2, err) = Run("stream", "-map", "rgb", "-storage-type", "char", png, raw);
                if (c2 != 0) throw new InvalidOperationException("stream failed: " + err);
                return (wh[0], wh[1], File.ReadAllBytes(raw));
            }
            finally { File.Delete(raw); }
        }

        static (int code, string output) Run(string file, params string[] args)
        {
            var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var a in args) psi.ArgumentList.Add(a);
            using var p = Process.Start(psi)!;
            var stdout = p.StandardOutput.ReadToEndAsync();
            var stderr = p.StandardError.ReadToEndAsync();
            if (!p.WaitForExit(120_000))
            {
                p.Kill(entireProcessTree: true);
                throw new TimeoutException($"{file} did not finish in 120 s");
            }
            // a helper process chromium left behind may hold the pipes open: don't wait on them for ever
            Task.WaitAll(new Task[] { stdout, stderr }, 10_000);
            return (p.ExitCode, (stdout.IsCompleted ? stdout.Result : "") + (stderr.IsCompleted ? stderr.Result : ""));
        }
    }
}
