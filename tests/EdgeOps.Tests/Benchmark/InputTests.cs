using EdgeOps.Benchmark.Measure;
using EdgeOps.Benchmark.Onnx;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Xunit;

namespace EdgeOps.Tests.Benchmark
{
    public sealed class InputTests : IDisposable
    {
        readonly string _dir = Path.Combine(Path.GetTempPath(), "edgeops-inputs-" + Guid.NewGuid().ToString("N"));
        public InputTests() => Directory.CreateDirectory(_dir);
        public void Dispose() { try { Directory.Delete(_dir, true); } catch (IOException) { } }

        /// <summary>An Identity model with one input of the type: it runs on every type ONNX Runtime knows.</summary>
        string Identity(OnnxType type, params object[] dims)
        {
            var path = Path.Combine(_dir, $"identity-{type}-{Guid.NewGuid():N}.onnx");
            new OnnxModelBuilder("identity", opset: 21, irVersion: 10)
                .Input("x", type, dims).Output("y", type, dims)
                .Node("Identity", new[] { "x" }, new[] { "y" })
                .Save(path);
            return path;
        }

        public static TheoryData<OnnxType> AllTypes() => new()
        {
            OnnxType.Float, OnnxType.Float16, OnnxType.BFloat16, OnnxType.Double, OnnxType.Int8, OnnxType.UInt8, OnnxType.Int16,
            OnnxType.UInt16, OnnxType.Int32, OnnxType.UInt32, OnnxType.Int64, OnnxType.UInt64, OnnxType.Bool, OnnxType.String,
        };

        [Theory]
        [InlineData(OnnxType.Float8E4M3FN, "float8e4m3fn")]
        [InlineData(OnnxType.Float8E5M2FNUZ, "float8e5m2fnuz")]
        [InlineData(OnnxType.Int4, "int4")]
        [InlineData(OnnxType.UInt4, "uint4")]
        [InlineData(OnnxType.Complex64, "complex64")]
        public void Types_the_dotnet_runtime_api_cannot_feed_are_refused_by_name(OnnxType type, string name)
        {
            var request = new MeasureRequest { Runs = 1, WarmupRuns = 1 };
            request.Models.Add(Identity(type, 2));
            var ex = Assert.Throws<EdgeOpsException>(() => Measurer.Run(request));
            Assert.Equal("UnsupportedInputType", ex.ErrorId);
            Assert.Contains($"input 'x' is of type {name}", ex.Message);
        }

        [Theory]
        [MemberData(nameof(AllTypes))]
        public void Every_tensor_type_gets_synthetic_data_and_runs(OnnxType type)
        {
            var path = Identity(type, "batch", 3, 5);
            var request = new MeasureRequest { Runs = 3, WarmupRuns = 1, BatchSize = 2 };
            request.Models.Add(path);
            var response = Measurer.Run(request);
            var m = Assert.Single(response.Models);
            Assert.Equal(3, m.LatenciesMs.Count);
            Assert.Equal(2, m.BatchSize);
            Assert.Equal("x=2x3x5", m.InputShapes);

            // The data itself: what went in comes out of Identity, and its values are in the promised ranges.
            using var session = new InferenceSession(path);
            using var x = InputSynthesizer.Create("m", "x", (TensorElementType)(int)type, new long[] { 2, 3, 5 }, new Random(5));
            using var y = session.Run(new RunOptions(), new[] { "x" }, new[] { x }, new[] { "y" });
            var info = y[0].GetTensorTypeAndShape();
            Assert.Equal(new long[] { 2, 3, 5 }, info.Shape);
            if (type == OnnxType.String)
            {
                var s = y[0].GetStringTensorAsArray();
                Assert.Equal(30, s.Length);
                Assert.All(s, v => Assert.Matches("^[a-z]{1,8}$", v));
                return;
            }
            var bytes = y[0].GetTensorDataAsSpan<byte>().ToArray();
            Assert.Equal(x.GetTensorDataAsSpan<byte>().ToArray(), bytes);
            switch (type)
            {
                case OnnxType.Float: Assert.All(y[0].GetTensorDataAsSpan<float>().ToArray(), v => Assert.InRange(v, 0f, 1f)); break;
                case OnnxType.Double: Assert.All(y[0].GetTensorDataAsSpan<double>().ToArray(), v => Assert.InRange(v, 0, 1)); break;
                case OnnxType.Float16: Assert.All(y[0].GetTensorDataAsSpan<Float16>().ToArray(), v => Assert.InRange((float)v, 0f, 1f)); break;
                case OnnxType.Bool: Assert.All(bytes, v => Assert.InRange(v, (byte)0, (byte)1)); break;
                case OnnxType.Int64: Assert.All(y[0].GetTensorDataAsSpan<long>().ToArray(), v => Assert.InRange(v, 0, 9)); break;
                case OnnxType.Int32: Assert.All(y[0].GetTensorDataAsSpan<int>().ToArray(), v => Assert.InRange(v, 0, 9)); break;
                case OnnxType.Int8: Assert.All(y[0].GetTensorDataAsSpan<sbyte>().ToArray(), v => Assert.InRange(v, (sbyte)0, (sbyte)9)); break;
                case OnnxType.Int4: case OnnxType.UInt4: Assert.Equal(15, bytes.Length); break;
            }
            Assert.Contains(bytes, b => b != 0);
        }

