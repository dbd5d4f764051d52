using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.Security.Cryptography;
using System.Threading;
using System.Threading.Tasks;

namespace EdgeOps.Backup
{
    /// <summary>A bounded in-memory pipe between two threads (writer: the network, reader: the verifier).</summary>
    sealed class BlockingPipe : Stream
    {
        readonly BlockingCollection<byte[]> _queue = new BlockingCollection<byte[]>(64);
        byte[] _current; int _pos;
        readonly CancellationToken _ct;
        public BlockingPipe(CancellationToken ct) { _ct = ct; }

        public override void Write(byte[] buffer, int offset, int count)
        {
            if (count == 0) return;
            var copy = new byte[count];
            Buffer.BlockCopy(buffer, offset, copy, 0, count);
            try { _queue.Add(copy, _ct); }
            catch (InvalidOperationException) { throw new IOException("The image verifier stopped."); }
        }

        public void Complete() => _queue.CompleteAdding();
        /// <summary>The reader gave up: writers must not block on a full queue.</summary>
        public void Abandon() { _queue.CompleteAdding(); while (_queue.TryTake(out _)) { } }

        public override int Read(byte[] buffer, int offset, int count)
        {
            while (_current == null || _pos >= _current.Length)
            {
                if (!_queue.TryTake(out _current, Timeout.Infinite, _ct)) return 0;
                _pos = 0;
            }
            int n = Math.Min(count, _current.Length - _pos);
            Buffer.BlockCopy(_current, _pos, buffer, offset, n);
            _pos += n;
            return n;
        }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }

    /// <summary>
    /// Hashes a raw image as it streams by: the sha256 of the whole image and of each mapped range of the block map.
    /// </summary>
    sealed class ImageHasher : IDisposable
    {
        readonly BlockMap _map;
        readonly IncrementalHash _whole = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        IncrementalHash _range;
        int _index;
        public long Position { get; private set; }

        public ImageHasher(BlockMap map) { _map = map; }

        public void Add(byte[] data, int offset, int count)
        {
            _whole.AppendData(data, offset, count);
            int i = 0;
            while (i < count && _index < _map.Ranges.Count)
            {
                var r = _map.Bytes(_map.Ranges[_index]);
                long p = Position + i;
                if (p < r.Start) { i += (int)Math.Min(count - i, r.Start - p); continue; }
                int n = (int)Math.Min(count - i, r.End - p);
                if (_range == null) _range = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
                _range.AppendData(data, offset + i, n);
                i += n;
                if (p + n == r.End)
                {
                    _map.Ranges[_index].Sha256 = Le.Hex(_range.GetHashAndReset());
                    _index++;
                }
            }
            Position += count;
        }

        /// <summary>The image's sha256; throws when the image was not exactly as long as the map says.</summary>
        public string Finish()
        {
            if (Position != _map.ImageSize)
                throw new InvalidDataException($"The image decompressed to {Position} bytes, not the {_map.ImageSize} bytes its block map describes.");
            return Le.Hex(_whole.GetHashAndReset());
        }

        public void Dispose() { _whole.Dispose(); _range?.Dispose(); }
    }

    /// <summary>
    /// Where the compressed image is written. It receives one Zstandard frame per chunk of the plan, in order,
    /// adds frames of zeros for the gaps between chunks (RLE blocks: no compression work), writes everything to
    /// the output, hashes the compressed bytes, and hands them to a second thread that decompresses and hashes
    /// the raw image (sha256 of the image and of each mapped range): what is written is proven to decode to the image.
    /// </summary>
    sealed class ImageSink : Stream
    {
        readonly Stream _out;
        readonly IReadOnlyList<ByteRange> _chunkSpans;
        readonly long _imageSize;
        readonly IncrementalHash _compressed = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        readonly ZstdFrameScanner _scanner = new ZstdFrameScanner();
        readonly BlockingPipe _pipe;
        readonly Task<string> _verifier;
        readonly Action<long> _progress;
        int _chunk;
        long _rawDone, _stored;

