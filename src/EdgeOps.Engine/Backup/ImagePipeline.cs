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

        readonly bool _hashWhole;
        public ImageHasher(BlockMap map, bool hashWhole = true) { _map = map; _hashWhole = hashWhole; }

        public void Add(byte[] data, int offset, int count)
        {
            if (_hashWhole) _whole.AppendData(data, offset, count);
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
                    _map.Ranges[_index].Sha256 = Hex.Lower(_range.GetHashAndReset());
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
            return _hashWhole ? Hex.Lower(_whole.GetHashAndReset()) : null;
        }

        public void Dispose() { _whole.Dispose(); _range?.Dispose(); }
    }

    /// <summary>
    /// The same hashes as <see cref="ImageHasher"/>, on two more threads: the whole-image sha256 and the per-range
    /// sha256 of the block map run side by side on the decompressed buffers (a fixed set of buffers, reused).
    /// </summary>
    sealed class ParallelImageHasher : IDisposable
    {
        sealed class Item { public byte[] Buffer; public int Count; public int Refs; public bool Shared; }
        static readonly byte[] s_zeros = new byte[BufferSize];
        readonly BlockingCollection<Item> _whole = new BlockingCollection<Item>(8), _ranges = new BlockingCollection<Item>(8);
        readonly BlockingCollection<byte[]> _free = new BlockingCollection<byte[]>();
        readonly Task<string> _wholeTask;
        readonly Task _rangeTask;
        readonly ImageHasher _rangeHasher;
        readonly CancellationToken _ct;
        long _position;
        public const int BufferSize = 1 << 20;

        public ParallelImageHasher(BlockMap map, CancellationToken ct)
        {
            _ct = ct;
            for (int i = 0; i < 12; i++) _free.Add(new byte[BufferSize]);
            _rangeHasher = new ImageHasher(map, hashWhole: false);
            _wholeTask = Task.Run(() =>
            {
                using (var h = IncrementalHash.CreateHash(HashAlgorithmName.SHA256))
                {
                    foreach (var it in _whole.GetConsumingEnumerable(ct)) { h.AppendData(it.Buffer, 0, it.Count); Release(it); }
                    return Hex.Lower(h.GetHashAndReset());
                }
            });
            _rangeTask = Task.Run(() =>
            {
                foreach (var it in _ranges.GetConsumingEnumerable(ct)) { _rangeHasher.Add(it.Buffer, 0, it.Count); Release(it); }
            });
        }

        void Release(Item it) { if (Interlocked.Decrement(ref it.Refs) == 0 && !it.Shared) _free.Add(it.Buffer); }

        /// <summary>Adds <paramref name="count"/> zero bytes (free space between chunks) without decompressing anything.</summary>
        public void AddZeros(long count)
        {
            while (count > 0)
            {
                int n = (int)Math.Min(count, BufferSize);
                var it = new Item { Buffer = s_zeros, Count = n, Refs = 2, Shared = true };
                _position += n;
                _whole.Add(it, _ct);
                _ranges.Add(it, _ct);
                count -= n;
            }
        }

        public long Position => _position;

        /// <summary>A free buffer to fill; hand it back with <see cref="Add"/>.</summary>
        public byte[] Rent() => _free.Take(_ct);

        public void Add(byte[] buffer, int count)
        {
            if (count <= 0) { _free.Add(buffer); return; }
            var it = new Item { Buffer = buffer, Count = count, Refs = 2 };
            _position += count;
            _whole.Add(it, _ct);
            _ranges.Add(it, _ct);
        }

        /// <summary>Waits for both hashers; returns the image's sha256 (the map's ranges get theirs).</summary>
        public string Finish()
        {
            _whole.CompleteAdding(); _ranges.CompleteAdding();
            _rangeTask.GetAwaiter().GetResult();
            _rangeHasher.Finish();
            return _wholeTask.GetAwaiter().GetResult();
        }

        public void Dispose()
        {
            _whole.CompleteAdding(); _ranges.CompleteAdding();
            try { Task.WaitAll(new Task[] { _wholeTask, _rangeTask }, 5000); } catch (AggregateException) { }
            _rangeHasher.Dispose();
        }
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
            // The verifier decompresses the device's frames (one per chunk, exactly the chunk's length each) and
            // hashes them; the free space between chunks is hashed as zeros directly.
            _verifier = Task.Run(() =>
            {
                try
                {
                    using (var hasher = new ParallelImageHasher(map, ct))
                    using (var z = new ZstdSharp.DecompressionStream(_pipe, 1 << 20))
                    {
                        long pos = 0;
                        foreach (var span in chunkSpans)
                        {
                            hasher.AddZeros(span.Start - pos);
                            long left = span.Length;
                            while (left > 0)
                            {
                                var buf = hasher.Rent();
                                int n = ReadFull(z, buf, (int)Math.Min(buf.Length, left));
                                if (n == 0) throw new InvalidDataException($"a compressed chunk ended {left} bytes early");
                                hasher.Add(buf, n);
                                left -= n;
                                _progress?.Invoke(hasher.Position);
                            }
                            pos = span.End;
                        }
                        if (z.Read(new byte[1], 0, 1) != 0) throw new InvalidDataException("the compressed stream holds more than the plan");
                        hasher.AddZeros(_imageSize - pos);
                        _progress?.Invoke(hasher.Position);
                        return hasher.Finish();
                    }
                }
                catch { _pipe.Abandon(); throw; }
            });
            ZerosUpTo(chunkSpans.Count > 0 ? chunkSpans[0].Start : _imageSize);
        }

        static int ReadFull(Stream s, byte[] buf, int want)
        {
            int total = 0, n;
            while (total < want && (n = s.Read(buf, total, want - total)) > 0) total += n;
            return total;
        }

        public long StoredBytes => _stored;
        public int ChunksDone => _chunk;

        void Emit(byte[] b, int o, int n, bool toVerifier = true)
        {
            _out.Write(b, o, n);
            _compressed.AppendData(b, o, n);
            if (toVerifier) _pipe.Write(b, o, n);
            _stored += n;
        }

        void ZerosUpTo(long end)
        {
            long count = end - _rawDone;
            if (count <= 0) return;
            using (var ms = new MemoryStream())
            {
                ZstdFrames.WriteZeros(ms, count);
                Emit(ms.GetBuffer(), 0, (int)ms.Length, toVerifier: false);
            }
            _rawDone = end;
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
            return (raw, Hex.Lower(_compressed.GetHashAndReset()));
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
