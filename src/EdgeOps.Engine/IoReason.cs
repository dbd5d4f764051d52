using System;
using System.IO;

namespace EdgeOps
{
    /// <summary>Why a file operation on the controller failed, in words for an error message (not .NET's exception text).</summary>
    public static class IoReason
    {
        public static string Of(Exception e)
        {
            switch (e)
            {
                case UnauthorizedAccessException _: return "permission denied";
                case FileNotFoundException _:
                case DirectoryNotFoundException _: return "a folder on the way does not exist, or is a file";
                case PathTooLongException _: return "the path is too long";
                case DriveNotFoundException _: return "the drive does not exist";
            }
            var m = e.Message ?? "";
            foreach (var (text, reason) in new[]
            {
                ("Read-only file system", "the file system is read-only"),
                ("No space left", "the disk is full"),
                ("Permission denied", "permission denied"),
                ("Not a directory", "a part of the path is a file, not a folder"),
                ("No such file or directory", "a folder on the way does not exist, or is a file"),
                ("Operation not permitted", "the operation is not permitted there"),
                ("Too many levels of symbolic links", "a symbolic link loops"),
                ("Is a directory", "it is a folder, not a file"),
                ("Disk quota exceeded", "the disk quota is exceeded"),
            })
                if (m.IndexOf(text, StringComparison.OrdinalIgnoreCase) >= 0) return reason;
            return "an input/output error";
        }
    }
}
