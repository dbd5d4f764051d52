using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using EdgeOps.Storage;

namespace EdgeOps.Backup
{
    /// <summary>
    /// Where backups live: any writable <see cref="IObjectStore"/> (a folder, S3, Azure Blob), one folder (a key prefix)
    /// per device, named <see cref="SafeName"/>. A backup's files are staged (<see cref="IObjectStore.Stage"/>) and
    /// committed only when complete and verified; a device's run holds <see cref="IObjectStore.TryLock"/> on its folder.
    /// </summary>
    public static class BackupDestination
    {
        /// <summary>
        /// Opens a destination: a folder (local or a mounted network share; made if missing), s3://bucket/prefix, or an
        /// Azure Blob container (az://container/prefix, or its https URL with a SAS token). A plain HTTP location or a
        /// file is a clear error before any device is read.
        /// </summary>
        public static IObjectStore Open(string destination, StorageOptions storage = null)
        {
            if (string.IsNullOrWhiteSpace(destination))
                throw new EdgeOpsException("BackupDestinationMissing", "InvalidArgument", "-Destination is empty: give a folder, s3://bucket/prefix or an Azure Blob container.");
            switch (ObjectStores.KindOf(destination, storage))
            {
                case "S3":
                case "AzureBlob":
                    return ObjectStores.Open(destination, storage);
                case "Http":
                    throw new EdgeOpsException("BackupDestinationReadOnly", "InvalidArgument",
                        $"-Destination '{destination}' is a plain HTTP location, which is read-only: give a folder, s3://bucket/prefix or an Azure Blob container (with a SAS token or -StorageCredential).");
                default:
                    if (destination.StartsWith("file://", StringComparison.OrdinalIgnoreCase)) destination = new Uri(destination).LocalPath;
                    return PrepareFolder(destination);
            }
        }

        /// <summary>The folder, made if missing; a file there, or a folder that cannot be made, is a clear error before any device is read.</summary>
        static FolderStore PrepareFolder(string root)
        {
            var full = Path.GetFullPath(root);
            if (File.Exists(full))
                throw new EdgeOpsException("BackupDestinationInvalid", "InvalidArgument",
                    $"-Destination '{root}' is a file, not a folder: give a folder for the backups (it is made if missing).");
            try { Directory.CreateDirectory(full); }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
            {
                throw new EdgeOpsException("BackupDestinationInvalid", e is UnauthorizedAccessException ? "PermissionDenied" : "InvalidArgument",
                    $"-Destination '{root}' cannot be made or used as a folder ({IoReason.Of(e)}): give a folder you can write to.", e);
            }
            return new FolderStore(full);
        }

        /// <summary>A device name as a folder/file name: path separators and control characters replaced.</summary>
        public static string SafeName(string device)
        {
            var chars = (device ?? "device").Select(c => c == '/' || c == '\\' || c == ':' || c < 32 || c == '*' || c == '?' || c == '"' || c == '<' || c == '>' || c == '|' ? '_' : c).ToArray();
            var s = new string(chars).Trim();
            // no leading dot: a hidden name would be taken for one of the destination's own temporary files
            int dots = 0;
            while (dots < s.Length && s[dots] == '.') dots++;
            s = new string('_', dots) + s.Substring(dots);
            if (s.Length == 0 || s.All(c => c == '_')) s = "device" + s;
            return s;
        }

        /// <summary>The key of a file in a device's folder.</summary>
        public static string Key(string device, string name) => SafeName(device) + "/" + name;

        /// <summary>The device folders of a destination (the first segment of every deeper key), ordered ignoring case.</summary>
        public static IReadOnlyList<string> Devices(IObjectStore store, CancellationToken ct = default) =>
            store.List("", ct).Select(o => o.Key).Where(k => k.IndexOf('/') > 0).Select(k => k.Substring(0, k.IndexOf('/')))
                 .Distinct(StringComparer.Ordinal).OrderBy(n => n, StringComparer.OrdinalIgnoreCase).ToList();

        /// <summary>The files directly in a device's folder (their <see cref="StorageObject.Name"/> is the file name).</summary>
        public static IReadOnlyList<StorageObject> Files(IObjectStore store, string device, CancellationToken ct = default)
        {
            var prefix = SafeName(device) + "/";
            return store.List(prefix, ct).Where(o => o.Key.IndexOf('/', prefix.Length) < 0).ToList();
        }
    }
}
