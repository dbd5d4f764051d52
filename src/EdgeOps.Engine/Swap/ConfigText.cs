using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;
using EdgeOps.Transport;

namespace EdgeOps.Swap
{
    /// <summary>
    /// /etc/fstab swap entries: find, ensure exactly one, remove. Every other line is kept byte for byte.
    /// </summary>
    public static class FstabText
    {
        /// <summary>fstab(5) escapes: space \040, tab \011, newline \012, backslash \134.</summary>
        public static string Escape(string path) =>
            path.Replace("\\", "\\134").Replace(" ", "\\040").Replace("\t", "\\011").Replace("\n", "\\012");

        public static string Line(string path, int? priority) =>
            Escape(path) + " none swap " + (priority.HasValue ? "sw,pri=" + priority.Value.ToString(CultureInfo.InvariantCulture) : "sw") + " 0 0";

        sealed class Entry { public int Index; public string Spec; public string[] Options; }

        static List<Entry> SwapEntries(string[] lines)
        {
            var list = new List<Entry>();
            for (int i = 0; i < lines.Length; i++)
            {
                var t = lines[i].Trim();
                if (t.Length == 0 || t[0] == '#') continue;
                var f = t.Split(new[] { ' ', '\t' }, StringSplitOptions.RemoveEmptyEntries);
                if (f.Length < 3 || f[2] != "swap") continue;
                list.Add(new Entry { Index = i, Spec = SwapFacts.UnescapeProc(f[0]), Options = f.Length > 3 ? f[3].Split(',') : new string[0] });
            }
            return list;
        }

        static string[] Lines(string text) => (text ?? "").Split('\n');

        /// <summary>The swap entries' specs (paths, UUID=..., LABEL=...) in file order.</summary>
        public static IReadOnlyList<string> SwapSpecs(string text) => SwapEntries(Lines(text)).Select(e => e.Spec).ToList();

        public static int CountEntries(string text, string path) => SwapEntries(Lines(text)).Count(e => e.Spec == path);

        /// <summary>The pri= of the first entry for <paramref name="spec"/>, or null.</summary>
        public static int? Priority(string text, string spec)
        {
            var e = SwapEntries(Lines(text)).FirstOrDefault(x => x.Spec == spec);
            return e == null ? null : PriorityOf(e.Options);
        }

        static int? PriorityOf(string[] options)
        {
            foreach (var o in options)
                if (o.StartsWith("pri=", StringComparison.Ordinal) &&
                    int.TryParse(o.Substring(4), NumberStyles.Integer, CultureInfo.InvariantCulture, out var p)) return p;
            return null;
        }

        /// <summary>
        /// Text with exactly one swap entry for <paramref name="path"/>. An existing single entry is kept as
        /// the user wrote it when it is equivalent (not noauto; same pri= when a priority is asked for).
        /// </summary>
        public static string Ensure(string text, string path, int? priority)
        {
            text = text ?? "";
            var lines = Lines(text).ToList();
            var entries = SwapEntries(lines.ToArray()).Where(e => e.Spec == path).ToList();
            if (entries.Count == 1)
            {
                var o = entries[0].Options;
                bool ok = !o.Contains("noauto") && (!priority.HasValue || PriorityOf(o) == priority);
                if (ok) return text;
            }
            var line = Line(path, priority);
            if (entries.Count == 0)
            {
                var sb = new StringBuilder(text);
                if (sb.Length > 0 && sb[sb.Length - 1] != '\n') sb.Append('\n');
                sb.Append(line).Append('\n');
                return sb.ToString();
            }
            lines[entries[0].Index] = line;
            foreach (var e in entries.Skip(1).OrderByDescending(e => e.Index)) lines.RemoveAt(e.Index);
            return string.Join("\n", lines);
        }

        /// <summary>Text without any swap entry for <paramref name="path"/>.</summary>
        public static string Remove(string text, string path)
        {
            if (text == null) return null;
            var lines = Lines(text).ToList();
            foreach (var e in SwapEntries(lines.ToArray()).Where(e => e.Spec == path).OrderByDescending(e => e.Index))
                lines.RemoveAt(e.Index);
            return string.Join("\n", lines);
        }
    }

    /// <summary>
    /// A shell-sourced KEY=value file (/etc/dphys-swapfile). Later assignments win when sourced; Set leaves
    /// exactly one live assignment per key, at the place of the first, and keeps comments.
    /// </summary>
    public static class ShellConfigText
    {
        static readonly Regex s_assign = new Regex(@"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$", RegexOptions.CultureInvariant);

        /// <summary>The value the shell would see, or null when the key is not set.</summary>
        public static string Get(string text, string key)
        {
            string value = null;
            foreach (var line in (text ?? "").Split('\n'))
            {
                var m = s_assign.Match(line.TrimEnd('\r'));
                if (m.Success && m.Groups[1].Value == key) value = Unquote(m.Groups[2].Value);
            }
            return value;
        }

