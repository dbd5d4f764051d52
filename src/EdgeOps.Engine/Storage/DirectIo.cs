using System;
using System.IO;
using System.Runtime.InteropServices;

namespace EdgeOps.Storage
{
    /// <summary>
    /// Writes and reads a staged file with <c>O_DIRECT</c> (Linux), so a backup's gigabytes never pass through the page
    /// cache: no kernel copy into cache pages, no cache pages to allocate (on a VM whose host takes freed memory back,
    /// each new page is a fault on the host: eight backups at once spent 0.67 s of CPU per GiB of card there), no cache
    /// evicted for the rest of the controller, and the read-back reads what the disk holds rather than the cache. The file
    /// is reopened through /proc/self/fd (the same inode as the open FileStream, whatever happens to its name), and the
    /// bytes go through one reused 1 MiB buffer aligned to 4096. Only on a local disk file system (ext4, XFS, Btrfs, F2FS:
    /// <see cref="Native.Reopen"/>); where any of this is missing or refused (not Linux, no /proc, NFS, SMB, tmpfs, FUSE),
    /// <see cref="TryOpen"/> returns null and the caller writes through the page cache as before.
    /// </summary>
    sealed class DirectWriter : IDisposable
    {
        internal const int Align = 4096;
        const int BufferSize = 1 << 20;

        readonly FileStream _file;
        int _fd;
        readonly NativeBuffer _buffer = new NativeBuffer(BufferSize);
        int _fill;
        long _flushed;   // bytes at the start of the file written directly (a multiple of Align)
        ReadBack _readBack;

        DirectWriter(FileStream file, int fd) { _file = file; _fd = fd; }

        /// <summary>
        /// From now on (before the first byte), reads each block back from the disk right after writing it, with O_DIRECT,
        /// into a CRC-64: the read-back check of the stored bytes, done while the stream comes in rather than after it.
        /// False where the file cannot be opened for direct reads.
        /// </summary>
        public bool StartReadBack()
        {
            if (_flushed != 0 || _fill != 0) throw new InvalidOperationException("The read-back starts before the first byte.");
            if (_readBack != null) return true;
            int fd = Native.Reopen(_file, Native.O_RDONLY);
            if (fd < 0) return false;
            _readBack = new ReadBack(fd, _file.Name);
            return true;
        }

        /// <summary>
        /// The CRC-64 (hex) of every byte of the file as read back from the disk while it was written, once
        /// <see cref="Finish"/> ran; null when no read-back ran or it does not cover the file (direct writes refused).
        /// </summary>
        public string ReadBackCrc64 { get; private set; }

        /// <summary>A direct writer for the file behind <paramref name="file"/> (opened for writing, empty), or null.</summary>
        public static DirectWriter TryOpen(FileStream file)
        {
            int fd = Native.Reopen(file, Native.O_WRONLY);
            return fd < 0 ? null : new DirectWriter(file, fd);
        }

        /// <summary>Takes bytes for the end of the file; false when direct writes turned out to be refused (the bytes
        /// taken so far are then written through the FileStream, at their place, and this writer is done).</summary>
        public bool Write(byte[] data, int offset, int count)
        {
            while (count > 0)
            {
                int n = Math.Min(count, BufferSize - _fill);
                Marshal.Copy(data, offset, _buffer.Address + _fill, n);
                _fill += n; offset += n; count -= n;
                if (_fill == BufferSize && !Flush(BufferSize)) { FallBack(data, offset, count); return false; }
            }
            return true;
        }

        /// <summary>
        /// Writes what the buffer holds: the whole blocks directly, the last part block through the FileStream (O_DIRECT
        /// takes whole blocks only), whose position is then the end of the file. After this the caller writes through the
        /// FileStream; the writer is done.
        /// </summary>
        public void Finish()
        {
            int whole = _fill / Align * Align;
            if (whole > 0 && !Flush(whole)) { FallBack(null, 0, 0); return; }
            // what is left after the whole blocks (Flush counted them out of _fill)
            int tail = _fill;
            WriteThroughFile(_buffer.Address + whole, tail, _flushed);
            if (_readBack != null && tail > 0)
            {
                // a direct read of the last part block (offset aligned, the read rounded up: it stops at the end of the
                // file); the kernel writes the cached page to the disk first, so this too reads what the disk holds
                _file.Flush();
                _readBack.Read(_flushed, tail);
            }
            _flushed += tail; _fill = 0;
            if (_readBack != null) ReadBackCrc64 = _readBack.Crc64();
            Close();
        }

