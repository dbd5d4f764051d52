using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;
using YamlDotNet.Serialization;

namespace EdgeOps.Wheels
{
    /// <summary>One wheel of a catalog: what the file name says, plus what tags cannot express.</summary>
    public sealed class WheelEntry
    {
        /// <summary>Object key relative to the catalog's folder ("torch-2.1.0-cp38-cp38-linux_aarch64.whl" or "jp46/torch-...whl").</summary>
        public string File { get; set; }
        public string Package { get; set; }
        public string Version { get; set; }
        /// <summary>Lowercase hex SHA-256; null for wheels found by listing a folder (computed on download).</summary>
        public string Sha256 { get; set; }
        /// <summary>Bytes; -1 when unknown.</summary>
        public long Size { get; set; } = -1;
        public List<string> Tags { get; set; } = new List<string>();
        /// <summary>L4T release pattern the wheel needs ("32.7.1", "32.7.*", "35.*"); null = not a Jetson wheel.</summary>
        public string L4T { get; set; }
        /// <summary>JetPack version pattern ("4.6.1", "5.1.*"), checked through the L4T release the device reports.</summary>
        public string JetPack { get; set; }
        /// <summary>CUDA version pattern ("10.2", "11.4.*"); null = any or none.</summary>
        public string Cuda { get; set; }
        /// <summary>Device kinds the wheel is for (jetson-nano, raspberrypi5...); empty = any.</summary>
        public List<string> Devices { get; set; } = new List<string>();
        /// <summary>Shared libraries that must be on the device (libopenblas.so.0).</summary>
        public List<string> SystemLibraries { get; set; } = new List<string>();
        /// <summary>Debian packages that provide them (libopenblas0), installed with -InstallSystemPackages.</summary>
        public List<string> SystemPackages { get; set; } = new List<string>();
        /// <summary>Requirements installed with the wheel ("numpy&lt;2").</summary>
        public List<string> Requires { get; set; } = new List<string>();
        /// <summary>For companions (torchvision, torchaudio): the torch version they were built against.</summary>
        public string Torch { get; set; }
        public string Published { get; set; }

        /// <summary>An entry from a file name alone (a folder or bucket listing without catalog).</summary>
        public static WheelEntry FromName(string key, long size)
        {
            var w = WheelName.Parse(key.Substring(key.LastIndexOf('/') + 1));
            return new WheelEntry { File = key, Package = w.Package, Version = w.Version, Size = size, Tags = w.Tags.ToList() };
        }

        public string FileName => File.Substring(File.LastIndexOf('/') + 1);

        // Fields that reach apt-get and pip as arguments (as root): only plain names, never options or URLs.
        static readonly System.Text.RegularExpressions.Regex s_debianPackage =
            new System.Text.RegularExpressions.Regex(@"^[a-z0-9][a-z0-9+.-]+(:[a-z0-9-]+)?$");
        static readonly System.Text.RegularExpressions.Regex s_library = new System.Text.RegularExpressions.Regex(@"^[A-Za-z0-9_][A-Za-z0-9_.+-]*$");
        const string VersionClause = @"\s*(~=|===|==|!=|<=|>=|<|>)\s*[A-Za-z0-9.*+!_-]+\s*";
        static readonly System.Text.RegularExpressions.Regex s_requirement =
            new System.Text.RegularExpressions.Regex(@"^[A-Za-z0-9][A-Za-z0-9._-]*(" + VersionClause + "(," + VersionClause + ")*)?$");

