using System;
using System.IO;

namespace EdgeOps.Backup
{
    /// <summary>
    /// Pieces of the Zstandard frame format (RFC 8878) the image writer needs: frames of zeros made of
    /// RLE blocks (4 bytes per 128 KiB, no compression work), and a scanner that finds where each frame of a
    /// byte stream ends without decompressing it.
    /// </summary>
    public static class ZstdFrames
    {
        public const uint Magic = 0xFD2FB528;
        const int MaxBlock = 128 * 1024;

        /// <summary>Writes one frame that decompresses to <paramref name="count"/> zero bytes.</summary>
        public static long WriteZeros(Stream output, long count)
        {
            if (count <= 0) return 0;
            var header = new byte[4 + 1 + 1 + 8];
            header[0] = 0x28; header[1] = 0xB5; header[2] = 0x2F; header[3] = 0xFD;
            header[4] = 0xC0;          // 8-byte content size, windowed (not single segment), no checksum, no dictionary
            header[5] = 7 << 3;        // window 2^(10+7) = 128 KiB: blocks of up to 128 KiB
            for (int i = 0; i < 8; i++) header[6 + i] = (byte)(count >> (8 * i));
            output.Write(header, 0, header.Length);
            long written = header.Length;
            long blocks = (count + MaxBlock - 1) / MaxBlock;
            var buf = new byte[Math.Min(blocks, 8192) * 4];
            int at = 0;
            for (long b = 0; b < blocks; b++)
            {
                int size = (int)Math.Min(MaxBlock, count - b * MaxBlock);
                uint h = (uint)(size << 3) | (1u << 1) | (b == blocks - 1 ? 1u : 0u); // RLE block
                buf[at] = (byte)h; buf[at + 1] = (byte)(h >> 8); buf[at + 2] = (byte)(h >> 16); buf[at + 3] = 0;
                at += 4;
                if (at == buf.Length) { output.Write(buf, 0, at); written += at; at = 0; }
            }
            if (at > 0) { output.Write(buf, 0, at); written += at; }
            return written;
        }
    }

    /// <summary>
    /// Follows a stream of Zstandard frames byte by byte (headers) and by skipping (block contents);
    /// <see cref="Feed"/> says how many of the given bytes belong to the current frame and whether it ended.
    /// </summary>
    public sealed class ZstdFrameScanner
    {
        enum State { Magic, SkipSize, Descriptor, HeaderRest, BlockHeader, Skip }
        State _state = State.Magic;
        readonly byte[] _small = new byte[8];
        int _have, _need = 4;
        long _skip;
        bool _lastBlock, _checksum, _skippable, _afterSkipFrameEnds;

        /// <summary>
        /// Consumes bytes up to the end of the current frame. Returns how many were consumed;
        /// <paramref name="frameEnded"/> is true when they complete a frame.
        /// </summary>
        public int Feed(byte[] data, int offset, int count, out bool frameEnded)
        {
            frameEnded = false;
            int i = 0;
            while (i < count)
            {
                if (_state == State.Skip)
                {
                    int n = (int)Math.Min(_skip, count - i);
                    i += n; _skip -= n;
                    if (_skip > 0) continue;
                    if (_afterSkipFrameEnds) { Reset(); frameEnded = true; return i; }
                    if (_lastBlock)
                    {
                        if (_checksum) { _afterSkipFrameEnds = true; _skip = 4; continue; }
                        Reset(); frameEnded = true; return i;
                    }
                    Expect(State.BlockHeader, 3);
                    continue;
                }
                _small[_have++] = data[offset + i++];
                if (_have < _need) continue;
                switch (_state)
                {
                    case State.Magic:
                    {
                        uint m = Le.U32(_small, 0);
                        if (m == ZstdFrames.Magic) Expect(State.Descriptor, 1);
                        else if ((m & 0xFFFFFFF0u) == 0x184D2A50u) { _skippable = true; Expect(State.SkipSize, 4); }
                        else throw new InvalidDataException("The compressed stream is not a Zstandard frame (bad magic number).");
                        break;
                    }
                    case State.SkipSize:
                        _skip = Le.U32(_small, 0);
                        _afterSkipFrameEnds = true;
                        _state = State.Skip;
                        if (_skip == 0) { Reset(); frameEnded = true; return i; }
                        break;
                    case State.Descriptor:
                    {
                        byte d = _small[0];
                        int fcsFlag = d >> 6; bool single = (d & 0x20) != 0; int dictFlag = d & 3;
                        _checksum = (d & 4) != 0;
                        if ((d & 8) != 0) throw new InvalidDataException("Zstandard frame header has the reserved bit set.");
                        int rest = (single ? 0 : 1) + (dictFlag == 3 ? 4 : dictFlag) + (fcsFlag == 0 ? (single ? 1 : 0) : 1 << fcsFlag);
                        if (rest == 0) Expect(State.BlockHeader, 3); else Expect(State.HeaderRest, rest);
                        break;
                    }
                    case State.HeaderRest:
                        Expect(State.BlockHeader, 3);
                        break;
                    case State.BlockHeader:
                    {
                        uint h = (uint)(_small[0] | _small[1] << 8 | _small[2] << 16);
                        _lastBlock = (h & 1) != 0;
                        int type = (int)(h >> 1) & 3;
                        long size = h >> 3;
                        if (type == 3) throw new InvalidDataException("Zstandard block of the reserved type.");
                        _skip = type == 1 ? 1 : size;
                        _have = 0;
                        _state = State.Skip;
                        if (_skip == 0)
                        {
                            if (_lastBlock) { if (_checksum) { _afterSkipFrameEnds = true; _skip = 4; } else { Reset(); frameEnded = true; return i; } }
                            else Expect(State.BlockHeader, 3);
                        }
                        break;
                    }
                }
            }
            return i;
        }

        void Expect(State s, int n) { _state = s; _need = n; _have = 0; }
        void Reset() { LastFrameHadChecksum = _checksum; _state = State.Magic; _need = 4; _have = 0; _skip = 0; _lastBlock = _checksum = _skippable = _afterSkipFrameEnds = false; }

        /// <summary>Whether the frame that ended last carries a content checksum (XXH64 of its decoded bytes, checked by the decoder).</summary>
        public bool LastFrameHadChecksum { get; private set; }

        /// <summary>True between frames (nothing of a frame is pending).</summary>
        public bool AtFrameBoundary => _state == State.Magic && _have == 0;
    }
}