        /// <summary>Writes the buffer's first <paramref name="count"/> bytes (whole blocks) at the end of what was written
        /// directly; false, with nothing written, when the file system refuses direct writes.</summary>
        bool Flush(int count)
        {
            long done = 0;
            while (done < count)
            {
                long r = (long)Native.pwrite(_fd, _buffer.Address + (int)done, (UIntPtr)(ulong)(count - done), _flushed + done);
                if (r < 0)
                {
                    int errno = Marshal.GetLastWin32Error();
                    if (errno == Native.EINTR) continue;
                    // EINVAL: the file system took the open but not the write (alignment it wants larger than 4096)
                    if (errno == Native.EINVAL && done == 0) return false;
                    throw new IOException($"Writing '{_file.Name}' failed: {Native.Describe(errno)}.", errno);
                }
                if (r == 0) throw new IOException($"Writing '{_file.Name}' failed: the file system took no bytes.");
                done += r;
            }
            _readBack?.Read(_flushed, count);
            _flushed += count;
            _fill -= count;
            return true;
        }

        void FallBack(byte[] data, int offset, int count)
        {
            // the bytes go through the page cache from here: the read-back after the stream reads the whole file instead
            _readBack?.Dispose(); _readBack = null;
            WriteThroughFile(_buffer.Address, _fill, _flushed);
            _flushed += _fill; _fill = 0;
            if (count > 0) _file.Write(data, offset, count);
            _flushed += count;
            Close();
        }

        void WriteThroughFile(IntPtr from, int count, long at)
        {
            _file.Position = at;
            if (count == 0) return;
            var bytes = new byte[count];
            Marshal.Copy(from, bytes, 0, count);
            _file.Write(bytes, 0, count);
        }

        void Close()
        {
            if (_fd >= 0) { Native.close(_fd); _fd = -1; }
            _readBack?.Dispose(); _readBack = null;
        }

        public void Dispose() { Close(); _buffer.Dispose(); }

        /// <summary>Reads ranges of the file just written back with O_DIRECT into a CRC-64.</summary>
        sealed class ReadBack : IDisposable
        {
            int _fd;
            readonly string _name;
            readonly NativeBuffer _buffer = new NativeBuffer(BufferSize);
            readonly byte[] _copy = new byte[BufferSize];
            readonly System.IO.Hashing.Crc64 _crc = new System.IO.Hashing.Crc64();

            public ReadBack(int fd, string name) { _fd = fd; _name = name; }

            /// <summary>Reads <paramref name="count"/> bytes (at most the buffer) at <paramref name="at"/> (aligned). A file
            /// shorter than that adds fewer bytes, so the CRC differs from the written bytes' and the check fails.</summary>
            public void Read(long at, int count)
            {
                long r = Native.ReadAt(_fd, _buffer.Address, (count + Align - 1) / Align * Align, at, _name);
                int n = (int)Math.Min(r, count);
                Marshal.Copy(_buffer.Address, _copy, 0, n);
                _crc.Append(new ReadOnlySpan<byte>(_copy, 0, n));
            }

            public string Crc64() => Hex.Lower(_crc.GetCurrentHash());

            public void Dispose()
            {
                if (_fd >= 0) { Native.close(_fd); _fd = -1; }
                _buffer.Dispose();
            }
        }
    }

    /// <summary>Reads a file with O_DIRECT from the start (see <see cref="DirectWriter"/>); null from TryOpen where refused.</summary>
    sealed class DirectReadStream : ReadOnlyStream
    {
        const int BufferSize = 1 << 20;
        int _fd;
        readonly string _name;
        readonly NativeBuffer _buffer = new NativeBuffer(BufferSize);
        long _fileOffset;
        int _pos, _len;
        bool _eof;

        DirectReadStream(int fd, string name) { _fd = fd; _name = name; }

        public static DirectReadStream TryOpen(FileStream file)
        {
            int fd = Native.Reopen(file, Native.O_RDONLY);
            return fd < 0 ? null : new DirectReadStream(fd, file.Name);
        }

        public override int Read(byte[] buffer, int offset, int count)
        {
            if (_fd < 0) throw new ObjectDisposedException(nameof(DirectReadStream));
            if (count == 0) return 0;
            if (_pos == _len)
            {
                if (_eof) return 0;
                long r = Native.ReadAt(_fd, _buffer.Address, BufferSize, _fileOffset, _name);
                // a short read is the end of the file (direct reads are whole blocks until the last)
                if (r < BufferSize) _eof = true;
                _fileOffset += r; _pos = 0; _len = (int)r;
                if (r == 0) return 0;
            }
            int n = Math.Min(count, _len - _pos);
            Marshal.Copy(_buffer.Address + _pos, buffer, offset, n);
            _pos += n;
            return n;
        }

        protected override void Dispose(bool disposing)
        {
            if (_fd >= 0) { Native.close(_fd); _fd = -1; }
            if (disposing) _buffer.Dispose();
            base.Dispose(disposing);
        }
    }