        public ImageSink(Stream output, IReadOnlyList<ByteRange> chunkSpans, BlockMap map, Action<long> rawProgress, CancellationToken ct)
        {
            _out = output; _chunkSpans = chunkSpans; _imageSize = map.ImageSize; _progress = rawProgress;
            _pipe = new BlockingPipe(ct);
            _verifier = Task.Run(() =>
            {
                try
                {
                    using (var hasher = new ImageHasher(map))
                    using (var z = new ZstdSharp.DecompressionStream(_pipe, 1 << 20))
                    {
                        var buf = new byte[1 << 20];
                        int n;
                        while ((n = z.Read(buf, 0, buf.Length)) > 0) hasher.Add(buf, 0, n);
                        return hasher.Finish();
                    }
                }
                catch { _pipe.Abandon(); throw; }
            });
            ZerosUpTo(chunkSpans.Count > 0 ? chunkSpans[0].Start : _imageSize);
        }

        public long StoredBytes => _stored;
        public int ChunksDone => _chunk;

        void Emit(byte[] b, int o, int n)
        {
            _out.Write(b, o, n);
            _compressed.AppendData(b, o, n);
            _pipe.Write(b, o, n);
            _stored += n;
        }

        void ZerosUpTo(long end)
        {
            long count = end - _rawDone;
            if (count <= 0) return;
            using (var ms = new MemoryStream())
            {
                ZstdFrames.WriteZeros(ms, count);
                Emit(ms.GetBuffer(), 0, (int)ms.Length);
            }
            _rawDone = end;
            _progress?.Invoke(_rawDone);
        }

        public override void Write(byte[] buffer, int offset, int count)
        {
            while (count > 0)
            {
                if (_chunk >= _chunkSpans.Count) throw new InvalidDataException("The device sent more data than the plan asked for.");
                int n = _scanner.Feed(buffer, offset, count, out bool ended);
                Emit(buffer, offset, n);
                offset += n; count -= n;
                if (ended)
                {
                    _rawDone = _chunkSpans[_chunk].End;
                    _chunk++;
                    _progress?.Invoke(_rawDone);
                    ZerosUpTo(_chunk < _chunkSpans.Count ? _chunkSpans[_chunk].Start : _imageSize);
                }
            }
        }

        /// <summary>Ends the stream: checks every chunk arrived, waits for the verifier; returns (raw sha256, compressed sha256).</summary>
        public (string raw, string compressed) Finish()
        {
            if (_chunk != _chunkSpans.Count || !_scanner.AtFrameBoundary)
                throw new InvalidDataException($"The stream ended after {_chunk} of {_chunkSpans.Count} chunks.");
            _pipe.Complete();
            var raw = _verifier.GetAwaiter().GetResult();
            return (raw, Le.Hex(_compressed.GetHashAndReset()));
        }

        /// <summary>Stops the verifier after a failure.</summary>
        public void Abort()
        {
            _pipe.Abandon();
            try { _verifier.Wait(5000); } catch (AggregateException) { }
        }

        protected override void Dispose(bool disposing) { if (disposing) { _compressed.Dispose(); } base.Dispose(disposing); }
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => _stored; set => throw new NotSupportedException(); }
        public override void Flush() => _out.Flush();
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }

    /// <summary>
    /// When the device has no zstd: receives the raw chunks (their lengths known from the plan) and compresses
    /// each into one frame here, on the controller, into the sink.
    /// </summary>
    sealed class ChunkCompressor : Stream
    {
        readonly Stream _sink;
        readonly IReadOnlyList<ByteRange> _spans;
        readonly int _level, _workers;
        ZstdSharp.CompressionStream _z;
        int _chunk; long _left;

        public ChunkCompressor(Stream sink, IReadOnlyList<ByteRange> spans, int level, int workers)
        {
            _sink = sink; _spans = spans; _level = level; _workers = workers;
        }

        public override void Write(byte[] buffer, int offset, int count)
        {
            while (count > 0)
            {
                if (_z == null)
                {
                    if (_chunk >= _spans.Count) throw new InvalidDataException("The device sent more data than the plan asked for.");
                    _z = new ZstdSharp.CompressionStream(_sink, _level, 1 << 20, leaveOpen: true);
                    if (_workers > 1) _z.SetParameter(ZstdSharp.Unsafe.ZSTD_cParameter.ZSTD_c_nbWorkers, _workers);
                    _left = _spans[_chunk].Length;
                }
                int n = (int)Math.Min(count, _left);
                _z.Write(buffer, offset, n);
                offset += n; count -= n; _left -= n;
                if (_left == 0) { _z.Dispose(); _z = null; _chunk++; }
            }
        }

        public bool Complete => _z == null && _chunk == _spans.Count;
        protected override void Dispose(bool disposing) { if (disposing) { try { _z?.Dispose(); } catch (Exception) { } } base.Dispose(disposing); }
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
