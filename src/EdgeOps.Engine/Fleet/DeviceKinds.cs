using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.RegularExpressions;

namespace EdgeOps.Fleet
{
    /// <summary>
    /// The device kinds EdgeOps knows (the inventory's <c>kind</c>, a wheel's <c>-DeviceKind</c>), in one place, and the
    /// kind a board's device-tree model names (<c>/sys/firmware/devicetree/base/model</c>), read by <c>-Probe</c>.
    /// </summary>
    public static class DeviceKinds
    {
        public const string Generic = "generic";

        static readonly string[] s_known =
        {
            "raspberrypi3", "raspberrypi4", "raspberrypi5", "raspberrypi-zero2",
            "jetson-nano", "jetson-xavier", "jetson-orin", Generic,
        };

        /// <summary>Every known kind, boards first, <c>generic</c> (any other Linux device) last.</summary>
        public static IReadOnlyList<string> Known { get; } = Array.AsReadOnly(s_known);

        /// <summary>Whether <paramref name="kind"/> is a known kind (exact, lower case, as inventories write it).</summary>
        public static bool IsKnown(string kind) => kind != null && s_known.Contains(kind, StringComparer.Ordinal);

        // "Raspberry Pi 4 Model B Rev 1.4", "Raspberry Pi 400 Rev 1.0", "Raspberry Pi Compute Module 4 Rev 1.0",
        // "Raspberry Pi 3 Model B Plus Rev 1.3", "Raspberry Pi 5 Model B Rev 1.0", "Raspberry Pi Zero 2 W Rev 1.0"
        static readonly Regex s_pi = new Regex(@"\braspberry pi (?:compute module )?(?<n>\d)", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);

        /// <summary>
        /// The kind a device-tree model names: Raspberry Pi 3/4/5 (with their 400/500 and Compute Module forms) and Zero 2,
        /// Jetson Nano, Xavier (NX, AGX: "Jetson-AGX") and Orin (AGX, NX, Nano); <c>generic</c> for any other board;
        /// null when there is no model (x86 machines, boards without a device tree).
        /// </summary>
        public static string FromModel(string model)
        {
            var m = (model ?? "").Trim('\0', ' ', '\t', '\r', '\n');
            if (m.Length == 0) return null;
            var lower = m.ToLowerInvariant();
            if (lower.Contains("raspberry pi"))
            {
                if (lower.Contains("zero 2")) return "raspberrypi-zero2";
                var pi = s_pi.Match(m);
                if (pi.Success)
                    switch (pi.Groups["n"].Value)
                    {
                        case "3": return "raspberrypi3";
                        case "4": return "raspberrypi4";
                        case "5": return "raspberrypi5";
                    }
                return Generic;
            }
            if (lower.Contains("jetson") || lower.Contains("nvidia") || lower.Contains("tegra"))
            {
                // Orin first: "Jetson Orin Nano" is an Orin, not a Nano.
                if (lower.Contains("orin")) return "jetson-orin";
                if (lower.Contains("xavier") || lower.Contains("jetson-agx")) return "jetson-xavier";
                if (lower.Contains("nano")) return "jetson-nano";
            }
            return Generic;
        }
    }
}
