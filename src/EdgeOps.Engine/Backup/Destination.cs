using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;

namespace EdgeOps.Backup
{
    /// <summary>A stored file of a device's backup folder.</summary>
    public sealed class StoredFile
    {
        public string Name { get; set; }
        public long Length { get; set; }
        public DateTimeOffset Modified { get; set; }
    }

    /// <summary>
    /// Where backups live, one folder (or prefix) per device. Files are written under a temporary name and
    /// renamed into place only when complete and verified. The folder implementation is here; object stores
    /// (S3, Azure Blob) plug in behind the same members.
    /// </summary>
    public interface IBackupDestination : IDisposable
    {
        /// <summary>How the user wrote it, for messages.</summary>
        string Display { get; }
        /// <summary>The full path or URL of a device's file.</summary>
        string PathOf(string device, string name);
        IReadOnlyList<string> Devices();
        IReadOnlyList<StoredFile> List(string device);
        /// <summary>Creates (or truncates) a file for writing.</summary>
        Stream Create(string device, string name);
        /// <summary>Forces written data to stable storage.</summary>
        void Flush(Stream written);
        Stream OpenRead(string device, string name);
        /// <summary>Replaces <paramref name="to"/> with <paramref name="from"/> atomically where the store can.</summary>
        void Rename(string device, string from, string to);
        void Delete(string device, string name);
        /// <summary>An exclusive lock on the device's folder for one backup run; null when another run holds it.</summary>
        IDisposable TryLock(string device);
    }

    public static class BackupDestination
    {
        /// <summary>
        /// Opens a destination: a folder (local or a mounted network share), s3://bucket/prefix, or an Azure Blob
        /// container (az://container/prefix, or its https URL with a SAS token), through the storage layer.
        /// </summary>
        public static IBackupDestination Open(string destination, EdgeOps.Storage.StorageOptions storage = null, System.Threading.CancellationToken ct = default)
        {
            if (string.IsNullOrWhiteSpace(destination))
                throw new EdgeOpsException("BackupDestinationMissing", "InvalidArgument", "-Destination is empty: give a folder, s3://bucket/prefix or an Azure Blob container.");
            switch (EdgeOps.Storage.ObjectStores.KindOf(destination, storage))
            {
                case "S3":
                case "AzureBlob":
                    return new ObjectStoreDestination(EdgeOps.Storage.ObjectStores.Open(destination, storage), ct);
                case "Http":
                    throw new EdgeOpsException("BackupDestinationReadOnly", "InvalidArgument",
                        $"-Destination '{destination}' is a plain HTTP location, which is read-only: give a folder, s3://bucket/prefix or an Azure Blob container (with a SAS token or -StorageCredential).");
                default:
                    if (destination.StartsWith("file://", StringComparison.OrdinalIgnoreCase)) destination = new Uri(destination).LocalPath;
                    return FolderDestination.Prepare(destination);
            }
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
    }

    sealed class FolderDestination : IBackupDestination
    {
        readonly string _root;
        public FolderDestination(string root) { _root = Path.GetFullPath(root); Display = root; }

        /// <summary>The folder, made if missing; a file there, or a folder that cannot be made, is a clear error before any device is read.</summary>
        public static FolderDestination Prepare(string root)
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
            return new FolderDestination(root);
        }
        public string Display { get; }
        string Dir(string device) => Path.Combine(_root, BackupDestination.SafeName(device));
        public string PathOf(string device, string name) => Path.Combine(Dir(device), name);

        public IReadOnlyList<string> Devices() =>
            Directory.Exists(_root) ? Directory.GetDirectories(_root).Select(Path.GetFileName).OrderBy(n => n, StringComparer.OrdinalIgnoreCase).ToList() : new List<string>();

        public IReadOnlyList<StoredFile> List(string device)
        {
            var d = Dir(device);
            if (!Directory.Exists(d)) return new List<StoredFile>();
            return new DirectoryInfo(d).GetFiles().Select(f => new StoredFile { Name = f.Name, Length = f.Length, Modified = f.LastWriteTimeUtc }).ToList();
        }

        public Stream Create(string device, string name)
        {
            Directory.CreateDirectory(Dir(device));
            // 0600, created afresh: a card image holds every secret of the device, and a link planted under the
            // temporary name is replaced, never followed
            // unbuffered (1: also on .NET Framework, which refuses 0): the image sink writes batches of the stream as they come (no copy into a FileStream buffer first)
            return EdgeOps.Storage.PrivateFiles.CreateNew(PathOf(device, name), replace: true, bufferSize: 1);
        }

        public void Flush(Stream written)
        {
            if (written is FileStream fs) fs.Flush(true); else written.Flush();
        }

        public Stream OpenRead(string device, string name) =>
            new FileStream(PathOf(device, name), FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.SequentialScan);

        public void Rename(string device, string from, string to)
        {
            var target = PathOf(device, to);
            if (File.Exists(target)) File.Delete(target);
            File.Move(PathOf(device, from), target);
        }

        public void Delete(string device, string name)
        {
            var p = PathOf(device, name);
            if (File.Exists(p)) File.Delete(p);
        }

        public void Dispose() { }

        public IDisposable TryLock(string device)
        {
            Directory.CreateDirectory(Dir(device));
            try { return new FileStream(PathOf(device, ".edgeops-backup.lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1); }
            catch (IOException) { return null; }
        }
    }
}
