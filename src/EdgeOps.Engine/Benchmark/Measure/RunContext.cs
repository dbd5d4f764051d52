using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;

namespace EdgeOps.Benchmark.Measure
{
    /// <summary>
    /// The state of the machine behind a number: which machine, CPU and board, the current CPU frequency and
    /// temperature, and throttling where the board reports it (Raspberry Pi firmware flags). Read from /proc and
    /// /sys on Linux by the process that measures (in-process, or the runner on the device).
    /// </summary>
    public sealed class RunContext
    {
        public string HostName { get; set; }
        public string BoardModel { get; set; }
        public string CpuModel { get; set; }
        public int Cores { get; set; }
        public string Architecture { get; set; }
        public string OS { get; set; }
        /// <summary>Mean current frequency over the CPUs, MHz; null where not reported.</summary>
        public double? CpuMHz { get; set; }
        public double? CpuMaxMHz { get; set; }
        /// <summary>CPU (or SoC) temperature, degrees Celsius; null where no thermal zone reports it.</summary>
        public double? TemperatureC { get; set; }
        /// <summary>"none", or what the firmware flags (under-voltage, frequency capped, throttled, soft temperature limit); null where not reported.</summary>
        public string Throttling { get; set; }

        internal IEnumerable<KeyValuePair<string, string>> ToPairs()
        {
            string D(double? v) => v?.ToString("R", CultureInfo.InvariantCulture) ?? "";
            yield return Pair("host", HostName); yield return Pair("board", BoardModel); yield return Pair("cpu", CpuModel);
            yield return Pair("cores", Cores.ToString(CultureInfo.InvariantCulture)); yield return Pair("arch", Architecture);
            yield return Pair("os", OS); yield return Pair("mhz", D(CpuMHz)); yield return Pair("maxmhz", D(CpuMaxMHz));
            yield return Pair("temp", D(TemperatureC)); yield return Pair("throttling", Throttling);
        }

        internal void Set(string key, string value)
        {
            double? D() => string.IsNullOrEmpty(value) ? (double?)null : double.Parse(value, CultureInfo.InvariantCulture);
            string S() => string.IsNullOrEmpty(value) ? null : value;
            switch (key)
            {
                case "host": HostName = S(); break;
                case "board": BoardModel = S(); break;
                case "cpu": CpuModel = S(); break;
                case "cores": Cores = int.Parse(value, CultureInfo.InvariantCulture); break;
                case "arch": Architecture = S(); break;
                case "os": OS = S(); break;
                case "mhz": CpuMHz = D(); break;
                case "maxmhz": CpuMaxMHz = D(); break;
                case "temp": TemperatureC = D(); break;
                case "throttling": Throttling = S(); break;
            }
        }

        static KeyValuePair<string, string> Pair(string k, string v) => new KeyValuePair<string, string>(k, v ?? "");

        /// <summary>Reads the context of this machine now. <paramref name="root"/> prefixes /proc and /sys (tests).</summary>
        public static RunContext Probe(string root = "")
        {
            var c = new RunContext
            {
                HostName = Environment.MachineName,
                Cores = Environment.ProcessorCount,
                Architecture = RuntimeInformation.OSArchitecture.ToString().ToLowerInvariant(),
                OS = RuntimeInformation.OSDescription.Trim(),
            };
            if (!RuntimeInformation.IsOSPlatform(OSPlatform.Linux)) return c;
            c.BoardModel = ReadText(root + "/sys/firmware/devicetree/base/model") ?? ReadText(root + "/proc/device-tree/model")
                           ?? JoinNonEmpty(ReadText(root + "/sys/class/dmi/id/sys_vendor"), ReadText(root + "/sys/class/dmi/id/product_name"));
            c.CpuModel = CpuModelFrom(ReadText(root + "/proc/cpuinfo"));
            c.CpuMHz = MeanFreqMHz(root, "scaling_cur_freq") ?? CpuInfoMHz(ReadText(root + "/proc/cpuinfo"));
            c.CpuMaxMHz = MeanFreqMHz(root, "cpuinfo_max_freq");
            c.TemperatureC = CpuTemperature(root);
            c.Throttling = Throttled(root);
            return c;
        }

        static string ReadText(string path)
        {
            try { return File.Exists(path) ? File.ReadAllText(path).Replace("\0", "").Trim() : null; }
            catch (IOException) { return null; }
            catch (UnauthorizedAccessException) { return null; }
        }

        static string JoinNonEmpty(params string[] parts)
        {
            var s = string.Join(" ", parts.Where(p => !string.IsNullOrWhiteSpace(p) && p != "To Be Filled By O.E.M."));
            return s.Length == 0 ? null : s;
        }

        // Arm's part numbers (implementer 0x41) of the cores found on single-board computers, and NVIDIA's Carmel.
        static readonly Dictionary<string, string> s_armParts = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
        {
            ["0x41:0xd03"] = "Cortex-A53", ["0x41:0xd04"] = "Cortex-A35", ["0x41:0xd05"] = "Cortex-A55", ["0x41:0xd07"] = "Cortex-A57",
            ["0x41:0xd08"] = "Cortex-A72", ["0x41:0xd09"] = "Cortex-A73", ["0x41:0xd0a"] = "Cortex-A75", ["0x41:0xd0b"] = "Cortex-A76",
            ["0x41:0xd0c"] = "Neoverse-N1", ["0x41:0xd0d"] = "Cortex-A77", ["0x41:0xd41"] = "Cortex-A78", ["0x41:0xd42"] = "Cortex-A78AE",
            ["0x41:0xd44"] = "Cortex-X1", ["0x41:0xd46"] = "Cortex-A510", ["0x41:0xd47"] = "Cortex-A710", ["0x41:0xd4d"] = "Cortex-A715",
            ["0x41:0xd40"] = "Neoverse-V1", ["0x41:0xd49"] = "Neoverse-N2", ["0x4e:0x004"] = "NVIDIA Carmel",
        };

