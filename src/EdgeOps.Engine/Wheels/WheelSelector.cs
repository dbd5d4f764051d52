using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;

namespace EdgeOps.Wheels
{
    /// <summary>The wheels chosen for one device: torch, its companions, and catalog wheels that satisfy pinned requirements.</summary>
    public sealed class WheelPlan
    {
        public WheelEntry Main { get; set; }
        public List<WheelEntry> Companions { get; } = new List<WheelEntry>();
        /// <summary>Catalog wheels for the requirements (numpy&lt;2) that the device should get offline.</summary>
        public List<WheelEntry> Supporting { get; } = new List<WheelEntry>();
        /// <summary>Requirement strings passed to pip with the wheels.</summary>
        public List<string> Requirements { get; } = new List<string>();
        public IEnumerable<WheelEntry> All => new[] { Main }.Concat(Companions).Concat(Supporting);
    }

    /// <summary>Chooses wheels for a device from what its Python accepts, the requested version and the catalog's constraints.</summary>
    public static class WheelSelector
    {
        /// <summary>Why an entry does not fit the device, or null when it fits.</summary>
        public static string Reject(WheelEntry e, DeviceProfile d, string versionRequest)
        {
            if (!PepVersion.Matches(e.Version, versionRequest)) return $"version {e.Version} is not the requested {versionRequest}";
            if (!e.Tags.Any(t => d.Tags.Contains(t)))
                return $"tags {string.Join(".", e.Tags.Take(3))} are not supported by the device's Python {d.PythonVersion} ({d.Platform})";
            if (!string.IsNullOrEmpty(e.L4T) || !string.IsNullOrEmpty(e.JetPack))
            {
                if (d.L4T == null) return $"built for Jetson ({e.ConstraintText()}) but the device has no L4T (/etc/nv_tegra_release)";
                if (!string.IsNullOrEmpty(e.L4T) && !Glob(d.L4T, e.L4T)) return $"built for L4T {e.L4T} but the device has L4T {d.L4T}";
                if (!string.IsNullOrEmpty(e.JetPack) && (d.JetPack == null || !Glob(d.JetPack, e.JetPack)))
                    return $"built for JetPack {e.JetPack} but the device has L4T {d.L4T} (JetPack {d.JetPack ?? "unknown"})";
            }
            if (!string.IsNullOrEmpty(e.Cuda))
            {
                if (d.Cuda == null) return $"built for CUDA {e.Cuda} but the device has no CUDA toolkit (/usr/local/cuda)";
                if (!Glob(d.Cuda, e.Cuda) && !d.Cuda.StartsWith(e.Cuda.TrimEnd('*', '.') + ".", StringComparison.Ordinal))
                    return $"built for CUDA {e.Cuda} but the device has CUDA {d.Cuda}";
            }
            if (e.Devices.Count > 0 && !e.Devices.Any(k => string.Equals(k, d.Kind, StringComparison.OrdinalIgnoreCase)))
                return $"built for {string.Join("/", e.Devices)} but the device is {d.Kind ?? "generic"} (inventory 'kind')";
            return null;
        }

        static bool Glob(string value, string pattern)
        {
            var rx = "^" + Regex.Escape(pattern.Trim()).Replace("\\*", ".*").Replace("\\?", ".") + "$";
            return Regex.IsMatch(value, rx, RegexOptions.IgnoreCase);
        }

        /// <summary>Best first: wheels made for this device (L4T/CUDA/device kind named) before generic ones, then the
        /// highest version, then the tag the device's pip prefers most.</summary>
        static IEnumerable<WheelEntry> Rank(IEnumerable<WheelEntry> fits, DeviceProfile d) =>
            fits.OrderByDescending(e => (string.IsNullOrEmpty(e.L4T) && string.IsNullOrEmpty(e.JetPack) ? 0 : 4)
                                        + (string.IsNullOrEmpty(e.Cuda) ? 0 : 2) + (e.Devices.Count == 0 ? 0 : 1))
                .ThenByDescending(e => new PepVersion(e.Version))
                .ThenBy(e => e.Tags.Select(t => d.Tags.IndexOf(t)).Where(i => i >= 0).DefaultIfEmpty(int.MaxValue).Min())
                .ThenBy(e => e.File, StringComparer.Ordinal);