        [Fact]
        public void Half_conversion_matches_the_runtime()
        {
            foreach (var f in new[] { 0f, 1f, 0.5f, 0.333333f, 1e-5f, 6.1e-5f, 0.999f, 65504f, 1e-8f })
                Assert.Equal(((Float16)f).value, InputSynthesizer.FloatToHalf(f));
        }

        [Fact]
        public void Complex_inputs_are_refused_clearly()
        {
            var ex = Assert.Throws<EdgeOpsException>(() => InputSynthesizer.Create("c.onnx", "z", TensorElementType.Complex64, new long[] { 2 }, new Random(1)));
            Assert.Equal("UnsupportedInputType", ex.ErrorId);
            Assert.Contains("complex64", ex.Message);
            Assert.Contains("'z'", ex.Message);
        }

        [Fact]
        public void Unresolved_dynamic_dimensions_are_each_named()
        {
            var path = Identity(OnnxType.Float, "batch", 3, "height", null!);
            var request = new MeasureRequest { Runs = 1, WarmupRuns = 1 };
            request.Models.Add(path);
            var ex = Assert.Throws<EdgeOpsException>(() => Measurer.Run(request));
            Assert.Equal("UnresolvedInputDimension", ex.ErrorId);
            Assert.Equal("InvalidArgument", ex.Category);
            Assert.Contains(Path.GetFileName(path), ex.Message);
            Assert.Contains("'x' dimension 2 ('height')", ex.Message);
            Assert.Contains("'x' dimension 3", ex.Message);
            Assert.DoesNotContain("dimension 0", ex.Message);   // the batch dimension takes -BatchSize
            Assert.Contains("-InputShape @{ x = 1,3,<height>,<n> }", ex.Message);

            request.InputShapes["x"] = new long[] { 4, 3, 8, 9 };
            var ok = Measurer.Run(request);
            Assert.Equal("x=4x3x8x9", ok.Models[0].InputShapes);
            Assert.Equal(4, ok.Models[0].BatchSize);
        }

        [Fact]
        public void Bad_input_shapes_are_refused_with_the_reason()
        {
            var path = Identity(OnnxType.Float, 1, 3, "h");
            var request = new MeasureRequest { Runs = 1, WarmupRuns = 1 };
            request.Models.Add(path);

            request.InputShapes["x"] = new long[] { 1, 3 };
            var rank = Assert.Throws<EdgeOpsException>(() => Measurer.Run(request));
            Assert.Equal("InvalidInputShape", rank.ErrorId);
            Assert.Contains("has 3 dimensions (1,3,h) but -InputShape gives 2", rank.Message);

            request.InputShapes["x"] = new long[] { 1, 4, 7 };
            var fixedDim = Assert.Throws<EdgeOpsException>(() => Measurer.Run(request));
            Assert.Contains("dimension 1 is fixed at 3 in the model; -InputShape gives 4", fixedDim.Message);

            request.InputShapes.Clear();
            request.InputShapes["x"] = new long[] { 1, 3, 7 };
            request.InputShapes["nope"] = new long[] { 1 };
            var unknown = Assert.Throws<EdgeOpsException>(() => Measurer.Run(request));
            Assert.Equal("UnknownInputName", unknown.ErrorId);
            Assert.Contains("'nope'", unknown.Message);

            var fixedBatch = new MeasureRequest { Runs = 1, WarmupRuns = 1, BatchSize = 8 };
            fixedBatch.Models.Add(Identity(OnnxType.Float, 1, 3));
            var batch = Assert.Throws<EdgeOpsException>(() => Measurer.Run(fixedBatch));
            Assert.Contains("fixed first dimension of 1, so -BatchSize 8 cannot apply", batch.Message);
        }

        [Fact]
        public void Unavailable_execution_provider_lists_the_available_ones()
        {
            var ex = Assert.Throws<EdgeOpsException>(() => Measurer.ResolveProvider("TensorRT"));
            Assert.Equal("ExecutionProviderUnavailable", ex.ErrorId);
            Assert.Contains("'TensorRT'", ex.Message);
            Assert.Contains("Available: CPU", ex.Message);
            Assert.Equal("CPUExecutionProvider", Measurer.ResolveProvider("cpu"));
            Assert.Equal("CPUExecutionProvider", Measurer.ResolveProvider("CPUExecutionProvider"));
        }
    }
}
