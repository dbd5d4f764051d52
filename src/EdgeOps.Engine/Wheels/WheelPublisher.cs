using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Text.RegularExpressions;
using System.Threading;
using EdgeOps.Storage;

namespace EdgeOps.Wheels
{
    /// <summary>Constraints given to Publish-TorchWheel (what the wheel's tags cannot say).</summary>
    public sealed class WheelConstraints
    {
        public string L4T { get; set; }
        public string JetPack { get; set; }
        public string Cuda { get; set; }
        public string[] Devices { get; set; }
        public string[] SystemLibraries { get; set; }
        public string[] SystemPackages { get; set; }
        public string[] Requires { get; set; }
        /// <summary>For companions: the torch version they pair with (default: read from the wheel's Requires-Dist).</summary>
        public string Torch { get; set; }
    }

    /// <summary>What the wheel archive says about itself (METADATA and WHEEL inside the zip).</summary>
    public sealed class WheelArchiveInfo
    {
        public string Name { get; set; }
        public string Version { get; set; }
        public List<string> Tags { get; } = new List<string>();
        public List<string> RequiresDist { get; } = new List<string>();

        public static WheelArchiveInfo Read(string path)
        {
            var file = Path.GetFileName(path);
            var name = WheelName.Parse(file);
            try
            {
                using (var zip = ZipFile.OpenRead(path))
                {
                    var distInfo = zip.Entries.Select(e => e.FullName.Split('/')[0]).Distinct()
                        .FirstOrDefault(d => d.EndsWith(".dist-info", StringComparison.Ordinal) &&
                                             WheelName.Normalize(d.Substring(0, d.Length - 10).Split('-')[0]) == name.Package);
                    if (distInfo == null) throw Invalid(file, "it has no " + name.Package + "-*.dist-info folder");
                    var info = new WheelArchiveInfo();
                    foreach (var line in ReadLines(zip, distInfo + "/METADATA", file))
                    {
                        if (line.Length == 0) break;   // the description follows the headers
                        if (line.StartsWith("Name:", StringComparison.OrdinalIgnoreCase)) info.Name = line.Substring(5).Trim();
                        else if (line.StartsWith("Version:", StringComparison.OrdinalIgnoreCase)) info.Version = line.Substring(8).Trim();
                        else if (line.StartsWith("Requires-Dist:", StringComparison.OrdinalIgnoreCase)) info.RequiresDist.Add(line.Substring(14).Trim());
                    }
                    foreach (var line in ReadLines(zip, distInfo + "/WHEEL", file))
                        if (line.StartsWith("Tag:", StringComparison.OrdinalIgnoreCase)) info.Tags.Add(line.Substring(4).Trim());
                    if (info.Name == null || WheelName.Normalize(info.Name) != name.Package)
                        throw Invalid(file, $"its METADATA names '{info.Name}', not {name.Package}");
                    if (info.Version == null || new PepVersion(info.Version).CompareTo(new PepVersion(name.Version)) != 0)
                        throw Invalid(file, $"its METADATA says version {info.Version}, the file name {name.Version}");
                    if (info.Tags.Count == 0) info.Tags.AddRange(name.Tags);
                    return info;
                }
            }
            catch (InvalidDataException e) { throw Invalid(file, "it is not a zip archive (" + e.Message + ")"); }
        }

        static IEnumerable<string> ReadLines(ZipArchive zip, string entryName, string file)
        {
            var entry = zip.GetEntry(entryName) ?? throw Invalid(file, $"it has no {entryName}");
            using (var r = new StreamReader(entry.Open()))
            {
                string line;
                while ((line = r.ReadLine()) != null) yield return line.TrimEnd('\r');
            }
        }

        static EdgeOpsException Invalid(string file, string why) =>
            new EdgeOpsException("WheelInvalid", "InvalidData", $"'{file}' is not a valid wheel: {why}. Build it again (pip wheel / python -m build).");
    }