        /// <summary>
        /// What is wrong with a field that would reach apt-get or pip as an argument, or null: systemPackages must be
        /// Debian package names (a name like -oDpkg::Pre-Invoke::=... would be an apt option run as root), systemLibraries
        /// file names, requires plain "name" or "name&lt;op&gt;version" (no option like --find-links=..., no "name @ URL").
        /// </summary>
        public string UnsafeField()
        {
            foreach (var p in SystemPackages)
                if (!s_debianPackage.IsMatch(p))
                    return $"systemPackages entry '{p}' of '{File}' is not a Debian package name (lowercase letters, digits, '+', '-', '.'; starting with a letter or digit).";
            foreach (var l in SystemLibraries)
                if (!s_library.IsMatch(l))
                    return $"systemLibraries entry '{l}' of '{File}' is not a library file name such as libopenblas.so.0.";
            foreach (var r in Requires)
            {
                if (r.TrimStart().StartsWith("-", StringComparison.Ordinal))
                    return $"requires entry '{r}' of '{File}' is a pip option, not a requirement; options are refused.";
                if (r.IndexOf('@') >= 0 || r.IndexOf("://", StringComparison.Ordinal) >= 0)
                    return $"requires entry '{r}' of '{File}' names a URL; only 'name' or 'name<op>version' (numpy<2) is accepted, so every wheel comes from the catalog.";
                if (!s_requirement.IsMatch(r.Trim()))
                    return $"requires entry '{r}' of '{File}' is not 'name' or 'name<op>version' (numpy<2, typing-extensions>=4.8).";
            }
            return null;
        }

        /// <summary>Human summary of the constraints for messages ("L4T 32.7.*, CUDA 10.2, devices jetson-nano").</summary>
        public string ConstraintText()
        {
            var parts = new List<string>();
            if (!string.IsNullOrEmpty(L4T)) parts.Add("L4T " + L4T);
            if (!string.IsNullOrEmpty(JetPack)) parts.Add("JetPack " + JetPack);
            if (!string.IsNullOrEmpty(Cuda)) parts.Add("CUDA " + Cuda);
            if (Devices.Count > 0) parts.Add("devices " + string.Join("/", Devices));
            if (!string.IsNullOrEmpty(Torch)) parts.Add("torch " + Torch);
            return string.Join(", ", parts);
        }
    }

    /// <summary>
    /// The catalog file (catalog.yaml beside the wheels). Read with line numbers in errors; written by YamlDotNet's
    /// serializer, which quotes a string wherever YAML would read it as something else, so versions like "10.2" stay text.
    /// </summary>
    public sealed class WheelCatalog
    {
        public const string DefaultName = "catalog.yaml";
        public int Format { get; set; } = 1;
        public List<WheelEntry> Wheels { get; } = new List<WheelEntry>();

        public static WheelCatalog Parse(string text, string where)
        {
            var stream = new YamlStream();
            try { stream.Load(new StringReader(text ?? "")); }
            catch (YamlException e) { throw Invalid(where, (int)e.Start.Line, "not valid YAML: " + (e.InnerException?.Message ?? e.Message)); }
            var cat = new WheelCatalog();
            if (stream.Documents.Count == 0) return cat;
            if (!(stream.Documents[0].RootNode is YamlMappingNode root))
                throw Invalid(where, 1, "the catalog must be a mapping with a 'wheels' list.");
            foreach (var kv in root.Children)
            {
                var key = Scalar(kv.Key, where);
                if (key == "format")
                {
                    if (!int.TryParse(Scalar(kv.Value, where), NumberStyles.Integer, CultureInfo.InvariantCulture, out var f) || f != 1)
                        throw Invalid(where, (int)kv.Value.Start.Line, $"format '{Scalar(kv.Value, where)}' is not supported (this EdgeOps reads format 1).");
                }
                else if (key == "wheels")
                {
                    if (kv.Value is YamlScalarNode empty && string.IsNullOrEmpty(empty.Value)) continue;
                    if (!(kv.Value is YamlSequenceNode seq)) throw Invalid(where, (int)kv.Value.Start.Line, "'wheels' must be a list.");
                    foreach (var node in seq.Children) cat.Wheels.Add(ParseEntry(node, where));
                }
            }
            return cat;
        }

