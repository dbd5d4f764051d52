using System.Diagnostics;
using EdgeOps.Tests.Infrastructure;

namespace EdgeOps.Tests.Wheels
{
    /// <summary>
    /// What the local-device wheel tests share: a temp folder, a local wheel cache, a HOME of their own (the device's
    /// wheel folder is ~/.cache/edgeops/wheels), one virtual environment made from Debian's python3, and a PowerShell
    /// session with the module imported.
    /// </summary>
    public sealed class WheelFixture : IDisposable
    {
        public const string Python = "/usr/bin/python3";
        readonly string? _oldHome = Environment.GetEnvironmentVariable("HOME");
        public string Temp { get; } = Directory.CreateTempSubdirectory("edgeops-wheels-").FullName;
        public string Home => Path.Combine(Temp, "home");
        public string Cache => Path.Combine(Temp, "cache");
        public string Venv => Path.Combine(Temp, "venv");
        public string Wheels => Path.Combine(Temp, "built");
        public PowerShellSession PS { get; }

        public WheelFixture()
        {
            Directory.CreateDirectory(Home);
            Environment.SetEnvironmentVariable("HOME", Home);
            try
            {
                Run(Python, "-m", "venv", Venv);
                PS = new PowerShellSession();
            }
            catch { Dispose(); throw; }
        }

        /// <summary>Runs a program on this machine and returns its stdout (throws on a non-zero exit).</summary>
        public static string Run(string file, params string[] args)
        {
            var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = "/" };
            foreach (var a in args) psi.ArgumentList.Add(a);
            using var p = Process.Start(psi)!;
            var err = p.StandardError.ReadToEndAsync();
            var stdout = p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            if (p.ExitCode != 0) throw new InvalidOperationException($"{file} {string.Join(" ", args)}: exit {p.ExitCode}: {err.Result}");
            return stdout;
        }

        /// <summary>torch's version as the venv's Python imports it, or null when it does not import.</summary>
        public static string? ImportedVersion(string venv, string module = "torch")
        {
            try { return Run(Path.Combine(venv, "bin", "python"), "-c", $"import {module}; print({module}.__version__)").Trim(); }
            catch (InvalidOperationException) { return null; }
        }

        public string Build(TestWheels.Spec spec, string? dir = null) => TestWheels.Build(dir ?? Wheels, spec);

        public void Dispose()
        {
            PS?.Dispose();
            Environment.SetEnvironmentVariable("HOME", _oldHome);
            try { Directory.Delete(Temp, true); } catch (Exception) { }
        }
    }
}
