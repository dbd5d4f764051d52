using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text.RegularExpressions;

namespace EdgeOps.Wheels
{
    /// <summary>
    /// A wheel file name: {distribution}-{version}(-{build})?-{python}-{abi}-{platform}.whl, where each tag part may
    /// be a compressed set ("cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64").
    /// </summary>
    public sealed class WheelName
    {
        static readonly Regex s_pattern = new Regex(
            @"^(?<name>[A-Za-z0-9](?:[A-Za-z0-9._]*[A-Za-z0-9])?)-(?<ver>[A-Za-z0-9_.!+]+)(?:-(?<build>\d[A-Za-z0-9_.]*))?-(?<py>[A-Za-z0-9_.]+)-(?<abi>[A-Za-z0-9_.]+)-(?<plat>[A-Za-z0-9_.]+)\.whl$",
            RegexOptions.CultureInvariant);

        public string FileName { get; private set; }
        /// <summary>Normalized project name (PEP 503: lowercase, runs of -_. become -).</summary>
        public string Package { get; private set; }
        public string Version { get; private set; }
        public string Build { get; private set; }
        /// <summary>Every python-abi-platform tag the name stands for.</summary>
        public IReadOnlyList<string> Tags { get; private set; }

        public static bool TryParse(string fileName, out WheelName wheel)
        {
            wheel = null;
            if (string.IsNullOrEmpty(fileName)) return false;
            var m = s_pattern.Match(fileName);
            if (!m.Success) return false;
            var tags = new List<string>();
            foreach (var py in m.Groups["py"].Value.Split('.'))
                foreach (var abi in m.Groups["abi"].Value.Split('.'))
                    foreach (var plat in m.Groups["plat"].Value.Split('.'))
                        tags.Add(py + "-" + abi + "-" + plat);
            wheel = new WheelName
            {
                FileName = fileName,
                Package = Normalize(m.Groups["name"].Value),
                Version = m.Groups["ver"].Value,
                Build = m.Groups["build"].Success ? m.Groups["build"].Value : null,
                Tags = tags,
            };
            return true;
        }

        public static WheelName Parse(string fileName)
        {
            if (TryParse(fileName, out var w)) return w;
            throw new EdgeOpsException("WheelNameInvalid", "InvalidArgument",
                $"'{fileName}' is not a wheel file name (name-version-python-abi-platform.whl).");
        }

        /// <summary>PEP 503 normalization: "Torch_Vision" -> "torch-vision".</summary>
        public static string Normalize(string name) =>
            Regex.Replace(name ?? "", @"[-_.]+", "-").ToLowerInvariant();
    }

    /// <summary>
    /// PEP 440 versions, enough to order and compare real wheel versions: epoch, release, pre (a/b/rc), post, dev,
    /// local ("2.1.0a0+41361538.nv23.06"). Unparseable versions compare as text after every parseable one.
    /// </summary>
    public sealed class PepVersion : IComparable<PepVersion>
    {
        static readonly Regex s_pattern = new Regex(
            @"^\s*v?(?:(?<epoch>\d+)!)?(?<release>\d+(?:\.\d+)*)(?:[-_.]?(?<pre>a|b|c|rc|alpha|beta|pre|preview)[-_.]?(?<pren>\d*))?(?:(?:-(?<postn1>\d+))|(?:[-_.]?(?:post|rev|r)[-_.]?(?<postn2>\d*)))?(?:[-_.]?dev[-_.]?(?<dev>\d*))?(?:\+(?<local>[a-z0-9]+(?:[-_.][a-z0-9]+)*))?\s*$",
            RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);

        public string Text { get; }
        public bool Valid { get; }
        int _epoch; int[] _release = new int[0]; int _preKind = 3; int _pre; int _post = -1; int _dev = int.MaxValue; string _local = "";

        /// <summary>The version without its local label ("2.1.0a0+nv23.06" -> "2.1.0a0").</summary>
        public string Public => Text.Split('+')[0];
        public string Local => _local;

        public PepVersion(string text)
        {
            Text = text ?? "";
            var m = s_pattern.Match(Text);
            if (!m.Success) return;
            Valid = true;
            _epoch = m.Groups["epoch"].Success ? int.Parse(m.Groups["epoch"].Value, CultureInfo.InvariantCulture) : 0;
            _release = m.Groups["release"].Value.Split('.').Select(s => (int)Math.Min(int.MaxValue, long.Parse(s, CultureInfo.InvariantCulture))).ToArray();
            if (m.Groups["pre"].Success)
            {
                var k = m.Groups["pre"].Value.ToLowerInvariant();
                _preKind = k.StartsWith("a") ? 0 : k.StartsWith("b") ? 1 : 2;
                _pre = m.Groups["pren"].Value.Length > 0 ? int.Parse(m.Groups["pren"].Value, CultureInfo.InvariantCulture) : 0;
            }
            var post = m.Groups["postn1"].Success ? m.Groups["postn1"].Value : m.Groups["postn2"].Success ? m.Groups["postn2"].Value : null;
            if (post != null) _post = post.Length > 0 ? int.Parse(post, CultureInfo.InvariantCulture) : 0;
            if (m.Groups["dev"].Success) _dev = m.Groups["dev"].Value.Length > 0 ? int.Parse(m.Groups["dev"].Value, CultureInfo.InvariantCulture) : 0;
            _local = m.Groups["local"].Success ? m.Groups["local"].Value.ToLowerInvariant() : "";
            // a dev release without pre/post sorts before the release's pre-releases
            if (m.Groups["dev"].Success && !m.Groups["pre"].Success && post == null) _preKind = -1;
        }