        static WheelEntry ParseEntry(YamlNode node, string where)
        {
            if (!(node is YamlMappingNode map)) throw Invalid(where, (int)node.Start.Line, "each wheel must be a mapping (file:, sha256:, ...).");
            var e = new WheelEntry();
            foreach (var kv in map.Children)
            {
                var key = Scalar(kv.Key, where).ToLowerInvariant();
                int line = (int)kv.Value.Start.Line;
                switch (key)
                {
                    case "file": e.File = Scalar(kv.Value, where); break;
                    case "package": e.Package = WheelName.Normalize(Scalar(kv.Value, where)); break;
                    case "version": e.Version = Scalar(kv.Value, where); break;
                    case "sha256": e.Sha256 = Scalar(kv.Value, where)?.ToLowerInvariant(); break;
                    case "size":
                        if (!long.TryParse(Scalar(kv.Value, where), NumberStyles.Integer, CultureInfo.InvariantCulture, out var size) || size < 0)
                            throw Invalid(where, line, "size must be a number of bytes.");
                        e.Size = size; break;
                    case "tags": e.Tags = List(kv.Value, where); break;
                    case "l4t": e.L4T = Scalar(kv.Value, where); break;
                    case "jetpack": e.JetPack = Scalar(kv.Value, where); break;
                    case "cuda": e.Cuda = Scalar(kv.Value, where); break;
                    case "devices": e.Devices = List(kv.Value, where); break;
                    case "systemlibraries": e.SystemLibraries = List(kv.Value, where); break;
                    case "systempackages": e.SystemPackages = List(kv.Value, where); break;
                    case "requires": e.Requires = List(kv.Value, where); break;
                    case "torch": e.Torch = Scalar(kv.Value, where); break;
                    case "published": e.Published = Scalar(kv.Value, where); break;
                    default: break;   // unknown keys are kept readable by newer writers
                }
            }
            int at = (int)node.Start.Line;
            if (string.IsNullOrEmpty(e.File)) throw Invalid(where, at, "a wheel has no 'file'.");
            if (!WheelName.TryParse(e.FileName, out var name)) throw Invalid(where, at, $"'{e.File}' is not a wheel file name.");
            try { Storage.StorageKey.Check(e.File); }
            catch (EdgeOpsException x) { throw Invalid(where, at, x.Message); }
            if (e.Package == null) e.Package = name.Package;
            if (e.Version == null) e.Version = name.Version;
            if (e.Tags.Count == 0) e.Tags = name.Tags.ToList();
            if (e.Sha256 != null && !System.Text.RegularExpressions.Regex.IsMatch(e.Sha256, "^[0-9a-f]{64}$"))
                throw Invalid(where, at, $"the sha256 of '{e.File}' is not 64 hex digits.");
            var bad = e.UnsafeField();
            if (bad != null) throw Invalid(where, at, bad);
            return e;
        }

        static string Scalar(YamlNode n, string where)
        {
            if (n is YamlScalarNode s)
                return s.Style == ScalarStyle.Plain && (s.Value == "" || s.Value == "~" || s.Value == "null") ? null : s.Value;
            throw Invalid(where, (int)n.Start.Line, "expected a single value here.");
        }

        static List<string> List(YamlNode n, string where)
        {
            if (n is YamlScalarNode s) { var v = Scalar(s, where); return v == null ? new List<string>() : new List<string> { v }; }
            if (n is YamlSequenceNode seq) return seq.Children.Select(c => Scalar(c, where)).Where(v => !string.IsNullOrEmpty(v)).ToList();
            throw Invalid(where, (int)n.Start.Line, "expected a list here.");
        }

        static EdgeOpsException Invalid(string where, int line, string what) =>
            new EdgeOpsException("WheelCatalogInvalid", "InvalidData", $"The wheel catalog {where} (line {line}) is not valid: {what} Fix the file or publish again with Publish-TorchWheel.");

        /// <summary>Adds or replaces the entry with the same file.</summary>
        public void Upsert(WheelEntry entry)
        {
            Wheels.RemoveAll(w => string.Equals(w.File, entry.File, StringComparison.Ordinal));
            Wheels.Add(entry);
            Wheels.Sort((a, b) =>
            {
                int c = string.CompareOrdinal(a.Package, b.Package);
                if (c != 0) return c;
                c = -new PepVersion(a.Version).CompareTo(new PepVersion(b.Version));
                return c != 0 ? c : string.CompareOrdinal(a.File, b.File);
            });
        }

