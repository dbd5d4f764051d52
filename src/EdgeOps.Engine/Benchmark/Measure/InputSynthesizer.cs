using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace EdgeOps.Benchmark.Measure
{
    /// <summary>
    /// Resolves each input's shape (static dimensions from the model, a dynamic first dimension from the batch
    /// size, any other dynamic one from -InputShape) and makes synthetic data for every ONNX tensor type:
    /// floating types uniform in [0, 1), integers in [0, 10), booleans at random, short random strings.
    /// </summary>
    public static class InputSynthesizer
    {
        /// <summary>Shapes of every input of a model; throws one error that names every unresolved dimension.</summary>
        public static long[][] ResolveShapes(string model, IReadOnlyList<string> names, IReadOnlyList<NodeMetadata> inputs,
                                             IDictionary<string, long[]> given, int batchSize)
        {
            var shapes = new long[inputs.Count][];
            var unresolved = new List<string>();
            var problems = new List<string>();
            for (int i = 0; i < inputs.Count; i++)
            {
                var meta = inputs[i];
                var name = names[i];
                if (meta.OnnxValueType != OnnxValueType.ONNX_TYPE_TENSOR)
                {
                    problems.Add($"input '{name}' is a {meta.OnnxValueType.ToString().Replace("ONNX_TYPE_", "").ToLowerInvariant()}, " +
                                 "not a tensor: EdgeOps synthesizes tensor inputs only");
                    continue;
                }
                var dims = meta.Dimensions;
                var sym = meta.SymbolicDimensions ?? new string[dims.Length];
                if (given != null && given.TryGetValue(name, out var shape))
                {
                    if (shape.Length != dims.Length)
                    {
                        problems.Add($"input '{name}' has {dims.Length} dimensions ({Describe(dims, sym)}) but -InputShape gives {shape.Length} ({string.Join(",", shape)})");
                        continue;
                    }
                    for (int d = 0; d < dims.Length; d++)
                    {
                        if (shape[d] < 0) problems.Add($"input '{name}' dimension {d}: -InputShape gives {shape[d]}, a size must be 0 or more");
                        else if (dims[d] >= 0 && dims[d] != shape[d])
                            problems.Add($"input '{name}' dimension {d} is fixed at {dims[d]} in the model; -InputShape gives {shape[d]}");
                    }
                    shapes[i] = shape.ToArray();
                    continue;
                }
                var s = new long[dims.Length];
                for (int d = 0; d < dims.Length; d++)
                {
                    if (dims[d] >= 0) s[d] = dims[d];
                    else if (d == 0) s[d] = batchSize;
                    else unresolved.Add($"'{name}' dimension {d}" + (string.IsNullOrEmpty(sym[d]) ? "" : $" ('{sym[d]}')"));
                }
                if (dims.Length > 0 && dims[0] >= 0 && batchSize != 1 && dims[0] != batchSize)
                    problems.Add($"input '{name}' has a fixed first dimension of {dims[0]}, so -BatchSize {batchSize} cannot apply " +
                                 "(export the model with a dynamic batch dimension, or leave -BatchSize out)");
                shapes[i] = s;
            }
            if (unresolved.Count > 0)
            {
                var example = string.Join("; ", inputs.Select((m, i) => (m, i)).Where(t => t.m.OnnxValueType == OnnxValueType.ONNX_TYPE_TENSOR && t.m.Dimensions.Skip(1).Any(x => x < 0))
                    .Select(t => Key(names[t.i]) + " = " + string.Join(",", t.m.Dimensions.Select((x, d) => x >= 0 ? x.ToString(CultureInfo.InvariantCulture) : d == 0 ? batchSize.ToString(CultureInfo.InvariantCulture) : "<" + (string.IsNullOrEmpty(t.m.SymbolicDimensions?[d]) ? "n" : t.m.SymbolicDimensions[d]) + ">"))));
                throw new EdgeOpsException("UnresolvedInputDimension", "InvalidArgument",
                    $"Model '{model}' has dynamic input dimensions that no parameter sets: {string.Join(", ", unresolved)}. " +
                    $"Give their sizes with -InputShape @{{ {example} }} (a dynamic first dimension takes -BatchSize).");
            }
            if (problems.Count > 0)
                throw new EdgeOpsException("InvalidInputShape", "InvalidArgument", $"Model '{model}': {string.Join("; ", problems)}. Give the sizes with -InputShape, e.g. -InputShape @{{ input = 1,3,224,224 }}.");
            return shapes;
        }

        static string Key(string name) => name.All(c => char.IsLetterOrDigit(c) || c == '_') && name.Length > 0 && !char.IsDigit(name[0])
            ? name : "'" + name.Replace("'", "''") + "'";

        static string Describe(int[] dims, string[] sym) =>
            string.Join(",", dims.Select((d, i) => d >= 0 ? d.ToString(CultureInfo.InvariantCulture) : string.IsNullOrEmpty(sym[i]) ? "?" : sym[i]));

        /// <summary>A tensor of the given element type and shape filled with seeded synthetic data.</summary>
        public static OrtValue Create(string model, string input, TensorElementType type, long[] shape, Random rng)
        {
            long count = 1;
            foreach (var d in shape) count = checked(count * d);
            if (count > int.MaxValue) throw new EdgeOpsException("InputTooLarge", "InvalidArgument", $"Model '{model}' input '{input}': {count} elements is too many for one tensor: give smaller sizes with -InputShape or a smaller -BatchSize.");
            int n = (int)count;
            int code = (int)type;
            if (type == TensorElementType.String)
            {
                var v = OrtValue.CreateTensorWithEmptyStrings(OrtAllocator.DefaultInstance, shape);
                const string letters = "abcdefghijklmnopqrstuvwxyz";
                for (int i = 0; i < n; i++)
                {
                    var chars = new char[1 + rng.Next(8)];
                    for (int c = 0; c < chars.Length; c++) chars[c] = letters[rng.Next(letters.Length)];
                    v.StringTensorSetElementAt(new string(chars).AsSpan(), i);
                }
                return v;
            }
            if (UnsupportedTypeName(code) != null) throw Unsupported(model, input, code);
            int bits = ElementBits(code);
            if (bits == 0)
                throw new EdgeOpsException("UnsupportedInputType", "InvalidType", $"Model '{model}' input '{input}' has ONNX element type {code}, which EdgeOps cannot synthesize: benchmark it with ONNX Runtime's own perf test, or export the model with float, integer or bool inputs.");
            var bytes = new byte[bits == 4 ? (n + 1) / 2 : n * (bits / 8)];
            Fill(code, bytes, n, rng);
            var value = OrtValue.CreateAllocatedTensorValue(OrtAllocator.DefaultInstance, type, shape);
            try
            {
                var raw = value.GetTensorMutableRawData();
                if (raw.Length != bytes.Length)
                    throw new EdgeOpsException("UnsupportedInputType", "InvalidType",
                        $"Model '{model}' input '{input}': ONNX Runtime allocated {raw.Length} bytes for {n} elements of type {code}; expected {bytes.Length}. Report this as a bug with the model's input types.");
                bytes.AsSpan().CopyTo(raw);
            }
            catch { value.Dispose(); throw; }
            return value;
        }

        /// <summary>The name of an element type that the ONNX Runtime .NET API cannot feed as an input; null for the others.</summary>
        public static string UnsupportedTypeName(int code)
        {
            switch (code)
            {
                case 14: return "complex64";
                case 15: return "complex128";
                case 17: return "float8e4m3fn";
                case 18: return "float8e4m3fnuz";
                case 19: return "float8e5m2";
                case 20: return "float8e5m2fnuz";
                case 21: return "uint4";
                case 22: return "int4";
                case 23: return "float4e2m1";
                default: return code > 23 ? "element type " + code : null;
            }
        }

        static EdgeOpsException Unsupported(string model, string input, int code) =>
            new EdgeOpsException("UnsupportedInputType", "InvalidType",
                $"Model '{model}' input '{input}' is of type {UnsupportedTypeName(code)}, which the ONNX Runtime .NET API cannot feed as a model input. " +
                "EdgeOps synthesizes float, float16, bfloat16, double, int8/16/32/64, uint8/16/32/64, bool and string inputs; " +
                "give the model an input of one of those types (e.g. a Cast node in front).");

        /// <summary>After ONNX Runtime refused a model: a clear error when one of its inputs has a type that cannot be fed.</summary>
        internal static void ThrowIfUnsupportedInputs(string path)
        {
            Onnx.OnnxGraphInfo info;
            try { info = Onnx.OnnxGraphInfo.Read(path); }
            catch (Exception e) when (e is System.IO.InvalidDataException || e is System.IO.IOException) { return; }
            foreach (var i in info.Inputs)
                if (UnsupportedTypeName((int)i.Value) != null) throw Unsupported(System.IO.Path.GetFileName(path), i.Key, (int)i.Value);
        }

        /// <summary>Bits per element of an ONNX element type code; 0 when unknown.</summary>
        public static int ElementBits(int code)
        {
            switch (code)
            {
                case 1: case 6: case 12: return 32;           // float, int32, uint32
                case 2: case 3: case 9: return 8;             // uint8, int8, bool
                case 17: case 18: case 19: case 20: return 8; // float8 variants
                case 4: case 5: case 10: case 16: return 16;  // uint16, int16, float16, bfloat16
                case 7: case 11: case 13: return 64;          // int64, double, uint64
                case 21: case 22: case 23: return 4;          // uint4, int4, float4e2m1 (two per byte)
                default: return 0;
            }
        }

        /// <summary>Writes n little-endian elements of the type: values a model can take without NaN or overflow.</summary>
        internal static void Fill(int code, byte[] b, int n, Random rng)
        {
            for (int i = 0; i < n; i++)
            {
                switch (code)
                {
                    case 1: Put32(b, i * 4, BitConverter.ToInt32(BitConverter.GetBytes((float)rng.NextDouble()), 0)); break;
                    case 11: Put64(b, i * 8, BitConverter.DoubleToInt64Bits(rng.NextDouble())); break;
                    case 10: Put16(b, i * 2, FloatToHalf((float)rng.NextDouble())); break;
                    case 16: Put16(b, i * 2, (ushort)(BitConverter.ToInt32(BitConverter.GetBytes((float)rng.NextDouble()), 0) >> 16)); break;
                    case 2: case 3: b[i] = (byte)rng.Next(10); break;
                    case 9: b[i] = (byte)rng.Next(2); break;
                    case 4: case 5: Put16(b, i * 2, (ushort)rng.Next(10)); break;
                    case 6: case 12: Put32(b, i * 4, rng.Next(10)); break;
                    case 7: case 13: Put64(b, i * 8, rng.Next(10)); break;
                    // float8: positive finite values below 1 in all four encodings (exponent field never saturated)
                    case 17: case 18: case 19: case 20: b[i] = (byte)rng.Next(0x38); break;
                    // 4-bit types: a value in [0, 6) per nibble (finite for float4e2m1, in range for int4 and uint4)
                    case 21: case 22: case 23: b[i / 2] |= (byte)(rng.Next(6) << (4 * (i & 1))); break;
                }
            }
        }

        static void Put16(byte[] b, int at, ushort v) { b[at] = (byte)v; b[at + 1] = (byte)(v >> 8); }
        static void Put32(byte[] b, int at, int v) { for (int k = 0; k < 4; k++) b[at + k] = (byte)(v >> (8 * k)); }
        static void Put64(byte[] b, int at, long v) { for (int k = 0; k < 8; k++) b[at + k] = (byte)(v >> (8 * k)); }

        /// <summary>IEEE 754 binary16 from a float in [0, 1] (round to nearest even; subnormals kept).</summary>
        public static ushort FloatToHalf(float f)
        {
            int x = BitConverter.ToInt32(BitConverter.GetBytes(f), 0);
            int sign = (x >> 16) & 0x8000;
            int exp = ((x >> 23) & 0xFF) - 127 + 15;
            int mant = x & 0x7FFFFF;
            if (exp >= 31) return (ushort)(sign | 0x7C00);
            if (exp <= 0)
            {
                if (exp < -10) return (ushort)sign;
                mant |= 0x800000;
                int shift = 14 - exp;
                int half = mant >> shift;
                int rem = mant & ((1 << shift) - 1);
                int mid = 1 << (shift - 1);
                if (rem > mid || (rem == mid && (half & 1) != 0)) half++;
                return (ushort)(sign | half);
            }
            int h = sign | (exp << 10) | (mant >> 13);
            int r = mant & 0x1FFF;
            if (r > 0x1000 || (r == 0x1000 && (h & 1) != 0)) h++;
            return (ushort)h;
        }
    }
}