        public int CompareTo(PepVersion other)
        {
            if (other == null) return 1;
            if (Valid != other.Valid) return Valid ? 1 : -1;
            if (!Valid) return string.CompareOrdinal(Text, other.Text);
            int c = _epoch.CompareTo(other._epoch);
            if (c != 0) return c;
            int n = Math.Max(_release.Length, other._release.Length);
            for (int i = 0; i < n; i++)
            {
                c = (i < _release.Length ? _release[i] : 0).CompareTo(i < other._release.Length ? other._release[i] : 0);
                if (c != 0) return c;
            }
            if ((c = _preKind.CompareTo(other._preKind)) != 0) return c;
            if ((c = _pre.CompareTo(other._pre)) != 0) return c;
            if ((c = _post.CompareTo(other._post)) != 0) return c;
            if ((c = _dev.CompareTo(other._dev)) != 0) return c;
            return string.CompareOrdinal(_local, other._local);
        }

        /// <summary>Same version ignoring the local label ("2.1" equals "2.1.0" and "2.1.0+cpu").</summary>
        public bool PublicEquals(PepVersion other) =>
            other != null && new PepVersion(Public).CompareTo(new PepVersion(other.Public)) == 0;

        public override string ToString() => Text;

        /// <summary>
        /// Whether a version answers a -Version request: null/""/"*" = any; a pattern with * or ? is matched against the
        /// whole version text ("2.1.*", "*+nv23*"); otherwise equality, where a request without a local label
        /// ("2.1.0") accepts any local build of that version ("2.1.0+nv23.06").
        /// </summary>
        public static bool Matches(string version, string request)
        {
            if (string.IsNullOrWhiteSpace(request) || request.Trim() == "*") return true;
            request = request.Trim();
            if (request.IndexOfAny(new[] { '*', '?' }) >= 0)
            {
                var rx = "^" + Regex.Escape(request).Replace("\\*", ".*").Replace("\\?", ".") + "$";
                return Regex.IsMatch(version, rx, RegexOptions.IgnoreCase) ||
                       Regex.IsMatch(new PepVersion(version).Public, rx, RegexOptions.IgnoreCase);
            }
            var v = new PepVersion(version);
            var r = new PepVersion(request);
            if (!v.Valid || !r.Valid) return string.Equals(version, request, StringComparison.OrdinalIgnoreCase);
            if (r.Local.Length > 0) return v.CompareTo(r) == 0;
            return v.PublicEquals(r);
        }

        /// <summary>
        /// Whether a version satisfies a PEP 440 specifier set: "&lt;2", "&gt;=1.21,&lt;2", "==1.26.*", "~=1.24", "!=1.25.0".
        /// </summary>
        public static bool Satisfies(string version, string specifiers)
        {
            if (string.IsNullOrWhiteSpace(specifiers)) return true;
            var v = new PepVersion(version);
            foreach (var raw in specifiers.Split(','))
            {
                var s = raw.Trim();
                if (s.Length == 0) continue;
                var m = Regex.Match(s, @"^(===|~=|==|!=|<=|>=|<|>)\s*(.+)$");
                if (!m.Success) return false;
                var op = m.Groups[1].Value; var target = m.Groups[2].Value.Trim();
                if ((op == "==" || op == "!=") && target.EndsWith(".*", StringComparison.Ordinal))
                {
                    var prefix = target.Substring(0, target.Length - 2).Split('.');
                    var rel = v.Public.Split('.');
                    bool eq = prefix.Length <= rel.Length && prefix.Select((p, i) => new PepVersion(p).CompareTo(new PepVersion(rel[i])) == 0).All(x => x);
                    if (eq != (op == "==")) return false;
                    continue;
                }
                var t = new PepVersion(target);
                int c = new PepVersion(v.Public).CompareTo(new PepVersion(t.Public));
                switch (op)
                {
                    case "==": case "===": if (!(t.Local.Length > 0 ? v.CompareTo(t) == 0 : c == 0)) return false; break;
                    case "!=": if (c == 0) return false; break;
                    case "<": if (!(c < 0)) return false; break;
                    case "<=": if (!(c <= 0)) return false; break;
                    case ">": if (!(c > 0)) return false; break;
                    case ">=": if (!(c >= 0)) return false; break;
                    case "~=":
                        if (c < 0) return false;
                        var parts = t.Public.Split('.');
                        var upperPrefix = string.Join(".", parts.Take(Math.Max(1, parts.Length - 1)));
                        if (!Satisfies(version, "==" + upperPrefix + ".*")) return false;
                        break;
                }
            }
            return true;
        }
    }
}
