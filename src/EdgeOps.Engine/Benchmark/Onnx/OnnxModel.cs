using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;

namespace EdgeOps.Benchmark.Onnx
{
    /// <summary>ONNX TensorProto.DataType values.</summary>
    public enum OnnxType
    {
        Undefined = 0, Float = 1, UInt8 = 2, Int8 = 3, UInt16 = 4, Int16 = 5, Int32 = 6, Int64 = 7, String = 8, Bool = 9,
        Float16 = 10, Double = 11, UInt32 = 12, UInt64 = 13, Complex64 = 14, Complex128 = 15, BFloat16 = 16,
        Float8E4M3FN = 17, Float8E4M3FNUZ = 18, Float8E5M2 = 19, Float8E5M2FNUZ = 20, UInt4 = 21, Int4 = 22, Float4E2M1 = 23,
    }

    /// <summary>An attribute of a node.</summary>
    public sealed class OnnxAttribute
    {
        OnnxAttribute(string name, Action<ProtoWriter> write) { Name = name; Write = write; }
        public string Name { get; }
        internal Action<ProtoWriter> Write { get; }

        // AttributeProto: name=1, f=2, i=3, s=4, floats=7, ints=8, type=20 (FLOAT=1, INT=2, STRING=3, FLOATS=6, INTS=7)
        public static OnnxAttribute Int(string name, long v) => new OnnxAttribute(name, w => w.Varint(3, v).Varint(20, 2));
        public static OnnxAttribute Float(string name, float v) => new OnnxAttribute(name, w => w.Float(2, v).Varint(20, 1));
        public static OnnxAttribute Str(string name, string v) => new OnnxAttribute(name, w => w.String(4, v).Varint(20, 3));
        public static OnnxAttribute Ints(string name, params long[] v) => new OnnxAttribute(name, w => w.PackedVarints(8, v).Varint(20, 7));
    }

    /// <summary>
    /// Writes ONNX models (ModelProto) by hand-encoding the protobuf messages: graph inputs and outputs with
    /// static or symbolic dimensions, initializers as raw little-endian data, nodes with attributes, opsets and
    /// metadata. Enough for the bundled sample models and for test models of every tensor type.
    /// </summary>
    public sealed class OnnxModelBuilder
    {
        readonly string _graphName;
        readonly long _irVersion;
        readonly List<byte[]> _nodes = new List<byte[]>();
        readonly List<byte[]> _initializers = new List<byte[]>();
        readonly List<byte[]> _inputs = new List<byte[]>();
        readonly List<byte[]> _outputs = new List<byte[]>();
        readonly Dictionary<string, long> _opsets = new Dictionary<string, long>();
        readonly List<KeyValuePair<string, string>> _metadata = new List<KeyValuePair<string, string>>();
        int _nodeCount;

        public OnnxModelBuilder(string graphName, long opset = 21, long irVersion = 10)
        {
            _graphName = graphName;
            _irVersion = irVersion;
            _opsets[""] = opset;
        }

        public string DocString { get; set; }

        public OnnxModelBuilder Opset(string domain, long version) { _opsets[domain ?? ""] = version; return this; }

        public OnnxModelBuilder Metadata(string key, string value) { _metadata.Add(new KeyValuePair<string, string>(key, value)); return this; }

        /// <summary>A graph input; each dimension is a number (static) or a string (symbolic, e.g. "batch"), null for unknown.</summary>
        public OnnxModelBuilder Input(string name, OnnxType type, params object[] dims) { _inputs.Add(ValueInfo(name, type, dims)); return this; }

        public OnnxModelBuilder Output(string name, OnnxType type, params object[] dims) { _outputs.Add(ValueInfo(name, type, dims)); return this; }

        /// <summary>An initializer from raw little-endian bytes.</summary>
        public OnnxModelBuilder Initializer(string name, OnnxType type, long[] dims, byte[] raw)
        {
            // TensorProto: dims=1, data_type=2, name=8, raw_data=9
            var t = new ProtoWriter().PackedVarints(1, dims).Varint(2, (int)type).String(8, name).Bytes(9, raw);
            _initializers.Add(t.ToArray());
            return this;
        }

        public OnnxModelBuilder Initializer(string name, float[] values, params long[] dims) =>
            Initializer(name, OnnxType.Float, dims, ToBytes(values));

