using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.Security.Cryptography;
using System.Threading;
using System.Threading.Tasks;

namespace EdgeOps.Backup
{
    /// <summary>A bounded in-memory pipe between two threads (writer: the network, reader: the verifier); its buffers are pooled.</summary>
    sealed class BlockingPipe : Stream
    {
        readonly BlockingCollection<ArraySegment<byte>> _queue = new BlockingCollection<ArraySegment<byte>>(64);
        ArraySegment<byte> _current; int _pos;
        readonly CancellationToken _ct;
        public BlockingPipe(CancellationToken ct) { _ct = ct; }

        public override void Write(byte[] buffer, int offset, int count)
        {
            if (count == 0) return;
            var copy = System.Buffers.ArrayPool<byte>.Shared.Rent(count);
            Buffer.BlockCopy(buffer, offset, copy, 0, count);
            try { _queue.Add(new ArraySegment<byte>(copy, 0, count), _ct); }
            catch (InvalidOperationException) { System.Buffers.ArrayPool<byte>.Shared.Return(copy); throw new IOException("The image verifier stopped."); }
        }

        public void Complete() => _queue.CompleteAdding();
        /// <summary>The reader gave up: writers must not block on a full queue.</summary>
        public void Abandon() { _queue.CompleteAdding(); while (_queue.TryTake(out _)) { } }