        /// <summary>"model name" on x86; on Arm the core names from implementer and part (big.LITTLE listed as "A76 x4 + A55 x4").</summary>
        public static string CpuModelFrom(string cpuinfo)
        {
            if (string.IsNullOrEmpty(cpuinfo)) return null;
            var lines = cpuinfo.Split('\n');
            string Value(string l) => l.Substring(l.IndexOf(':') + 1).Trim();
            var modelName = lines.FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal) && l.Contains(":"));
            if (modelName != null && Value(modelName).Length > 0 && !Value(modelName).StartsWith("ARMv", StringComparison.Ordinal)) return Value(modelName);
            var cores = new List<string>();
            string implementer = null;
            foreach (var l in lines)
            {
                if (l.StartsWith("CPU implementer", StringComparison.Ordinal)) implementer = Value(l);
                else if (l.StartsWith("CPU part", StringComparison.Ordinal) && implementer != null)
                    cores.Add(s_armParts.TryGetValue(implementer + ":" + Value(l), out var n) ? n : "Arm part " + Value(l));
            }
            if (cores.Count == 0) return modelName != null ? Value(modelName) : null;
            return string.Join(" + ", cores.GroupBy(c => c).Select(g => g.Key + " x" + g.Count()));
        }

        static double? MeanFreqMHz(string root, string file)
        {
            var values = new List<double>();
            try
            {
                var dir = root + "/sys/devices/system/cpu";
                if (!Directory.Exists(dir)) return null;
                foreach (var cpu in Directory.GetDirectories(dir, "cpu*"))
                {
                    var name = Path.GetFileName(cpu);
                    if (name.Length < 4 || !name.Substring(3).All(char.IsDigit)) continue;
                    var t = ReadText(Path.Combine(cpu, "cpufreq", file));
                    if (t != null && double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out var khz)) values.Add(khz / 1000.0);
                }
            }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
            return values.Count == 0 ? (double?)null : Math.Round(values.Average(), 1);
        }

        static double? CpuInfoMHz(string cpuinfo)
        {
            if (cpuinfo == null) return null;
            var v = cpuinfo.Split('\n').Where(l => l.StartsWith("cpu MHz", StringComparison.Ordinal))
                .Select(l => double.TryParse(l.Substring(l.IndexOf(':') + 1).Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : double.NaN)
                .Where(d => !double.IsNaN(d)).ToList();
            return v.Count == 0 ? (double?)null : Math.Round(v.Average(), 1);
        }

        static readonly string[] s_cpuZones = { "cpu-thermal", "cpu_thermal", "x86_pkg_temp", "cpu-therm", "CPU-therm", "soc_thermal", "cpu" };

        static double? CpuTemperature(string root)
        {
            var dir = root + "/sys/class/thermal";
            if (!Directory.Exists(dir)) return null;
            var zones = new List<(string type, double c)>();
            foreach (var z in Directory.GetDirectories(dir, "thermal_zone*").OrderBy(s => s, StringComparer.Ordinal))
            {
                var t = ReadText(Path.Combine(z, "temp"));
                if (t != null && double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out var milli))
                    zones.Add((ReadText(Path.Combine(z, "type")) ?? "", milli / 1000.0));
            }
            if (zones.Count == 0) return null;
            foreach (var want in s_cpuZones)
                foreach (var z in zones)
                    if (string.Equals(z.type, want, StringComparison.OrdinalIgnoreCase)) return z.c;
            return zones[0].c;
        }

        /// <summary>Raspberry Pi firmware throttling flags from sysfs or vcgencmd; null on boards that do not report them.</summary>
        static string Throttled(string root)
        {
            var raw = ReadText(root + "/sys/devices/platform/soc/soc:firmware/get_throttled");
            if (raw == null && root.Length == 0) raw = Vcgencmd();
            if (raw == null) return null;
            raw = raw.Replace("throttled=", "").Trim();
            if (!long.TryParse(raw.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? raw.Substring(2) : raw,
                    NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var flags)) return null;
            return DescribeThrottling(flags);
        }

        /// <summary>Decodes the firmware's get_throttled bits (0-3: now, 16-19: since boot).</summary>
        public static string DescribeThrottling(long flags)
        {
            string[] what = { "under-voltage", "frequency capped", "throttled", "soft temperature limit" };
            var parts = new List<string>();
            for (int i = 0; i < 4; i++) if ((flags & (1L << i)) != 0) parts.Add(what[i] + " now");
            for (int i = 0; i < 4; i++) if ((flags & (1L << (16 + i))) != 0 && (flags & (1L << i)) == 0) parts.Add(what[i] + " since boot");
            return parts.Count == 0 ? "none" : string.Join(", ", parts);
        }

        static string Vcgencmd()
        {
            foreach (var path in new[] { "/usr/bin/vcgencmd", "/opt/vc/bin/vcgencmd" })
            {
                if (!File.Exists(path)) continue;
                try
                {
                    var psi = new ProcessStartInfo(path, "get_throttled") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
                    using (var p = Process.Start(psi))
                    {
                        var text = p.StandardOutput.ReadToEnd();
                        if (!p.WaitForExit(3000)) { try { p.Kill(); } catch (InvalidOperationException) { } return null; }
                        return p.ExitCode == 0 ? text.Trim() : null;
                    }
                }
                catch (System.ComponentModel.Win32Exception) { return null; }
            }
            return null;
        }
    }
}