    /// <summary>Unmanaged memory aligned to <see cref="DirectWriter.Align"/>, as O_DIRECT wants it.</summary>
    sealed class NativeBuffer : IDisposable
    {
        IntPtr _raw;
        public IntPtr Address { get; private set; }

        public NativeBuffer(int size)
        {
            _raw = Marshal.AllocHGlobal(size + DirectWriter.Align);
            long a = (_raw.ToInt64() + DirectWriter.Align - 1) & ~(long)(DirectWriter.Align - 1);
            Address = new IntPtr(a);
        }

        public void Dispose()
        {
            if (_raw != IntPtr.Zero) { Marshal.FreeHGlobal(_raw); _raw = IntPtr.Zero; Address = IntPtr.Zero; }
            GC.SuppressFinalize(this);
        }

        ~NativeBuffer() { Dispose(); }
    }

    static class Native
    {
        internal const int O_RDONLY = 0, O_WRONLY = 1, EINTR = 4, EINVAL = 22;
        const int O_CLOEXEC = 0x80000;

        /// <summary>O_DIRECT's value differs between architectures; 0 where this code does not know it.</summary>
        static int ODirect
        {
            get
            {
                switch (RuntimeInformation.ProcessArchitecture)
                {
                    case Architecture.X64: case Architecture.X86: return 0x4000;
                    case Architecture.Arm64: case Architecture.Arm: return 0x10000;
                    default: return 0;
                }
            }
        }

        /// <summary>A new descriptor of the file behind <paramref name="file"/> with O_DIRECT, or -1 where that is refused.</summary>
        internal static int Reopen(FileStream file, int access)
        {
            if (!RuntimeInformation.IsOSPlatform(OSPlatform.Linux) || ODirect == 0) return -1;
            var handle = file.SafeFileHandle;
            bool added = false;
            try
            {
                handle.DangerousAddRef(ref added);
                if (!OnLocalDisk(handle.DangerousGetHandle().ToInt32())) return -1;
                return open("/proc/self/fd/" + handle.DangerousGetHandle().ToInt32().ToString(System.Globalization.CultureInfo.InvariantCulture),
                            access | ODirect | O_CLOEXEC, 0);
            }
            catch (Exception e) when (e is EntryPointNotFoundException || e is DllNotFoundException) { return -1; }
            finally { if (added) handle.DangerousRelease(); }
        }

        /// <summary>
        /// Whether the file is on a local disk file system that does O_DIRECT as a disk does (ext2/3/4, XFS, Btrfs, F2FS).
        /// Elsewhere the page cache stays: on NFS or SMB each direct write would wait for the server, on tmpfs there is no
        /// disk to go past the cache to, and FUSE file systems differ among themselves.
        /// </summary>
        static bool OnLocalDisk(int fd)
        {
            var buf = new byte[256];   // struct statfs: f_type comes first (a long; an int on 32-bit ARM)
            if (fstatfs(fd, buf) != 0) return false;
            long type = IntPtr.Size == 8 ? BitConverter.ToInt64(buf, 0) : BitConverter.ToInt32(buf, 0);
            switch (type & 0xFFFFFFFFL)
            {
                case 0xEF53:        // ext2, ext3, ext4
                case 0x58465342:    // XFS
                case 0x9123683E:    // Btrfs
                case 0xF2F52010:    // F2FS
                    return true;
                default:
                    return false;
            }
        }

        /// <summary>pread(2) of up to <paramref name="count"/> bytes at <paramref name="offset"/>, again after EINTR; the bytes
        /// read (fewer at the end of the file); an IOException naming the file otherwise.</summary>
        internal static long ReadAt(int fd, IntPtr buffer, int count, long offset, string name)
        {
            while (true)
            {
                long r = (long)pread(fd, buffer, (UIntPtr)(ulong)count, offset);
                if (r >= 0) return r;
                int errno = Marshal.GetLastWin32Error();
                if (errno != EINTR) throw new IOException($"Reading '{name}' back failed: {Describe(errno)}.", errno);
            }
        }

        internal static string Describe(int errno) => errno switch
        {
            28 => "no space left on the destination (ENOSPC)",
            5 => "an I/O error on the destination's disk (EIO)",
            122 => "the destination's quota is used up (EDQUOT)",
            _ => $"errno {errno}",
        };

        [DllImport("libc", SetLastError = true)] static extern int open(string path, int flags, int mode);
        [DllImport("libc", SetLastError = true)] internal static extern int close(int fd);
        [DllImport("libc", SetLastError = true)] static extern int fstatfs(int fd, byte[] buf);
        [DllImport("libc", SetLastError = true)] internal static extern IntPtr pwrite(int fd, IntPtr buf, UIntPtr count, long offset);
        [DllImport("libc", SetLastError = true)] static extern IntPtr pread(int fd, IntPtr buf, UIntPtr count, long offset);
    }
}