        public override int Read(byte[] buffer, int offset, int count)
        {
            while (_current.Array == null || _pos >= _current.Count)
            {
                if (_current.Array != null) { System.Buffers.ArrayPool<byte>.Shared.Return(_current.Array); _current = default(ArraySegment<byte>); }
                if (!_queue.TryTake(out _current, Timeout.Infinite, _ct)) return 0;
                _pos = 0;
            }
            int n = Math.Min(count, _current.Count - _pos);
            Buffer.BlockCopy(_current.Array, _pos, buffer, offset, n);
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
    /// Hashes a raw image as it streams by: the sha256 of each mapped range of the block map, and (optionally) of the
    /// whole image; optionally checks that every byte outside the mapped ranges is zero, which with the ranges' sha256
    /// identifies the image (as bmaptool's map does) without hashing its zeros.
    /// </summary>
    sealed class ImageHasher : IDisposable
    {
        readonly BlockMap _map;
        readonly IncrementalHash _whole = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        IncrementalHash _range;
        int _index;
        public long Position { get; private set; }

        readonly bool _hashWhole, _checkZeros, _hashRanges;
        /// <param name="hashRanges">false: the ranges' sha256 come from elsewhere (the device); only where they lie is followed.</param>
        public ImageHasher(BlockMap map, bool hashWhole = true, bool checkZeros = false, bool hashRanges = true)
        { _map = map; _hashWhole = hashWhole; _checkZeros = checkZeros; _hashRanges = hashRanges; }

        public void Add(byte[] data, int offset, int count)
        {
            if (_hashWhole) _whole.AppendData(data, offset, count);
            int i = 0;
            while (i < count)
            {
                long p = Position + i;
                if (_index >= _map.Ranges.Count) { if (_checkZeros) CheckZeros(data, offset + i, count - i, p); break; }
                var r = _map.Bytes(_map.Ranges[_index]);
                if (p < r.Start)
                {
                    int gap = (int)Math.Min(count - i, r.Start - p);
                    if (_checkZeros) CheckZeros(data, offset + i, gap, p);
                    i += gap;
                    continue;
                }
                int n = (int)Math.Min(count - i, r.End - p);
                if (_hashRanges)
                {
                    if (_range == null) _range = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
                    _range.AppendData(data, offset + i, n);
                }
                i += n;
                if (p + n == r.End)
                {
                    if (_hashRanges) _map.Ranges[_index].Sha256 = Hex.Lower(_range.GetHashAndReset());
                    _index++;
                }
            }
            Position += count;
        }

        /// <summary>Passes over <paramref name="count"/> bytes known to be zeros (frames of zeros written here), outside every mapped range.</summary>
        public void SkipZeros(long count)
        {
            if (count <= 0) return;
            if (_hashWhole) throw new InvalidOperationException("The whole-image hash needs the zeros.");
            if (_index < _map.Ranges.Count && _map.Bytes(_map.Ranges[_index]).Start < Position + count)
                throw new InvalidDataException($"A mapped range starts inside the zeros at byte {Position}.");
            Position += count;
        }

        static void CheckZeros(byte[] data, int offset, int count, long at)
        {
            var span = new ReadOnlySpan<byte>(data, offset, count);
            int head = Math.Min(count, (8 - (offset & 7)) & 7), i = 0;
            for (; i < head; i++) if (span[i] != 0) Fail(at + i);
            var words = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, ulong>(span.Slice(i));
            for (int w = 0; w < words.Length; w++) if (words[w] != 0) Fail(at + i + w * 8L);
            for (i += words.Length * 8; i < count; i++) if (span[i] != 0) Fail(at + i);
        }

        static void Fail(long at) => throw new InvalidDataException($"The image holds data near byte {at}, outside the mapped ranges of its block map (which says zeros).");

        /// <summary>
        /// The image's sha256 when hashing the whole (else null); throws when the image was not exactly as long as the
        /// map says or a mapped range was not complete.
        /// </summary>
        public string Finish()
        {
            if (Position != _map.ImageSize)
                throw new InvalidDataException($"The image decompressed to {Position} bytes, not the {_map.ImageSize} bytes its block map describes.");
            if (_index != _map.Ranges.Count)
                throw new InvalidDataException($"The image ended before mapped range {_index + 1} of {_map.Ranges.Count}.");
            return _hashWhole ? Hex.Lower(_whole.GetHashAndReset()) : null;
        }

        public void Dispose() { _whole.Dispose(); _range?.Dispose(); }
    }

    /// <summary>
    /// Where the compressed image is written. It receives one Zstandard frame per chunk of the plan, in order,
    /// adds frames of zeros for the gaps between chunks (RLE blocks: no compression work), writes everything to
    /// the output, hashes the compressed bytes, and decodes the device's frames as they pass (libzstd, on the same
    /// thread; ZstdSharp on a second thread where there is no libzstd): each frame must decode to exactly its chunk,
    /// each mapped range to the sha256 recorded in the block map, and the rest of each chunk to zeros. So what is
    /// written is proven to decode to the image the map describes, without hashing the image's zeros.
    /// With the ranges hashed on the device (<see cref="SetRangeHashes"/>), every device frame must carry its content
    /// checksum: the decoder then proves each frame decodes to the bytes the device's zstd read, the bytes the device
    /// hashed, and the map's sha256 are the device's.
    /// </summary>
    sealed class ImageSink : EdgeOps.Storage.WriteOnlyStream
    {
        readonly Stream _out;
        readonly IReadOnlyList<ByteRange> _chunkSpans;
        readonly long _imageSize;
        readonly BlockMap _map;
        readonly IncrementalHash _compressed = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        /// <summary>What the read-back compares with: the CRC-64 of the stored bytes (the sha256 above names them in the manifest).</summary>
        readonly System.IO.Hashing.Crc64 _stored = new System.IO.Hashing.Crc64();
        readonly ZstdFrameScanner _scanner = new ZstdFrameScanner();
        readonly ImageHasher _hasher;
        readonly ZstdDecoder.Push _decoder;
        readonly Action<long> _progress;
        int _chunk, _decodedChunk = -1;
        long _rawDone, _storedBytes, _decodedLeft;

        readonly bool _rangesHashedOnDevice;

        public ImageSink(Stream output, IReadOnlyList<ByteRange> chunkSpans, BlockMap map, Action<long> rawProgress, CancellationToken ct, bool rangesHashedOnDevice = false)
        {
            _out = output; _chunkSpans = chunkSpans; _imageSize = map.ImageSize; _map = map; _progress = rawProgress;
            _rangesHashedOnDevice = rangesHashedOnDevice;
            _hasher = new ImageHasher(map, hashWhole: false, checkZeros: true, hashRanges: !rangesHashedOnDevice);
            _decoder = ZstdDecoder.CreatePush(Decoded, ct);
            ZerosUpTo(chunkSpans.Count > 0 ? chunkSpans[0].Start : _imageSize);
        }

        /// <summary>Decoded bytes of the device's frames, in order: they fill the chunks one after another.</summary>
        void Decoded(byte[] data, int offset, int count)
        {
            while (count > 0)
            {
                if (_decodedLeft == 0)
                {
                    if (_decodedChunk + 1 >= _chunkSpans.Count) throw new InvalidDataException("the compressed stream holds more than the plan");
                    _decodedChunk++;
                    _hasher.SkipZeros(_chunkSpans[_decodedChunk].Start - _hasher.Position);
                    _decodedLeft = _chunkSpans[_decodedChunk].Length;
                }
                int n = (int)Math.Min(count, _decodedLeft);
                _hasher.Add(data, offset, n);
                offset += n; count -= n; _decodedLeft -= n;
                _progress?.Invoke(_hasher.Position);
            }
        }

        public long StoredBytes => _storedBytes;
        public int ChunksDone => _chunk;

        void Emit(byte[] b, int o, int n, bool device = true)
        {
            _out.Write(b, o, n);
            _compressed.AppendData(b, o, n);
            _stored.Append(new ReadOnlySpan<byte>(b, o, n));
            if (device) _decoder.Feed(b, o, n);
            _storedBytes += n;
        }

        void ZerosUpTo(long end)
        {
            long count = end - _rawDone;
            if (count <= 0) return;
            using (var ms = new MemoryStream())
            {
                ZstdFrames.WriteZeros(ms, count);
                Emit(ms.GetBuffer(), 0, (int)ms.Length, device: false);
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
                    if (_rangesHashedOnDevice && !_scanner.LastFrameHadChecksum)
                        throw new InvalidDataException($"Chunk {_chunk + 1} came as a Zstandard frame without its content checksum, which a backup hashed on the device needs");
                    // decoded on this thread: the frame that just ended must have filled its chunk exactly
                    if (_decoder.Inline && (_decodedChunk != _chunk || _decodedLeft != 0))
                        throw new InvalidDataException($"Chunk {_chunk + 1} of the plan did not decode to its {_chunkSpans[_chunk].Length} bytes.");
                    _rawDone = _chunkSpans[_chunk].End;
                    _chunk++;
                    ZerosUpTo(_chunk < _chunkSpans.Count ? _chunkSpans[_chunk].Start : _imageSize);
                }
            }
        }

        /// <summary>The mapped ranges' sha256 as the device computed them: one per range of the map, in its order, at exactly its bytes.</summary>
        public void SetRangeHashes(IReadOnlyList<(ByteRange range, string sha256)> hashes)
        {
            if (!_rangesHashedOnDevice) throw new InvalidOperationException("The ranges are hashed here.");
            if (hashes.Count != _map.Ranges.Count)
                throw new InvalidDataException($"the device sent {hashes.Count} range checksums for the {_map.Ranges.Count} mapped ranges");
            for (int i = 0; i < hashes.Count; i++)
            {
                var want = _map.Bytes(_map.Ranges[i]);
                if (hashes[i].range.Start != want.Start || hashes[i].range.Length != want.Length)
                    throw new InvalidDataException($"the device's checksum {i + 1} is for bytes {hashes[i].range.Start}+{hashes[i].range.Length}, not mapped range {want.Start}+{want.Length}");
                _map.Ranges[i].Sha256 = hashes[i].sha256;
            }
        }

        /// <summary>
        /// Ends the stream: checks every chunk arrived and decoded; returns the image's identity (its block map's checksum),
        /// the stored bytes' sha256, and their CRC-64 for the read-back check.
        /// </summary>
        public (string raw, string compressed, string check) Finish()
        {
            if (_rangesHashedOnDevice && _map.Ranges.Exists(r => r.Sha256 == null))
                throw new InvalidDataException("The device did not send the checksum of every mapped range.");
            if (_chunk != _chunkSpans.Count || !_scanner.AtFrameBoundary)
                throw new InvalidDataException($"The stream ended after {_chunk} of {_chunkSpans.Count} chunks.");
            _decoder.End();
            if (_decodedChunk != _chunkSpans.Count - 1 || _decodedLeft != 0)
                throw new InvalidDataException("The compressed stream decoded to less than the plan.");
            _hasher.SkipZeros(_imageSize - _hasher.Position);
            _progress?.Invoke(_hasher.Position);
            _hasher.Finish();
            return (_map.Checksum(), Hex.Lower(_compressed.GetHashAndReset()), Hex.Lower(_stored.GetCurrentHash()));
        }

        /// <summary>Stops the decoder after a failure.</summary>
        public void Abort() => _decoder.Dispose();

        protected override void Dispose(bool disposing)
        {
            if (disposing) { _decoder.Dispose(); _hasher.Dispose(); _compressed.Dispose(); }
            base.Dispose(disposing);
        }
        public override long Position { get => _storedBytes; set => throw new NotSupportedException(); }
        public override void Flush() => _out.Flush();
    }

    /// <summary>
    /// When the device has no zstd: receives the raw chunks (their lengths known from the plan) and compresses
    /// each into one frame here, on the controller, into the sink.
    /// </summary>
    sealed class ChunkCompressor : EdgeOps.Storage.WriteOnlyStream
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
    }
}
