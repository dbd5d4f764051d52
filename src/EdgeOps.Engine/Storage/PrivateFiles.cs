using System;
using System.IO;
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace EdgeOps.Storage
{
    /// <summary>
    /// Files and folders on the controller that only the user running EdgeOps may read: backup images and their spool
    /// (every secret of a device is in a card image) and downloads. A folder is created fresh with a random name
    /// (mkdir fails if anything, a link included, already has that name, so what is created is the caller's own)
    /// and set to 0700; a file is created exclusively (O_CREAT|O_EXCL: a planted link or file makes it fail instead of
    /// being followed or reused) and set to 0600 through its open handle. On Windows the per-user temporary folder
    /// already keeps other users out; the modes apply to Linux and macOS.
    /// </summary>
    public static class PrivateFiles
    {
        public const int FolderMode = 0x1C0;   // 0700
        public const int FileMode600 = 0x180;  // 0600

        static bool IsUnix => !RuntimeInformation.IsOSPlatform(OSPlatform.Windows);

        [DllImport("libc", SetLastError = true, EntryPoint = "mkdir")] static extern int sys_mkdir(string path, uint mode);
        [DllImport("libc", SetLastError = true, EntryPoint = "chmod")] static extern int sys_chmod(string path, uint mode);
        [DllImport("libc", SetLastError = true, EntryPoint = "fchmod")] static extern int sys_fchmod(int fd, uint mode);

        const int EEXIST = 17;

        /// <summary>A new folder under <paramref name="parent"/> (default: the temporary folder) named prefix + random, 0700.</summary>
        public static string CreateFolder(string parent, string prefix)
        {
            parent = string.IsNullOrEmpty(parent) ? Path.GetTempPath() : parent;
            Directory.CreateDirectory(parent);
            for (int attempt = 0; ; attempt++)
            {
                var path = Path.Combine(parent, prefix + RandomName());
                if (!IsUnix)
                {
                    if (Directory.Exists(path) || File.Exists(path)) continue;
                    Directory.CreateDirectory(path);
                    return path;
                }
                if (sys_mkdir(path, FolderMode) == 0)
                {
                    if (sys_chmod(path, FolderMode) != 0) Fail("chmod 0700", path);
                    return path;
                }
                int err = Marshal.GetLastWin32Error();
                if (err != EEXIST || attempt > 20) Fail("mkdir", path, err);
            }
        }

        /// <summary>Twelve random characters (72 bits, base64url): a name nobody can guess in advance.</summary>
        public static string RandomName()
        {
            var bytes = new byte[9];
            using (var rng = RandomNumberGenerator.Create()) rng.GetBytes(bytes);
            return Convert.ToBase64String(bytes).Replace('+', '-').Replace('/', '_');
        }

        /// <summary>
        /// Creates <paramref name="path"/> for writing; it must not exist (a link there is not followed: the call
        /// fails). With <paramref name="replace"/>, what is there is unlinked first (a link itself, never its target).
        /// </summary>
        public static FileStream CreateNew(string path, bool replace = false, FileShare share = FileShare.Read, int bufferSize = 1 << 20)
        {
            if (replace && (File.Exists(path) || IsLink(path))) File.Delete(path);
            var fs = new FileStream(path, FileMode.CreateNew, FileAccess.Write, share, bufferSize);
            if (IsUnix)
            {
                try { if (sys_fchmod(fs.SafeFileHandle.DangerousGetHandle().ToInt32(), FileMode600) != 0) Fail("fchmod 0600", path); }
                catch { fs.Dispose(); throw; }
            }
            return fs;
        }

        static bool IsLink(string path)
        {
            try { return (File.GetAttributes(path) & FileAttributes.ReparsePoint) != 0; }
            catch (FileNotFoundException) { return false; }
            catch (DirectoryNotFoundException) { return false; }
        }

        static void Fail(string what, string path, int err = -1)
        {
            if (err < 0) err = Marshal.GetLastWin32Error();
            throw new IOException($"{what} '{path}' failed (errno {err}).");
        }
    }
}
