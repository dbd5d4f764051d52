using System;
using System.Collections.Generic;
using System.IO;
using System.Text;

namespace EdgeOps.Benchmark.Onnx
{
    /// <summary>
    /// The few pieces of the protobuf wire format that ONNX models need: varints, length-delimited
    /// fields and fixed 32/64-bit values. Messages are built bottom-up into byte arrays.
    /// </summary>
    public sealed class ProtoWriter
    {
        readonly MemoryStream _s = new MemoryStream();

        public ProtoWriter Varint(int field, long value) { Tag(field, 0); Raw(unchecked((ulong)value)); return this; }

        public ProtoWriter Bytes(int field, byte[] value) { Tag(field, 2); Raw((ulong)value.Length); _s.Write(value, 0, value.Length); return this; }

        public ProtoWriter String(int field, string value) => value == null ? this : Bytes(field, Encoding.UTF8.GetBytes(value));

        public ProtoWriter Message(int field, ProtoWriter message) => Bytes(field, message.ToArray());

        public ProtoWriter Float(int field, float value)
        {
            Tag(field, 5);
            var b = BitConverter.GetBytes(value);
            if (!BitConverter.IsLittleEndian) Array.Reverse(b);
            _s.Write(b, 0, 4);
            return this;
        }

        /// <summary>A packed repeated varint field (ints of an attribute, dims...).</summary>
        public ProtoWriter PackedVarints(int field, IEnumerable<long> values)
        {
            var inner = new ProtoWriter();
            foreach (var v in values) inner.Raw(unchecked((ulong)v));
            return Bytes(field, inner.ToArray());
        }

        public byte[] ToArray() => _s.ToArray();

        void Tag(int field, int wireType) => Raw((ulong)((field << 3) | wireType));

        void Raw(ulong v)
        {
            while (v >= 0x80) { _s.WriteByte((byte)(v | 0x80)); v >>= 7; }
            _s.WriteByte((byte)v);
        }
    }

    /// <summary>Reads protobuf fields one by one; unknown fields are skipped by the caller.</summary>
    public sealed class ProtoReader
    {
        readonly byte[] _b;
        int _pos;
        readonly int _end;

        public ProtoReader(byte[] buffer) : this(buffer, 0, buffer.Length) { }
        public ProtoReader(byte[] buffer, int offset, int count) { _b = buffer; _pos = offset; _end = offset + count; }

        public int Field { get; private set; }
        public int WireType { get; private set; }

        /// <summary>Moves to the next field; false at the end of the message.</summary>
        public bool Next()
        {
            if (_pos >= _end) return false;
            var tag = ReadRaw();
            Field = (int)(tag >> 3);
            WireType = (int)(tag & 7);
            if (Field == 0) throw new InvalidDataException("Not a protobuf message (field number 0).");
            return true;
        }

        public long Varint() => unchecked((long)ReadRaw());

        public string String() => Encoding.UTF8.GetString(_b, BytesStart(out var n), n);

        /// <summary>A nested message (or a packed field) as its own reader.</summary>
        public ProtoReader Message() { int start = BytesStart(out var n); return new ProtoReader(_b, start, n); }

        /// <summary>Packed (or single) repeated varints.</summary>
        public IEnumerable<long> Varints()
        {
            if (WireType == 0) return new[] { Varint() };
            var inner = Message();
            var list = new List<long>();
            while (inner._pos < inner._end) list.Add(unchecked((long)inner.ReadRaw()));
            return list;
        }

        public void Skip()
        {
            switch (WireType)
            {
                case 0: ReadRaw(); break;
                case 1: _pos += 8; break;
                case 2: BytesStart(out _); break;
                case 5: _pos += 4; break;
                default: throw new InvalidDataException("Unsupported protobuf wire type " + WireType + ".");
            }
            if (_pos > _end) throw new InvalidDataException("Truncated protobuf message.");
        }

        int BytesStart(out int length)
        {
            var n = ReadRaw();
            if (n > (ulong)(_end - _pos)) throw new InvalidDataException("Truncated protobuf message.");
            length = (int)n;
            int start = _pos;
            _pos += length;
            return start;
        }

        ulong ReadRaw()
        {
            ulong v = 0;
            for (int shift = 0; shift < 64; shift += 7)
            {
                if (_pos >= _end) throw new InvalidDataException("Truncated protobuf varint.");
                byte b = _b[_pos++];
                v |= (ulong)(b & 0x7F) << shift;
                if (b < 0x80) return v;
            }
            throw new InvalidDataException("Malformed protobuf varint.");
        }
    }
}