    /// <summary>Uploads a wheel beside a catalog and adds it to the catalog (the catalog is replaced atomically).</summary>
    public static class WheelPublisher
    {
        /// <summary>
        /// Publishes one wheel: checks the archive, uploads it next to the catalog (unless the same bytes are there),
        /// then rewrites the catalog with the entry added. The wheel is in place before the catalog names it, and the
        /// catalog is replaced in one atomic put, so readers see the old catalog or the new one.
        /// </summary>
        public static TorchWheelEntry Publish(IObjectStore store, string catalogKey, string wheelPath, WheelConstraints c, bool force,
                                              IProgress<long> progress, Action<string> log, CancellationToken ct)
        {
            if (!File.Exists(wheelPath))
                throw new EdgeOpsException("WheelFileNotFound", "ObjectNotFound", $"The wheel '{wheelPath}' does not exist. Check -Path.");
            StorageKey.Check(catalogKey);
            var info = WheelArchiveInfo.Read(wheelPath);
            var fileName = Path.GetFileName(wheelPath);
            var name = WheelName.Parse(fileName);
            var sha = StorageTransfer.Sha256File(wheelPath);
            var size = new FileInfo(wheelPath).Length;
            var folder = StorageKey.Parent(catalogKey);
            var key = StorageKey.Join(folder, fileName);

            var entry = new WheelEntry
            {
                File = fileName, Package = name.Package, Version = name.Version, Sha256 = sha, Size = size,
                Tags = info.Tags.Distinct().ToList(),
                L4T = Empty(c?.L4T), JetPack = Empty(c?.JetPack), Cuda = Empty(c?.Cuda),
                Devices = Clean(c?.Devices), SystemLibraries = Clean(c?.SystemLibraries), SystemPackages = Clean(c?.SystemPackages),
                Requires = Clean(c?.Requires),
                Torch = Empty(c?.Torch) ?? (name.Package != "torch" ? TorchFromRequires(info.RequiresDist) : null),
                Published = DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
            };
            var unsafeField = entry.UnsafeField();
            if (unsafeField != null)
                throw new EdgeOpsException("WheelRequirementInvalid", "InvalidArgument",
                    $"{unsafeField} Give -Requires, -SystemPackages and -SystemLibraries as plain names.");

            var before = ReadCatalog(store, catalogKey, ct);
            var old = before.Wheels.FirstOrDefault(w => w.File == fileName);
            string action = "Published";
            if (old != null && old.Sha256 != null && old.Sha256 != sha)
            {
                if (!force)
                    throw new EdgeOpsException("WheelAlreadyPublished", "ResourceExists",
                        $"{fileName} is already in {store.Location}{catalogKey} with other content (sha256 {old.Sha256}). Add -Force to replace it.");
                action = "Replaced";
            }
            else if (old != null) action = "Updated";

            var existing = store.Stat(key, ct);
            if (existing != null && existing.Size == size && old != null && old.Sha256 == sha)
                log?.Invoke($"{fileName} is already at {store.Location}{key} (same size and catalog hash): not uploaded again.");
            else
            {
                if (existing != null && old == null && !force)
                    throw new EdgeOpsException("WheelAlreadyPublished", "ResourceExists",
                        $"{store.Location}{key} already exists but is not in the catalog. Add -Force to overwrite it.");
                log?.Invoke($"Uploading {fileName} ({size} bytes) to {store.Location}{key}.");
                StorageTransfer.PutFile(store, key, wheelPath, progress, ct);
            }

            // Re-read just before writing: another publisher may have added a wheel meanwhile.
            var catalog = ReadCatalog(store, catalogKey, ct);
            if (old != null && Same(old, entry)) { action = "Unchanged"; entry.Published = old.Published; }
            catalog.Upsert(entry);
            StorageTransfer.WriteText(store, catalogKey, catalog.ToYaml(), ct);
            log?.Invoke($"{store.Location}{catalogKey}: {action} {fileName}.");

            return new TorchWheelEntry
            {
                ComputerName = Environment.MachineName.ToLowerInvariant(),
                Package = entry.Package, Version = entry.Version, Wheel = fileName, Sha256 = sha, Size = size,
                Tags = string.Join(",", entry.Tags), L4T = entry.L4T, JetPack = entry.JetPack, Cuda = entry.Cuda,
                Devices = string.Join(",", entry.Devices), Requires = string.Join(",", entry.Requires), Torch = entry.Torch,
                Location = store.Location + key, Catalog = store.Location + catalogKey, Action = action,
            };
        }

        static WheelCatalog ReadCatalog(IObjectStore store, string key, CancellationToken ct)
        {
            var text = StorageTransfer.ReadText(store, key, ct);
            return text == null ? new WheelCatalog() : WheelCatalog.Parse(text, store.Location + key);
        }

        static bool Same(WheelEntry a, WheelEntry b) =>
            a.Sha256 == b.Sha256 && a.L4T == b.L4T && a.JetPack == b.JetPack && a.Cuda == b.Cuda && a.Torch == b.Torch &&
            a.Devices.SequenceEqual(b.Devices) && a.SystemLibraries.SequenceEqual(b.SystemLibraries) &&
            a.SystemPackages.SequenceEqual(b.SystemPackages) && a.Requires.SequenceEqual(b.Requires);

        /// <summary>"torch (==2.1.0)" or "torch==2.1.0" in Requires-Dist -> "2.1.0".</summary>
        internal static string TorchFromRequires(IEnumerable<string> requires)
        {
            foreach (var r in requires)
            {
                var m = Regex.Match(r, @"^torch\s*\(?\s*===?\s*([^\s,;)]+)", RegexOptions.IgnoreCase);
                if (m.Success) return m.Groups[1].Value;
            }
            return null;
        }

        static string Empty(string s) => string.IsNullOrWhiteSpace(s) ? null : s.Trim();
        static List<string> Clean(string[] a) => (a ?? new string[0]).Where(x => !string.IsNullOrWhiteSpace(x)).Select(x => x.Trim()).Distinct().ToList();
    }
}