        /// <summary>The catalog file, written by YamlDotNet's serializer (any text, quoted where YAML needs it; read back by <see cref="Parse"/>).</summary>
        public string ToYaml() =>
            "# EdgeOps wheel catalog (written by Publish-TorchWheel; format described in docs/wheels.md)\n" +
            s_serializer.Serialize(new CatalogFile { Format = Format, Wheels = Wheels.Select(CatalogFile.Entry.Of).ToList() });

        static readonly ISerializer s_serializer = new SerializerBuilder()
            .ConfigureDefaultValuesHandling(DefaultValuesHandling.OmitNull | DefaultValuesHandling.OmitEmptyCollections)
            .WithQuotingNecessaryStrings()
            .WithEventEmitter(next => new ControlCharactersQuoted(next))
            .DisableAliases()
            .Build();

        /// <summary>A string with a line break, tab or other control character goes double-quoted, where YAML keeps it as it is (a block scalar would turn \r\n into \n).</summary>
        sealed class ControlCharactersQuoted : YamlDotNet.Serialization.EventEmitters.ChainedEventEmitter
        {
            public ControlCharactersQuoted(IEventEmitter next) : base(next) { }

            public override void Emit(ScalarEventInfo eventInfo, IEmitter emitter)
            {
                if (eventInfo.Source.Value is string s && s.Any(char.IsControl)) eventInfo.Style = ScalarStyle.DoubleQuoted;
                base.Emit(eventInfo, emitter);
            }
        }

        /// <summary>The file's layout: keys in this order, an empty or unknown value left out.</summary>
        sealed class CatalogFile
        {
            [YamlMember(Alias = "format", Order = 0)] public int Format { get; set; }
            [YamlMember(Alias = "wheels", Order = 1, DefaultValuesHandling = DefaultValuesHandling.Preserve)] public List<Entry> Wheels { get; set; }

            public sealed class Entry
            {
                [YamlMember(Alias = "file", Order = 0)] public string File { get; set; }
                [YamlMember(Alias = "package", Order = 1)] public string Package { get; set; }
                [YamlMember(Alias = "version", Order = 2)] public string Version { get; set; }
                [YamlMember(Alias = "sha256", Order = 3)] public string Sha256 { get; set; }
                [YamlMember(Alias = "size", Order = 4)] public long? Size { get; set; }
                [YamlMember(Alias = "tags", Order = 5)] public List<string> Tags { get; set; }
                [YamlMember(Alias = "l4t", Order = 6)] public string L4T { get; set; }
                [YamlMember(Alias = "jetpack", Order = 7)] public string JetPack { get; set; }
                [YamlMember(Alias = "cuda", Order = 8)] public string Cuda { get; set; }
                [YamlMember(Alias = "devices", Order = 9)] public List<string> Devices { get; set; }
                [YamlMember(Alias = "systemLibraries", Order = 10)] public List<string> SystemLibraries { get; set; }
                [YamlMember(Alias = "systemPackages", Order = 11)] public List<string> SystemPackages { get; set; }
                [YamlMember(Alias = "requires", Order = 12)] public List<string> Requires { get; set; }
                [YamlMember(Alias = "torch", Order = 13)] public string Torch { get; set; }
                [YamlMember(Alias = "published", Order = 14)] public string Published { get; set; }

                static string OrNull(string s) => string.IsNullOrEmpty(s) ? null : s;

                public static Entry Of(WheelEntry w) => new Entry
                {
                    File = w.File, Package = OrNull(w.Package), Version = OrNull(w.Version), Sha256 = OrNull(w.Sha256),
                    Size = w.Size >= 0 ? w.Size : (long?)null, Tags = w.Tags, L4T = OrNull(w.L4T), JetPack = OrNull(w.JetPack),
                    Cuda = OrNull(w.Cuda), Devices = w.Devices, SystemLibraries = w.SystemLibraries, SystemPackages = w.SystemPackages,
                    Requires = w.Requires, Torch = OrNull(w.Torch), Published = OrNull(w.Published),
                };
            }
        }
    }
}
