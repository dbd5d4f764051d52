using System;
using System.IO;
using System.Threading;

namespace EdgeOps.Storage
{
    /// <summary>
    /// A new object being written (<see cref="IObjectStore.Stage"/>): a forward-only stream to a temporary file on the
    /// controller or beside the target. On a local disk file system on Linux (ext4, XFS, Btrfs, F2FS) the bytes go to the
    /// disk with O_DIRECT, past the page cache, through one 1 MiB buffer (<see cref="DirectWriter"/>), and are read back
    /// the same way (<see cref="ReadBackWhileWriting"/>: as they are written); elsewhere, or where that is refused,
    /// unbuffered (each Write goes straight to the file, whose writeback to the disk starts as it grows:
    /// <see cref="WriteBehind"/>). No reader of the store sees it until
    /// <see cref="Commit"/>, which makes it visible at once and whole, replacing any object of that key. What was written
    /// can be read back before that (<see cref="OpenRead"/>). Disposed without Commit, it is removed.
    /// </summary>
    public abstract class StagedObject : WriteOnlyStream
    {
        readonly FileStream _file;
        readonly WriteBehind _writeBehind;
        DirectWriter _direct;
        bool _readDirect;
        string _readBackCrc;   // the CRC-64 of the whole file read back while it was written, until another write

        private protected StagedObject(string key, FileStream file, string tempPath)
        {
            Key = key; _file = file; TempPath = tempPath; _writeBehind = new WriteBehind(file);
            _direct = DirectWriter.TryOpen(file);
            _readDirect = _direct != null;
        }

        /// <summary>Whether the bytes go to the disk with O_DIRECT (else through the page cache).</summary>
        internal bool DirectIo => _direct != null;

        /// <summary>The key the object gets on Commit.</summary>
        public string Key { get; }

        /// <summary>True once Commit has made the object visible.</summary>
        public bool Committed { get; private set; }

        /// <summary>The local file the bytes are written to until Commit.</summary>
        internal string TempPath { get; }

        public override void Write(byte[] buffer, int offset, int count)
        {
            if (_direct != null)
            {
                if (_direct.Write(buffer, offset, count)) return;
                // refused after all (it wrote everything through the FileStream): buffered from here on
                _direct.Dispose(); _direct = null; _readDirect = false;
                return;
            }
            _readBackCrc = null;   // bytes the read-back did not see
            _file.Write(buffer, offset, count);
            _writeBehind.Wrote(count);   // on the disk while it streams, so Commit's fsync has little left
        }

        /// <summary>Puts every byte written into the file; direct writes end here (anything written later goes buffered).</summary>
        public override void Flush()
        {
            if (_direct != null) { _direct.Finish(); _readBackCrc = _direct.ReadBackCrc64; _direct.Dispose(); _direct = null; }
            _file.Flush();
        }

        /// <summary>
        /// Asks, before the first byte, for the read-back check to run while the object is written: where the bytes go to
        /// the disk with O_DIRECT, each block is read back from the disk right after it is written (the stream is waiting
        /// for its source then anyway), so <see cref="StoredCrc64"/> has nothing left to read at the end. False where the
        /// bytes go through the page cache (the check then reads the file after the stream).
        /// </summary>
        public bool ReadBackWhileWriting() => _direct != null && _direct.StartReadBack();

        /// <summary>
        /// The CRC-64 (hex) of the bytes stored, as read back from where they are staged: from the read-back that ran
        /// while they were written (<see cref="ReadBackWhileWriting"/>) when it saw every byte, else by reading the file now.
        /// </summary>
        public string StoredCrc64(CancellationToken ct, out bool readWhileWriting)
        {
            Flush();
            readWhileWriting = _readBackCrc != null;
            if (_readBackCrc != null) return _readBackCrc;
            using (var s = OpenRead()) return StorageTransfer.Crc64(s, ct);
        }

        /// <summary>The bytes written so far, read back from where they are staged (a new stream each call; the caller disposes it).</summary>
        public Stream OpenRead()
        {
            Flush();
            if (_readDirect && DirectReadStream.TryOpen(_file) is DirectReadStream direct) return direct;
            return new FileStream(TempPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1 << 20, FileOptions.SequentialScan);
        }

        /// <summary>
        /// Forces the bytes to stable storage, then makes the object visible under <see cref="Key"/> in one step
        /// (readers see the previous object or this one, never a part). Writing after Commit is an error.
        /// </summary>
        public void Commit()
        {
            if (Committed) throw new InvalidOperationException($"'{Key}' is already committed.");
            Flush();
            _file.Flush(true);
            _file.Dispose();
            Publish(TempPath);
            Committed = true;
        }

        /// <summary>Makes the complete, closed temporary file the object (and removes the temporary file).</summary>
        private protected abstract void Publish(string tempPath);

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _direct?.Dispose(); _direct = null;
                _file.Dispose();
                if (!Committed)
                    try { File.Delete(TempPath); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            }
            base.Dispose(disposing);
        }
    }
}