        static string Unquote(string v)
        {
            v = v.Trim();
            var sb = new StringBuilder();
            for (int i = 0; i < v.Length; i++)
            {
                char c = v[i];
                if (c == '\'') { int j = v.IndexOf('\'', i + 1); if (j < 0) j = v.Length; sb.Append(v, i + 1, Math.Max(0, j - i - 1)); i = j; }
                else if (c == '"') { int j = v.IndexOf('"', i + 1); if (j < 0) j = v.Length; sb.Append(v, i + 1, Math.Max(0, j - i - 1)); i = j; }
                else if (c == '#' && (i == 0 || char.IsWhiteSpace(v[i - 1]))) break;
                else if (char.IsWhiteSpace(c)) break;
                else sb.Append(c);
            }
            return sb.ToString();
        }

        /// <summary>A value as the shell should read it back: bare when safe, else single-quoted.</summary>
        public static string Encode(string value) =>
            Regex.IsMatch(value, @"^[A-Za-z0-9_/.,+:@%-]*$") ? value : Sh.Quote(value);

        public static string Set(string text, IEnumerable<KeyValuePair<string, string>> values)
        {
            var lines = (text ?? "").Split('\n').ToList();
            foreach (var kv in values)
            {
                string line = kv.Key + "=" + Encode(kv.Value);
                int first = -1;
                for (int i = lines.Count - 1; i >= 0; i--)
                {
                    var m = s_assign.Match(lines[i].TrimEnd('\r'));
                    if (!m.Success || m.Groups[1].Value != kv.Key) continue;
                    if (first >= 0) lines.RemoveAt(first);
                    first = i;
                }
                if (first >= 0) lines[first] = line;
                else
                {
                    if (lines.Count > 0 && lines[lines.Count - 1].Length == 0) lines.Insert(lines.Count - 1, line);
                    else { lines.Add(line); lines.Add(""); }
                }
            }
            return string.Join("\n", lines);
        }
    }

    /// <summary>
    /// rpi-swap's configuration (systemd.syntax ini): the main swap.conf plus drop-ins sorted by file name,
    /// later ones winning; a drop-in in /etc hides one of the same name in /run, /usr/local/lib or /usr/lib.
    /// </summary>
    public static class RpiSwapText
    {
        public const string DefaultPath = "/var/swap";
        static readonly string[] s_dirRank = { "/usr/lib/rpi/swap.conf.d", "/usr/local/lib/rpi/swap.conf.d", "/run/rpi/swap.conf.d" };

        /// <summary>Effective values ("Section.Key") and the file each came from.</summary>
        public static Dictionary<string, KeyValuePair<string, string>> Merge(RpiSwapFile main, IEnumerable<RpiSwapFile> dropIns)
        {
            var result = new Dictionary<string, KeyValuePair<string, string>>(StringComparer.Ordinal);
            if (main != null) Apply(result, main);
            foreach (var d in Effective(dropIns)) Apply(result, d);
            return result;
        }

        /// <summary>The drop-ins that count, in the order they apply.</summary>
        public static IEnumerable<RpiSwapFile> Effective(IEnumerable<RpiSwapFile> dropIns) =>
            dropIns.GroupBy(d => d.Name, StringComparer.Ordinal)
                   .Select(g => g.OrderByDescending(d => Rank(d.Dir)).First())
                   .OrderBy(d => d.Name, StringComparer.Ordinal);

        static int Rank(string dir)
        {
            int i = Array.IndexOf(s_dirRank, dir.TrimEnd('/'));
            return i < 0 ? 100 : i; // /etc (or a test's etc) wins
        }

        static void Apply(Dictionary<string, KeyValuePair<string, string>> into, RpiSwapFile file)
        {
            string section = "";
            foreach (var raw in (file.Text ?? "").Split('\n'))
            {
                var line = raw.Trim();
                if (line.Length == 0 || line[0] == '#' || line[0] == ';') continue;
                if (line[0] == '[' && line.EndsWith("]", StringComparison.Ordinal)) { section = line.Substring(1, line.Length - 2).Trim(); continue; }
                int eq = line.IndexOf('=');
                if (eq <= 0) continue;
                into[section + "." + line.Substring(0, eq).Trim()] = new KeyValuePair<string, string>(line.Substring(eq + 1).Trim(), file.FullPath);
            }
        }

        public static string Value(Dictionary<string, KeyValuePair<string, string>> merged, string key) =>
            merged.TryGetValue(key, out var v) ? v.Key : null;

        /// <summary>EdgeOps' drop-in: a plain swap file of a fixed size at <paramref name="path"/>, cap raised to match.</summary>
        public static string DropIn(string path, long sizeMiB)
        {
            var mib = sizeMiB.ToString(CultureInfo.InvariantCulture);
            return "# Written by EdgeOps New-SwapFile; Remove-SwapFile deletes it. See swap.conf(5).\n" +
                   "[Main]\nMechanism=swapfile\n\n[File]\nPath=" + path + "\nFixedSizeMiB=" + mib + "\nMaxSizeMiB=" + mib + "\n";
        }
    }
}
