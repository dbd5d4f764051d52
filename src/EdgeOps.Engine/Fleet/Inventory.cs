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
            : base("InventoryInvalid", "InvalidData", $"{file}:{line}: {what}") { File = file; Line = line; }
        public string File { get; }
        public long Line { get; }
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
    ///     room: B12          # free-form: returned as a property
    /// </code>
    /// </summary>
    public static class Inventory
    {
        static readonly string[] s_known =
            { "name", "host", "port", "user", "identityFile", "proxyJump", "sudo", "knownHostsFile", "kexAlgorithms", "kind", "tags", "transport" };
        static readonly string[] s_kinds = { "raspberrypi4", "raspberrypi5", "jetson-nano", "generic" };
        static readonly string[] s_sudo = { "none", "nopasswd", "password" };

        /// <summary>The device kinds an inventory's 'kind' takes (tab completion of -Kind).</summary>
        public static IReadOnlyList<string> Kinds => s_kinds;

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
            var defaultValues = defaults == null ? new Dictionary<string, (string, YamlNode)>() : ReadMap(full, defaults, allowName: false);
            var result = new List<Entry>();
            var seen = new Dictionary<string, long>(StringComparer.OrdinalIgnoreCase);
            if (devices == null) return result;
            foreach (var node in devices.Children)
            {
                if (!(node is YamlMappingNode map)) throw new InventoryException(full, node.Start.Line, "each device must be a mapping with at least 'name' and 'host'.");
                var values = new Dictionary<string, (string value, YamlNode node)>(defaultValues);
                foreach (var kv in ReadMap(full, map, allowName: true)) values[kv.Key] = kv.Value;
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
                        case "proxyJump": d.ProxyJump = v; break;
                        case "kexAlgorithms":
                            try { EdgeOps.Transport.KexPreference.Resolve(v); }
                            catch (ArgumentException e) { throw new InventoryException(full, line, "'kexAlgorithms': " + e.Message); }
                            d.KexAlgorithms = v; break;
                        case "sudo":
                            if (!s_sudo.Contains(v)) throw new InventoryException(full, line, $"'sudo' must be one of {string.Join(", ", s_sudo)}, not '{v}'.");
                            d.SudoMode = v; break;
                        case "kind":
                            if (!s_kinds.Contains(v)) throw new InventoryException(full, line, $"'kind' must be one of {string.Join(", ", s_kinds)}, not '{v}'.");
                            d.Kind = v; break;
                        case "tags": d.Tags = v; break;
                        case "transport": break;
                        default: entry.Properties[kv.Key] = v; break;
                    }
                }
                if (string.IsNullOrEmpty(d.UserName)) d.UserName = local ? Environment.UserName : "pi";
                if (local && string.IsNullOrEmpty(d.HostName)) d.HostName = "localhost";
                result.Add(entry);
            }
            return result;
        }

        static Dictionary<string, (string, YamlNode)> ReadMap(string file, YamlMappingNode map, bool allowName)
        {
            var r = new Dictionary<string, (string, YamlNode)>(StringComparer.Ordinal);
            foreach (var kv in map.Children)
            {
                var key = (kv.Key as YamlScalarNode)?.Value ?? throw new InventoryException(file, kv.Key.Start.Line, "keys must be plain names.");
                if (!allowName && key == "name") throw new InventoryException(file, kv.Key.Start.Line, "'name' cannot be a default.");
                var known = s_known.FirstOrDefault(k => k.Equals(key, StringComparison.OrdinalIgnoreCase));
                if (known != null && known != key)
                    throw new InventoryException(file, kv.Key.Start.Line, $"unknown key '{key}': did you mean '{known}'?");
                if (known == null && key.Equals("hostname", StringComparison.OrdinalIgnoreCase))
                    throw new InventoryException(file, kv.Key.Start.Line, "unknown key 'hostname': use 'host'.");
                if (r.ContainsKey(key)) throw new InventoryException(file, kv.Key.Start.Line, $"key '{key}' appears twice.");
                string value;
                switch (kv.Value)
                {
                    case YamlScalarNode s: value = s.Value ?? ""; break;
                    case YamlSequenceNode seq when key == "tags":
                        value = string.Join(",", seq.Children.Select(c => (c as YamlScalarNode)?.Value ?? throw new InventoryException(file, c.Start.Line, "tags must be plain words.")));
                        break;
                    default:
                        if (known != null) throw new InventoryException(file, kv.Value.Start.Line, $"'{key}' must be a single value.");
                        value = kv.Value.ToString(); break;
                }
                r[key] = (value, kv.Value);
            }
            return r;
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