        public OnnxModelBuilder Initializer(string name, int[] values, params long[] dims)
        {
            var raw = new byte[values.Length * 4];
            for (int i = 0; i < values.Length; i++) WriteLE(raw, i * 4, values[i]);
            return Initializer(name, OnnxType.Int32, dims, raw);
        }

        public OnnxModelBuilder Initializer(string name, long[] values, params long[] dims)
        {
            var raw = new byte[values.Length * 8];
            for (int i = 0; i < values.Length; i++) { WriteLE(raw, i * 8, (int)values[i]); WriteLE(raw, i * 8 + 4, (int)(values[i] >> 32)); }
            return Initializer(name, OnnxType.Int64, dims, raw);
        }

        /// <summary>A node; domain "" is the default ONNX domain, "com.microsoft" ONNX Runtime's.</summary>
        public OnnxModelBuilder Node(string opType, string[] inputs, string[] outputs, params OnnxAttribute[] attributes) =>
            NodeIn("", opType, inputs, outputs, attributes);

        public OnnxModelBuilder NodeIn(string domain, string opType, string[] inputs, string[] outputs, params OnnxAttribute[] attributes)
        {
            // NodeProto: input=1, output=2, name=3, op_type=4, attribute=5, domain=7
            var n = new ProtoWriter();
            foreach (var i in inputs) n.String(1, i);
            foreach (var o in outputs) n.String(2, o);
            n.String(3, opType.ToLowerInvariant() + "_" + (_nodeCount++).ToString(CultureInfo.InvariantCulture));
            n.String(4, opType);
            foreach (var a in attributes)
            {
                var aw = new ProtoWriter().String(1, a.Name);
                a.Write(aw);
                n.Message(5, aw);
            }
            if (!string.IsNullOrEmpty(domain)) n.String(7, domain);
            _nodes.Add(n.ToArray());
            return this;
        }

        public byte[] ToBytes()
        {
            // GraphProto: node=1, name=2, initializer=5, input=11, output=12
            var g = new ProtoWriter();
            foreach (var n in _nodes) g.Bytes(1, n);
            g.String(2, _graphName);
            foreach (var i in _initializers) g.Bytes(5, i);
            foreach (var i in _inputs) g.Bytes(11, i);
            foreach (var o in _outputs) g.Bytes(12, o);
            // ModelProto: ir_version=1, producer_name=2, producer_version=3, doc_string=6, graph=7, opset_import=8, metadata_props=14
            var m = new ProtoWriter().Varint(1, _irVersion).String(2, "EdgeOps").String(3, "1");
            if (DocString != null) m.String(6, DocString);
            m.Message(7, g);
            foreach (var kv in _opsets.OrderBy(k => k.Key, StringComparer.Ordinal))
                m.Message(8, new ProtoWriter().String(1, kv.Key).Varint(2, kv.Value));
            foreach (var kv in _metadata) m.Message(14, new ProtoWriter().String(1, kv.Key).String(2, kv.Value));
            return m.ToArray();
        }

        /// <summary>Writes the model through a temporary file and a rename, so a reader never sees half a model.</summary>
        public void Save(string path)
        {
            var dir = Path.GetDirectoryName(Path.GetFullPath(path));
            if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
            var tmp = path + "." + Guid.NewGuid().ToString("N").Substring(0, 8) + ".tmp";
            File.WriteAllBytes(tmp, ToBytes());
            if (File.Exists(path)) File.Delete(path);
            File.Move(tmp, path);
        }

        static byte[] ValueInfo(string name, OnnxType type, object[] dims)
        {
            // ValueInfoProto: name=1, type=2; TypeProto: tensor_type=1; Tensor: elem_type=1, shape=2;
            // TensorShapeProto: dim=1; Dimension: dim_value=1, dim_param=2
            var shape = new ProtoWriter();
            foreach (var d in dims ?? new object[0])
            {
                var dim = new ProtoWriter();
                if (d is string s) dim.String(2, s);
                else if (d != null) dim.Varint(1, Convert.ToInt64(d, CultureInfo.InvariantCulture));
                shape.Message(1, dim);
            }
            var tensor = new ProtoWriter().Varint(1, (int)type);
            if (dims != null) tensor.Message(2, shape);
            var typeProto = new ProtoWriter().Message(1, tensor);
            return new ProtoWriter().String(1, name).Message(2, typeProto).ToArray();
        }

        public static byte[] ToBytes(float[] values)
        {
            var raw = new byte[values.Length * 4];
            Buffer.BlockCopy(values, 0, raw, 0, raw.Length);
            if (!BitConverter.IsLittleEndian)
                for (int i = 0; i < raw.Length; i += 4) Array.Reverse(raw, i, 4);
            return raw;
        }

