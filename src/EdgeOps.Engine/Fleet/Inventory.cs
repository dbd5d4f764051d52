using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace EdgeOps.Fleet
{
    /// <summary>A problem in an inventory file, with the file and line it is on.</summary>
    public sealed class InventoryException : EdgeOpsException
    {
        public InventoryException(string file, long line, string what)
            : base("InventoryInvalid", "InvalidData", $"{file}:{line}: {what} Correct that line of the inventory and run the command again.")
        { File = file; Line = line; What = what; }
        /// <summary>Several problems at once (every unknown key of a file), one per line of the message.</summary>
        public InventoryException(IReadOnlyList<InventoryException> problems)
            : base("InventoryInvalid", "InvalidData", problems.Count == 1 ? problems[0].Message
                : $"{problems.Count} problems in the inventory:\n" + string.Join("\n", problems.Select(p => $"  {p.File}:{p.Line}: {p.What}")) +
                  "\nCorrect these lines of the inventory and run the command again.")
        { File = problems[0].File; Line = problems[0].Line; What = problems[0].What; }
        public string File { get; }
        public long Line { get; }
        /// <summary>The problem, without the file, line and next step.</summary>
        public string What { get; }
    }

    /// <summary>
    /// Reads a YAML inventory whose keys mirror ssh_config:
    /// <code>
    /// defaults: { user: pi, port: 22, sudo: nopasswd, identityFile: ~/.ssh/id_ed25519 }
    /// devices:
    ///   - name: pi5-01
    ///     host: 10.0.0.21
    ///     kind: raspberrypi5
    ///     tags: [lab, pi5]
    ///     vars: { room: B12 } # your own keys: returned in the device's Vars
    /// </code>
    /// Every other key is an error that names the nearest known key, so no typo passes as a property.
    /// </summary>
    public static class Inventory
    {
        static readonly string[] s_known =
            { "name", "host", "port", "user", "identityFile", "proxyJump", "sudo", "knownHostsFile", "kexAlgorithms", "ciphers", "kind", "tags", "transport", "vars" };
        static readonly string[] s_sudo = { "none", "nopasswd", "password" };

        /// <summary>The device kinds an inventory's 'kind' takes (tab completion of -Kind).</summary>
        public static IReadOnlyList<string> Kinds => DeviceKinds.Known;

        public sealed class Entry
        {
            public EdgeDevice Device { get; set; }
            public IDictionary<string, string> Properties { get; } = new SortedDictionary<string, string>(StringComparer.Ordinal);
        }

        public static IReadOnlyList<Entry> Load(string path)
        {
            var full = Path.GetFullPath(path);
            if (!File.Exists(full))
                throw new EdgeOpsException("InventoryNotFound", "ObjectNotFound",
                    $"Inventory file '{full}' does not exist. Give -Inventory the path of a YAML inventory (see examples/fleet.yaml).");
            string text = File.ReadAllText(full);
            var stream = new YamlStream();
            try { stream.Load(new StringReader(text)); }
            catch (YamlException e) { throw new InventoryException(full, e.Start.Line, "not valid YAML: " + Inner(e)); }
            if (stream.Documents.Count == 0) return Array.Empty<Entry>();
            if (!(stream.Documents[0].RootNode is YamlMappingNode root))
                throw new InventoryException(full, stream.Documents[0].RootNode.Start.Line, "the inventory must be a mapping with 'defaults' and 'devices'.");

            YamlMappingNode defaults = null;
            YamlSequenceNode devices = null;
            foreach (var kv in root.Children)
            {
                var key = ((YamlScalarNode)kv.Key).Value;
                if (key == "defaults") defaults = kv.Value as YamlMappingNode ?? throw new InventoryException(full, kv.Value.Start.Line, "'defaults' must be a mapping of keys.");
                else if (key == "devices") devices = kv.Value as YamlSequenceNode ?? throw new InventoryException(full, kv.Value.Start.Line, "'devices' must be a list.");
                else throw new InventoryException(full, kv.Key.Start.Line, $"unknown top-level key '{key}' (expected 'defaults' or 'devices').");
            }
            var unknownKeys = new List<InventoryException>();
            var defaultValues = defaults == null ? new Dictionary<string, (string, YamlNode)>() : ReadMap(full, defaults, allowName: false, unknownKeys);
            var result = new List<Entry>();
            var seen = new Dictionary<string, long>(StringComparer.OrdinalIgnoreCase);
            var jumpLines = new Dictionary<string, long>(StringComparer.OrdinalIgnoreCase);
            if (devices == null)
            {
                if (unknownKeys.Count > 0) throw new InventoryException(unknownKeys);
                return result;
            }
            foreach (var node in devices.Children)
            try
            {
                if (!(node is YamlMappingNode map)) throw new InventoryException(full, node.Start.Line, "each device must be a mapping with at least 'name' and 'host'.");
                var values = new Dictionary<string, (string value, YamlNode node)>(defaultValues);
                foreach (var kv in ReadMap(full, map, allowName: true, unknownKeys)) values[kv.Key] = kv.Value;
                var entryVars = new List<KeyValuePair<string, string>>();
                if (defaultValues.TryGetValue("vars", out var dv)) entryVars.AddRange(ReadVars(full, dv.Item2));
                if (map.Children.TryGetValue(new YamlScalarNode("vars"), out var own)) entryVars.AddRange(ReadVars(full, own));
                if (!values.TryGetValue("name", out var name) || string.IsNullOrWhiteSpace(name.value))
                    throw new InventoryException(full, map.Start.Line, "device has no 'name'.");
                if (seen.TryGetValue(name.value, out var firstLine))
                    throw new InventoryException(full, map.Start.Line, $"duplicate device name '{name.value}' (first defined on line {firstLine}).");
                seen[name.value] = map.Start.Line;
                bool local = values.TryGetValue("transport", out var tr) && tr.value.Equals("local", StringComparison.OrdinalIgnoreCase);
                if (!local && (!values.TryGetValue("host", out var h) || string.IsNullOrWhiteSpace(h.value)))
                    throw new InventoryException(full, map.Start.Line, $"device '{name.value}' has no 'host'.");
                var entry = new Entry { Device = new EdgeDevice { Inventory = full, Transport = local ? "Local" : "Ssh" } };
                var d = entry.Device;
                foreach (var kv in values)
                {
                    string v = kv.Value.value;
                    long line = kv.Value.node.Start.Line;
                    switch (kv.Key)
                    {
                        case "name": d.ComputerName = v; break;
                        case "host": d.HostName = v; break;
                        case "port":
                            if (!int.TryParse(v, out var port) || port < 1 || port > 65535) throw new InventoryException(full, line, $"'port' must be a number from 1 to 65535, not '{v}'.");
                            d.Port = port; break;
                        case "user": d.UserName = v; break;
                        case "identityFile": d.IdentityFile = ExpandPath(v, full); break;
                        case "knownHostsFile": d.KnownHostsFile = ExpandPath(v, full); break;
                        case "proxyJump": d.ProxyJump = v; jumpLines[name.value] = line; break;
                        case "kexAlgorithms":
                            try { EdgeOps.Transport.KexPreference.Resolve(v); }
                            catch (ArgumentException e) { throw new InventoryException(full, line, "'kexAlgorithms': " + e.Message); }
                            d.KexAlgorithms = v; break;
                        case "ciphers":
                            try { EdgeOps.Transport.AlgorithmPreference.Ciphers.Resolve(v); }
                            catch (ArgumentException e) { throw new InventoryException(full, line, "'ciphers': " + e.Message); }
                            d.Ciphers = v; break;
                        case "sudo":
                            if (!s_sudo.Contains(v)) throw new InventoryException(full, line, $"'sudo' must be one of {string.Join(", ", s_sudo)}, not '{v}'.");
                            d.SudoMode = v; break;
                        case "kind":
                            if (!DeviceKinds.IsKnown(v)) throw new InventoryException(full, line, $"'kind' must be one of {string.Join(", ", DeviceKinds.Known)}, not '{v}'.");
                            d.Kind = v; break;
                        case "tags": d.Tags = v; break;
                        case "transport": break;
                        case "vars": break;
                        default: throw new InventoryException(full, line, $"unknown key '{kv.Key}'.");
                    }
                }
                // a jump host named in 'defaults' reaches every device but itself
                if (string.Equals(d.ProxyJump, d.ComputerName, StringComparison.OrdinalIgnoreCase) && !map.Children.ContainsKey(new YamlScalarNode("proxyJump")))
                    d.ProxyJump = null;
                foreach (var kv in entryVars) entry.Properties[kv.Key] = kv.Value;
                if (string.IsNullOrEmpty(d.UserName)) d.UserName = local ? Environment.UserName : "pi";
                if (local && string.IsNullOrEmpty(d.HostName)) d.HostName = "localhost";
                result.Add(entry);
            }
            catch (InventoryException e) when (unknownKeys.Count > 0)
            {
                // an unknown key is the likelier cause ('hots:' leaves a device without 'host'): say both
                unknownKeys.Add(e);
                throw new InventoryException(unknownKeys);
            }
            if (unknownKeys.Count > 0) throw new InventoryException(unknownKeys);
            ResolveJumps(full, result.Select(e => e.Device).ToList(), jumpLines);
            return result;
        }

        /// <summary>Every device's proxyJump, resolved to the jump host's connection data (see <see cref="ProxyJumps"/>).</summary>
        static void ResolveJumps(string file, IReadOnlyList<EdgeDevice> devices, IDictionary<string, long> lines)
        {
            var byName = devices.ToDictionary(d => d.ComputerName, StringComparer.OrdinalIgnoreCase);
            foreach (var d in devices)
            {
                try { ProxyJumps.Resolve(d, n => byName.TryGetValue(n, out var j) ? j : null); }
                catch (ProxyJumpException e) { throw new InventoryException(file, lines.TryGetValue(e.Device, out var l) ? l : 0, e.What); }
            }
        }

        static Dictionary<string, (string, YamlNode)> ReadMap(string file, YamlMappingNode map, bool allowName, List<InventoryException> unknownKeys)
        {
            var r = new Dictionary<string, (string, YamlNode)>(StringComparer.Ordinal);
            foreach (var kv in map.Children)
            {
                var key = (kv.Key as YamlScalarNode)?.Value ?? throw new InventoryException(file, kv.Key.Start.Line, "keys must be plain names.");
                if (!allowName && key == "name") throw new InventoryException(file, kv.Key.Start.Line, "'name' cannot be a default.");
                var known = s_known.FirstOrDefault(k => k == key);
                if (known == null) { unknownKeys.Add(new InventoryException(file, kv.Key.Start.Line, UnknownKey(key))); continue; }
                if (r.ContainsKey(key)) throw new InventoryException(file, kv.Key.Start.Line, $"key '{key}' appears twice.");
                string value;
                switch (kv.Value)
                {
                    case YamlScalarNode s: value = s.Value ?? ""; break;
                    case YamlMappingNode _ when key == "vars": value = ""; break;
                    case YamlSequenceNode seq when key == "tags":
                        value = string.Join(",", seq.Children.Select(c => (c as YamlScalarNode)?.Value ?? throw new InventoryException(file, c.Start.Line, "tags must be plain words.")));
                        break;
                    default:
                        throw new InventoryException(file, kv.Value.Start.Line,
                            key == "vars" ? "'vars' must be a mapping of your own keys, e.g. vars: { room: B12 }." : $"'{key}' must be a single value.");
                }
                r[key] = (value, kv.Value);
            }
            return r;
        }

        /// <summary>A name that is not in an inventory: which names are, and what to do.</summary>
        public static EdgeOpsException DeviceNotFound(string name, string file, ICollection<string> names) =>
            new EdgeOpsException("DeviceNotInInventory", "ObjectNotFound",
                $"{name}: no device of that name in the inventory '{file}'. " +
                (names.Count == 0 ? "The inventory has no devices: add them under 'devices:'." :
                 $"Use one of its names ({string.Join(", ", names.OrderBy(k => k, StringComparer.OrdinalIgnoreCase).Take(10))}" +
                 (names.Count > 10 ? ", ..." : "") + "), or a wildcard such as -Name 'pi*'."))
            { Device = name };

        /// <summary>The user's own keys under 'vars:': plain names, single values.</summary>
        static IEnumerable<KeyValuePair<string, string>> ReadVars(string file, YamlNode node)
        {
            foreach (var kv in ((YamlMappingNode)node).Children)
            {
                var key = (kv.Key as YamlScalarNode)?.Value ?? throw new InventoryException(file, kv.Key.Start.Line, "keys under 'vars' must be plain names.");
                if (!(kv.Value is YamlScalarNode v))
                    throw new InventoryException(file, kv.Value.Start.Line, $"vars: '{key}' must be a single value.");
                yield return new KeyValuePair<string, string>(key, v.Value ?? "");
            }
        }

        /// <summary>"unknown key 'prot': did you mean 'port'?", or the list of keys when nothing is near.</summary>
        static string UnknownKey(string key)
        {
            var aliases = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
            { ["hostname"] = "host", ["address"] = "host", ["username"] = "user", ["tag"] = "tags", ["identity"] = "identityFile" };
            string nearest = aliases.TryGetValue(key, out var a) ? a
                : s_known.Select(k => (k, d: Distance(key.ToLowerInvariant(), k.ToLowerInvariant())))
                         .Where(x => x.d <= Math.Max(1, Math.Min(2, key.Length / 3)) || string.Equals(x.k, key, StringComparison.OrdinalIgnoreCase))
                         .OrderBy(x => x.d).Select(x => x.k).FirstOrDefault();
            var known = string.Join(", ", s_known);
            return nearest != null
                ? $"unknown key '{key}': did you mean '{nearest}'? (Keys are case-sensitive; your own keys go under 'vars:'.)"
                : $"unknown key '{key}': the keys are {known}. Put your own keys under 'vars:', e.g. vars: {{ {key}: ... }}.";
        }

        /// <summary>Levenshtein distance, with a swap of two neighbours counted as one edit.</summary>
        static int Distance(string a, string b)
        {
            var d = new int[a.Length + 1, b.Length + 1];
            for (int i = 0; i <= a.Length; i++) d[i, 0] = i;
            for (int j = 0; j <= b.Length; j++) d[0, j] = j;
            for (int i = 1; i <= a.Length; i++)
                for (int j = 1; j <= b.Length; j++)
                {
                    int cost = a[i - 1] == b[j - 1] ? 0 : 1;
                    d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                    if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
                }
            return d[a.Length, b.Length];
        }

        static string ExpandPath(string p, string inventoryFile)
        {
            if (string.IsNullOrEmpty(p)) return p;
            if (p == "~" || p.StartsWith("~/", StringComparison.Ordinal))
                p = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), p.Length > 1 ? p.Substring(2) : "");
            return Path.IsPathRooted(p) ? p : Path.GetFullPath(Path.Combine(Path.GetDirectoryName(inventoryFile), p));
        }

        static string Inner(YamlException e) => e.InnerException?.Message ?? e.Message;
    }
}
