using System;
using System.IO;
using System.Runtime.InteropServices;

namespace EdgeOps.Storage
{
    /// <summary>
    /// Starts the kernel's writeback of a file's bytes as they are written (Linux: <c>sync_file_range</c> with
    /// SYNC_FILE_RANGE_WRITE, which queues the pages for the disk and does not wait), every few megabytes. A large object
    /// then reaches the disk while it streams, and the fsync that commits it finds almost nothing left to write: without
    /// this the kernel keeps the pages dirty for up to 30 s and the commit writes the whole image at once (0.1 s for
    /// 187 MiB on this machine's disk, seconds on a NAS or a USB disk), and eight backups at once pile up gigabytes of
    /// dirty pages. Elsewhere, or where the file system refuses it, nothing changes: the commit's fsync does it all.
    /// </summary>
    sealed class WriteBehind
    {
        /// <summary>How much is written before its writeback is started.</summary>
        internal const long Step = 8L << 20;

        const uint SyncFileRangeWrite = 2;
        static readonly bool s_linux = RuntimeInformation.IsOSPlatform(OSPlatform.Linux);

        readonly FileStream _file;
        long _written, _started;
        bool _off;

        public WriteBehind(FileStream file) { _file = file; _off = !s_linux; }

        /// <summary>Counts bytes just written to the file (unbuffered), and starts the writeback of each full step.</summary>
        public void Wrote(int count)
        {
            _written += count;
            if (_off || _written - _started < Step) return;
            Start(_written - _started);
            _started = _written;
        }

        void Start(long length)
        {
            var handle = _file.SafeFileHandle;
            bool added = false;
            try
            {
                handle.DangerousAddRef(ref added);
                if (sync_file_range(handle.DangerousGetHandle().ToInt32(), _started, length, SyncFileRangeWrite) != 0)
                    _off = true;   // not supported here (EINVAL, ESPIPE, ENOSYS): the commit's fsync writes everything
            }
            catch (Exception e) when (e is EntryPointNotFoundException || e is DllNotFoundException) { _off = true; }
            finally { if (added) handle.DangerousRelease(); }
        }

        [DllImport("libc", SetLastError = true)]
        static extern int sync_file_range(int fd, long offset, long nbytes, uint flags);
    }
}