        /// <summary>
        /// The plan for one device. Throws WheelNotFound (the message lists what the device needs and what the
        /// catalog has, with the reason each wheel was passed over) when nothing fits.
        /// </summary>
        public static WheelPlan Select(IReadOnlyList<WheelEntry> catalog, DeviceProfile d, string package, string versionRequest,
                                       IEnumerable<string> companions, string catalogLocation)
        {
            package = WheelName.Normalize(package);
            var mains = catalog.Where(e => e.Package == package).ToList();
            var main = Rank(mains.Where(e => Reject(e, d, versionRequest) == null), d).FirstOrDefault();
            if (main == null) throw NotFound(d, package, versionRequest, mains, catalogLocation, null);

            var plan = new WheelPlan { Main = main };
            foreach (var c in (companions ?? Enumerable.Empty<string>()).Select(WheelName.Normalize).Distinct())
            {
                var all = catalog.Where(e => e.Package == c).ToList();
                var fit = Rank(all.Where(e => Reject(e, d, null) == null && PairsWith(e, main)), d).FirstOrDefault();
                if (fit == null) throw NotFound(d, c, null, all, catalogLocation, main);
                plan.Companions.Add(fit);
            }
            foreach (var w in new[] { main }.Concat(plan.Companions))
                foreach (var req in w.Requires)
                {
                    if (!plan.Requirements.Contains(req)) plan.Requirements.Add(req);
                    var (name, spec) = SplitRequirement(req);
                    if (name == null) continue;
                    var support = Rank(catalog.Where(e => e.Package == name && Reject(e, d, null) == null && PepVersion.Satisfies(e.Version, spec)), d).FirstOrDefault();
                    if (support != null && !plan.Supporting.Contains(support)) plan.Supporting.Add(support);
                }
            return plan;
        }

        /// <summary>A companion pairs with torch when its catalog 'torch' field names torch's version (a pattern, or the public part).</summary>
        static bool PairsWith(WheelEntry companion, WheelEntry torch)
        {
            if (string.IsNullOrEmpty(companion.Torch)) return false;
            return PepVersion.Matches(torch.Version, companion.Torch) ||
                   new PepVersion(torch.Version).PublicEquals(new PepVersion(companion.Torch));
        }

        /// <summary>"numpy&lt;2" -> ("numpy", "&lt;2"); "numpy" -> ("numpy", ""); markers and extras are not supported.</summary>
        public static (string Name, string Spec) SplitRequirement(string req)
        {
            var m = Regex.Match(req ?? "", @"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(.*)$");
            if (!m.Success) return (null, null);
            return (WheelName.Normalize(m.Groups[1].Value), m.Groups[2].Value.Trim());
        }

        static EdgeOpsException NotFound(DeviceProfile d, string package, string versionRequest, List<WheelEntry> have, string where, WheelEntry pairedWith)
        {
            var sb = new StringBuilder();
            sb.Append($"{d.ComputerName}: no {package} wheel in {where} fits this device");
            if (pairedWith != null) sb.Append($" and torch {pairedWith.Version}");
            sb.Append(". The device needs: Python ").Append(d.PythonVersion).Append(" (").Append(d.Platform).Append(')');
            sb.Append(", tags such as ").Append(string.Join(", ", d.Tags.Take(3)));
            if (d.L4T != null) sb.Append(", L4T ").Append(d.L4T).Append(d.JetPack != null ? " (JetPack " + d.JetPack + ")" : "");
            if (d.Cuda != null) sb.Append(", CUDA ").Append(d.Cuda);
            sb.Append(", kind ").Append(d.Kind ?? "generic");
            if (!string.IsNullOrWhiteSpace(versionRequest) && versionRequest != "*") sb.Append(", version ").Append(versionRequest);
            sb.Append(". ");
            if (have.Count == 0) sb.Append($"The catalog has no {package} wheel at all.");
            else
            {
                sb.Append("The catalog has: ");
                sb.Append(string.Join("; ", have.Take(12).Select(e =>
                {
                    var why = Reject(e, d, pairedWith == null ? versionRequest : null)
                              ?? (pairedWith != null ? $"built for torch {e.Torch ?? "(unknown: publish with -TorchVersion)"}" : "fits");
                    return $"{e.FileName} ({why})";
                })));
                if (have.Count > 12) sb.Append($"; and {have.Count - 12} more");
                sb.Append('.');
            }
            sb.Append(" Publish a matching wheel with Publish-TorchWheel, or change -Version.");
            return new EdgeOpsException("WheelNotFound", "ObjectNotFound", sb.ToString());
        }
    }
}
