using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.RegularExpressions;
using System.Threading;
using EdgeOps.Fleet;
using EdgeOps.Transport;

namespace EdgeOps.Wheels
{
    /// <summary>What a device's Python says about itself: the tags its pip accepts, where it installs, what is installed.</summary>
    public sealed class DeviceProfile
    {
        public string ComputerName { get; set; }
        public string Kind { get; set; }
        /// <summary>The interpreter as given (python3, /opt/venv/bin/python).</summary>
        public string Interpreter { get; set; }
        public string Executable { get; set; }
        public string PythonVersion { get; set; }
        /// <summary>Compatible tags in pip's order of preference (most specific first).</summary>
        public List<string> Tags { get; set; } = new List<string>();
        /// <summary>sysconfig platform made tag-like: linux_x86_64, linux_aarch64.</summary>
        public string Platform { get; set; }
        public string Machine { get; set; }
        public bool InVirtualEnv { get; set; }
        public bool ExternallyManaged { get; set; }
        /// <summary>Whether the login user can write the interpreter's site-packages (else pip runs with sudo).</summary>
        public bool Writable { get; set; }
        public string Home { get; set; }
        public string PipVersion { get; set; }
        /// <summary>"32.7.1" on a Jetson, else null.</summary>
        public string L4T { get; set; }
        /// <summary>CUDA toolkit version from /usr/local/cuda, else null.</summary>
        public string Cuda { get; set; }
        /// <summary>Installed versions by normalized package name (absent: not installed).</summary>
        public Dictionary<string, string> Installed { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

        public string InstalledVersion(string package) =>
            Installed.TryGetValue(WheelName.Normalize(package), out var v) ? v : null;

        public string JetPack => L4T == null ? null : JetPackTable.FromL4T(L4T);
    }

    /// <summary>L4T releases and the JetPack each shipped with (NVIDIA's release notes).</summary>
    public static class JetPackTable
    {
        static readonly Dictionary<string, string> s_map = new Dictionary<string, string>
        {
            ["32.4.3"] = "4.4", ["32.4.4"] = "4.4.1", ["32.5.0"] = "4.5", ["32.5.1"] = "4.5.1", ["32.6.1"] = "4.6",
            ["32.7.1"] = "4.6.1", ["32.7.2"] = "4.6.2", ["32.7.3"] = "4.6.3", ["32.7.4"] = "4.6.4", ["32.7.5"] = "4.6.5", ["32.7.6"] = "4.6.6",
            ["35.1.0"] = "5.0.2", ["35.2.1"] = "5.1", ["35.3.1"] = "5.1.1", ["35.4.1"] = "5.1.2", ["35.5.0"] = "5.1.3", ["35.6.0"] = "5.1.4",
            ["36.2.0"] = "6.0 DP", ["36.3.0"] = "6.0", ["36.4.0"] = "6.1", ["36.4.3"] = "6.2", ["36.4.4"] = "6.2.1",
        };

        public static string FromL4T(string l4t) => l4t != null && s_map.TryGetValue(l4t, out var jp) ? jp : null;
    }

    /// <summary>Reads a <see cref="DeviceProfile"/> with one run of the device's own Python (no pip index, no network).</summary>
    public static class DevicePython
    {
        /// <summary>The probe (Scripts/wheel-python-probe.py), run with -c; the package names are its arguments.</summary>
        static string ProbeScript => EmbeddedScripts.Text("wheel-python-probe.py");

        /// <summary>Runs the probe with <paramref name="interpreter"/>; <paramref name="packages"/> are looked up as installed.</summary>
        public static DeviceProfile Probe(IDeviceContext ctx, string interpreter, IEnumerable<string> packages)
        {
            var args = new List<string> { "-c", ProbeScript };
            args.AddRange(packages.Select(WheelName.Normalize).Distinct());
            var r = ctx.Transport.Run(Sh.Cmd(interpreter, args.ToArray()), CommandOptions.Default, ctx.Cancellation);
            if (!r.Succeeded)
            {
                var what = r.ExitCode == 127 || r.Stderr.Contains("not found") || r.Stderr.Contains("No such file")
                    ? $"the Python interpreter '{interpreter}' was not found. Give -PythonPath (e.g. /usr/bin/python3) or -VirtualEnv."
                    : $"'{interpreter}' failed to report its compatible tags (exit {r.ExitCode}): {Trim(r.Stderr)}. Check that it has pip (python3-pip).";
                throw new EdgeOpsException("PythonProbeFailed", "ObjectNotFound", $"{ctx.Device.ComputerName}: {what}");
            }
            var p = Parse(r.Stdout);
            p.ComputerName = ctx.Device.ComputerName;
            p.Kind = ctx.Device.Kind;
            p.Interpreter = interpreter;
            if (p.Tags.Count == 0)
                throw new EdgeOpsException("PythonProbeFailed", "InvalidResult",
                    $"{ctx.Device.ComputerName}: '{interpreter}' reported no compatible wheel tags; install pip for it (python3-pip).");
            return p;
        }

        internal static DeviceProfile Parse(string stdout)
        {
            var p = new DeviceProfile();
            foreach (var raw in stdout.Split('\n'))
            {
                var line = raw.TrimEnd('\r');
                int eq = line.IndexOf('=');
                if (eq <= 0) continue;
                var k = line.Substring(0, eq); var v = line.Substring(eq + 1);
                switch (k)
                {
                    case "python": p.PythonVersion = v; break;
                    case "executable": p.Executable = v; break;
                    case "venv": p.InVirtualEnv = v == "1"; break;
                    case "platform": p.Platform = Regex.Replace(v, @"[-.]", "_"); break;
                    case "machine": p.Machine = v; break;
                    case "home": p.Home = v; break;
                    case "writable": p.Writable = v == "1"; break;
                    case "externally_managed": p.ExternallyManaged = v == "1"; break;
                    case "pip": p.PipVersion = v; break;
                    case "tag": p.Tags.Add(v); break;
                    case "l4t": p.L4T = DeviceFacts.ParseL4T(v); break;
                    case "cuda": p.Cuda = ParseCuda(v); break;
                    default:
                        if (k.StartsWith("installed.", StringComparison.Ordinal) && v.Length > 0)
                            p.Installed[k.Substring("installed.".Length)] = v;
                        break;
                }
            }
            return p;
        }

        /// <summary>"CUDA Version 10.2.300" or version.json's "cuda": {"version": "11.4.315"} -> "10.2.300" / "11.4.315".</summary>
        internal static string ParseCuda(string text)
        {
            if (string.IsNullOrWhiteSpace(text)) return null;
            var m = Regex.Match(text, @"""cuda""\s*:\s*\{[^}]*""version""\s*:\s*""([\d.]+)""");
            if (m.Success) return m.Groups[1].Value;
            m = Regex.Match(text, @"CUDA Version\s+([\d.]+)");
            return m.Success ? m.Groups[1].Value : null;
        }

        static string Trim(string s) { s = (s ?? "").Trim(); return s.Length > 600 ? s.Substring(s.Length - 600) : s; }
    }
}
