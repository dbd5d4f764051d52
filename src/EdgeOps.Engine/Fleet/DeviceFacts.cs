using System;
using System.Collections.Generic;
using System.Globalization;
using System.Threading;
using EdgeOps.Transport;

namespace EdgeOps.Fleet
{
    /// <summary>Reads live facts from a device in one round trip (board, arch, memory, disk, OS, Python, L4T).</summary>
    public static class DeviceFacts
    {
        /// <summary>The facts, one key=value per line (Scripts/device-facts.sh).</summary>
        static string Script => EmbeddedScripts.Text("device-facts.sh");

        public static Dictionary<string, string> Read(IDeviceTransport transport, CancellationToken ct)
        {
            var r = transport.Run(Sh.Cmd("sh", "-c", Script), CommandOptions.Default, ct);
            r.EnsureSuccess(transport.Device.ComputerName, "reading device facts");
            var map = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var line in r.Stdout.Split('\n'))
            {
                int eq = line.IndexOf('=');
                if (eq > 0) map[line.Substring(0, eq)] = line.Substring(eq + 1).Trim();
            }
            return map;
        }

        public static void Fill(EdgeDevice d, IDeviceTransport transport, CancellationToken ct)
        {
            var f = Read(transport, ct);
            string Get(string k) => f.TryGetValue(k, out var v) && v.Length > 0 ? v : null;
            long Num(string k) => long.TryParse(Get(k), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : 0;
            d.Probed = true;
            d.Architecture = Get("arch");
            d.Kernel = Get("kernel");
            d.MemoryBytes = Num("memkb") * 1024;
            d.SwapBytes = Num("swapkb") * 1024;
            d.RootFreeBytes = Num("rootfreekb") * 1024;
            d.OS = Get("os");
            d.PythonVersion = Get("python");
            d.L4TVersion = ParseL4T(Get("l4t"));
            d.Model = Get("model") ?? (d.L4TVersion != null ? "NVIDIA Jetson (L4T " + d.L4TVersion + ")" : null);
            // The board says what it is; an inventory that left the kind out (generic) takes it, one that names a kind keeps it.
            d.DetectedKind = DeviceKinds.FromModel(Get("model"));
            if (d.DetectedKind != null && (string.IsNullOrEmpty(d.Kind) || d.Kind == DeviceKinds.Generic)) d.Kind = d.DetectedKind;
        }

        /// <summary>"# R32 (release), REVISION: 7.1, GCID: ..." becomes "32.7.1".</summary>
        public static string ParseL4T(string line)
        {
            if (string.IsNullOrEmpty(line)) return null;
            var m = System.Text.RegularExpressions.Regex.Match(line, @"R(\d+)\s*\(release\),\s*REVISION:\s*([\d.]+)");
            return m.Success ? m.Groups[1].Value + "." + m.Groups[2].Value : null;
        }
    }
}