        static void WriteLE(byte[] b, int at, int v)
        {
            b[at] = (byte)v; b[at + 1] = (byte)(v >> 8); b[at + 2] = (byte)(v >> 16); b[at + 3] = (byte)(v >> 24);
        }
    }

    /// <summary>What a model's graph says about itself: the operators used and the element types of its weights.</summary>
    public sealed class OnnxGraphInfo
    {
        public long IrVersion { get; private set; }
        public string Producer { get; private set; }
        public Dictionary<string, long> Opsets { get; } = new Dictionary<string, long>();
        /// <summary>Operator type (domain-qualified when not the default domain) and how many nodes use it.</summary>
        public Dictionary<string, int> Operators { get; } = new Dictionary<string, int>(StringComparer.Ordinal);
        /// <summary>Bytes of initializer data per element type.</summary>
        public Dictionary<OnnxType, long> WeightBytes { get; } = new Dictionary<OnnxType, long>();
        /// <summary>Graph inputs that are not initializers, with their element types (Undefined for non-tensors).</summary>
        public List<KeyValuePair<string, OnnxType>> Inputs { get; } = new List<KeyValuePair<string, OnnxType>>();
        public IEnumerable<OnnxType> InputTypes => Inputs.Select(i => i.Value);
        readonly HashSet<string> _initializerNames = new HashSet<string>(StringComparer.Ordinal);
        public Dictionary<string, string> Metadata { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

        static readonly string[] s_quantOps = { "QuantizeLinear", "DequantizeLinear", "DynamicQuantizeLinear", "QLinearConv", "QLinearMatMul",
            "ConvInteger", "MatMulInteger", "MatMulIntegerToFloat", "QGemm", "QLinearAdd", "DynamicQuantizeMatMul" };

        public bool IsQuantized => Operators.Keys.Any(k => s_quantOps.Contains(k.Substring(k.LastIndexOf(':') + 1)) || k.Contains("QLinear"));

        /// <summary>
        /// The model's precision as its graph shows it: the element type holding most weight bytes (INT8 for
        /// int8/uint8 weights of a quantized graph, FP16 for float16...); a graph without weights takes its inputs' type.
        /// </summary>
        public string Precision
        {
            get
            {
                // int32/int64 initializers are shapes, axes and quantized biases: they never set the precision.
                var weights = WeightBytes.Where(kv => kv.Key != OnnxType.Int32 && kv.Key != OnnxType.Int64 && kv.Value > 0)
                    .OrderByDescending(kv => kv.Value).Select(kv => kv.Key).ToList();
                if (IsQuantized)
                {
                    var q = weights.FirstOrDefault(t => t == OnnxType.Int8 || t == OnnxType.UInt8 || t == OnnxType.Int4 || t == OnnxType.UInt4
                                                        || t == OnnxType.Int16 || t == OnnxType.UInt16);
                    if (q != OnnxType.Undefined) return Name(q);
                }
                return Name(weights.Count > 0 ? weights[0] : InputTypes.FirstOrDefault());
            }
        }

        static string Name(OnnxType t)
        {
            switch (t)
            {
                case OnnxType.Float: return "FP32";
                case OnnxType.Float16: return "FP16";
                case OnnxType.BFloat16: return "BF16";
                case OnnxType.Double: return "FP64";
                case OnnxType.Int8: case OnnxType.UInt8: return "INT8";
                case OnnxType.Int4: case OnnxType.UInt4: return "INT4";
                case OnnxType.Int16: case OnnxType.UInt16: return "INT16";
                case OnnxType.Float8E4M3FN: case OnnxType.Float8E4M3FNUZ: case OnnxType.Float8E5M2: case OnnxType.Float8E5M2FNUZ: return "FP8";
                case OnnxType.Undefined: return "unknown";
                default: return t.ToString().ToUpperInvariant();
            }
        }

        public static OnnxGraphInfo Read(string path)
        {
            try { return Read(File.ReadAllBytes(path)); }
            catch (InvalidDataException e) { throw new InvalidDataException($"{path} is not an ONNX model: {e.Message}", e); }
        }

        public static OnnxGraphInfo Read(byte[] model)
        {
            var info = new OnnxGraphInfo();
            var r = new ProtoReader(model);
            bool sawGraph = false;
            while (r.Next())
            {
                switch (r.Field)
                {
                    case 1 when r.WireType == 0: info.IrVersion = r.Varint(); break;
                    case 2 when r.WireType == 2: info.Producer = r.String(); break;
                    case 7 when r.WireType == 2: ReadGraph(r.Message(), info); sawGraph = true; break;
                    case 8 when r.WireType == 2:
                        {
                            var o = r.Message(); string domain = ""; long version = 0;
                            while (o.Next())
                            {
                                if (o.Field == 1 && o.WireType == 2) domain = o.String();
                                else if (o.Field == 2 && o.WireType == 0) version = o.Varint();
                                else o.Skip();
                            }
                            info.Opsets[domain] = version;
                            break;
                        }
                    case 14 when r.WireType == 2:
                        {
                            var e = r.Message(); string k = null, v = null;
                            while (e.Next())
                            {
                                if (e.Field == 1 && e.WireType == 2) k = e.String();
                                else if (e.Field == 2 && e.WireType == 2) v = e.String();
                                else e.Skip();
                            }
                            if (k != null) info.Metadata[k] = v ?? "";
                            break;
                        }
                    default: r.Skip(); break;
                }
            }
            if (!sawGraph) throw new InvalidDataException("no graph in the model");
            info.Inputs.RemoveAll(i => info._initializerNames.Contains(i.Key));
            return info;
        }

        static void ReadGraph(ProtoReader g, OnnxGraphInfo info)
        {
            while (g.Next())
            {
                if (g.Field == 1 && g.WireType == 2)
                {
                    var n = g.Message(); string op = null, domain = "";
                    while (n.Next())
                    {
                        if (n.Field == 4 && n.WireType == 2) op = n.String();
                        else if (n.Field == 7 && n.WireType == 2) domain = n.String();
                        else n.Skip();
                    }
                    if (op == null) continue;
                    var key = domain.Length == 0 || domain == "ai.onnx" ? op : domain + ":" + op;
                    info.Operators.TryGetValue(key, out var c);
                    info.Operators[key] = c + 1;
                }
                else if (g.Field == 5 && g.WireType == 2)
                {
                    var t = g.Message(); var type = OnnxType.Undefined; long bytes = 0; long count = 1;
                    while (t.Next())
                    {
                        if (t.Field == 1) foreach (var d in t.Varints()) count *= d;
                        else if (t.Field == 2 && t.WireType == 0) type = (OnnxType)t.Varint();
                        else if (t.Field == 8 && t.WireType == 2) info._initializerNames.Add(t.String());
                        else t.Skip();
                    }
                    bytes = count * ElementBits(type) / 8;
                    info.WeightBytes.TryGetValue(type, out var have);
                    info.WeightBytes[type] = have + bytes;
                }
                else if (g.Field == 11 && g.WireType == 2)
                {
                    var vi = g.Message(); string name = ""; var type = OnnxType.Undefined;
                    while (vi.Next())
                    {
                        if (vi.Field == 1 && vi.WireType == 2) name = vi.String();
                        else if (vi.Field == 2 && vi.WireType == 2)
                        {
                            var tp = vi.Message();
                            while (tp.Next())
                            {
                                if (tp.Field == 1 && tp.WireType == 2)
                                {
                                    var tt = tp.Message();
                                    while (tt.Next()) { if (tt.Field == 1 && tt.WireType == 0) type = (OnnxType)tt.Varint(); else tt.Skip(); }
                                }
                                else tp.Skip();
                            }
                        }
                        else vi.Skip();
                    }
                    info.Inputs.Add(new KeyValuePair<string, OnnxType>(name, type));
                }
                else g.Skip();
            }
        }

        /// <summary>Bits per element of an ONNX type (strings count as 64).</summary>
        public static int ElementBits(OnnxType t)
        {
            switch (t)
            {
                case OnnxType.UInt4: case OnnxType.Int4: case OnnxType.Float4E2M1: return 4;
                case OnnxType.UInt8: case OnnxType.Int8: case OnnxType.Bool:
                case OnnxType.Float8E4M3FN: case OnnxType.Float8E4M3FNUZ: case OnnxType.Float8E5M2: case OnnxType.Float8E5M2FNUZ: return 8;
                case OnnxType.UInt16: case OnnxType.Int16: case OnnxType.Float16: case OnnxType.BFloat16: return 16;
                case OnnxType.Float: case OnnxType.Int32: case OnnxType.UInt32: return 32;
                case OnnxType.Complex128: return 128;
                default: return 64;
            }
        }
    }
}
