using EdgeOps.Benchmark;
using EdgeOps.Benchmark.Onnx;
using Microsoft.ML.OnnxRuntime;
using Xunit;

namespace EdgeOps.Tests.Benchmark
{
    public sealed class OnnxModelTests : IDisposable
    {
        readonly string _dir = Path.Combine(Path.GetTempPath(), "edgeops-onnx-" + Guid.NewGuid().ToString("N"));
        public OnnxModelTests() => Directory.CreateDirectory(_dir);
        public void Dispose() { try { Directory.Delete(_dir, true); } catch (IOException) { } }

        [Fact]
        public void Written_model_loads_in_onnx_runtime_and_computes()
        {
            // y = relu(x @ W + b), checked against the same arithmetic done here.
            var w = new float[] { 1, -2, 0.5f, 3, -1, 2 };          // 3x2
            var b = new float[] { 0.25f, -0.5f };
            var m = new OnnxModelBuilder("tiny", opset: 17, irVersion: 8)
                .Input("x", OnnxType.Float, "n", 3).Output("y", OnnxType.Float, "n", 2)
                .Initializer("W", w, 3, 2).Initializer("b", b, 2)
                .Metadata("labels", "a,b")
                .Node("MatMul", new[] { "x", "W" }, new[] { "xw" })
                .Node("Add", new[] { "xw", "b" }, new[] { "s" })
                .Node("Relu", new[] { "s" }, new[] { "y" });
            var path = Path.Combine(_dir, "tiny model 'q'.onnx");
            m.Save(path);
            using var session = new InferenceSession(path);
            Assert.Equal(new[] { -1, 3 }, session.InputMetadata["x"].Dimensions);
            Assert.Equal("n", session.InputMetadata["x"].SymbolicDimensions[0]);
            Assert.Equal("a,b", session.ModelMetadata.CustomMetadataMap["labels"]);
            var x = new float[] { 1, 2, 3, -1, 0, 1 };
            using var input = OrtValue.CreateTensorValueFromMemory(x, new long[] { 2, 3 });
            using var output = session.Run(new RunOptions(), new[] { "x" }, new[] { input }, new[] { "y" });
            var y = output[0].GetTensorDataAsSpan<float>().ToArray();
            for (int r = 0; r < 2; r++)
                for (int c = 0; c < 2; c++)
                {
                    float expect = b[c];
                    for (int k = 0; k < 3; k++) expect += x[r * 3 + k] * w[k * 2 + c];
                    Assert.Equal(Math.Max(0, expect), y[r * 2 + c], 5);
                }
            var info = OnnxGraphInfo.Read(path);
            Assert.Equal(1, info.Operators["MatMul"]);
            Assert.Equal(8, info.IrVersion);
            Assert.Equal(17, info.Opsets[""]);
            Assert.Equal("FP32", info.Precision);
            Assert.Equal(32, info.WeightBytes[OnnxType.Float]);
        }

        [Fact]
        public void Sample_models_straddle_the_5MB_edge_budget_and_are_deterministic()
        {
            var paths = SampleModels.Ensure(_dir);
            var fp32 = new FileInfo(paths[0]).Length;
            var int8 = new FileInfo(paths[1]).Length;
            Assert.True(fp32 > 5L * 1024 * 1024, $"FP32 sample is {fp32} bytes");
            Assert.True(int8 < 5L * 1024 * 1024, $"INT8 sample is {int8} bytes");
            Assert.True(int8 * 3 < fp32);
            Assert.Equal("FP32", OnnxGraphInfo.Read(paths[0]).Precision);
            var q = OnnxGraphInfo.Read(paths[1]);
            Assert.Equal("INT8", q.Precision);
            Assert.Equal(28, q.Operators["Conv"]);
            Assert.True(q.Operators["QuantizeLinear"] >= 28);
            Assert.Equal(string.Join(",", SampleModels.Classes), q.Metadata["labels"]);
            Assert.Equal(11, SampleModels.Classes.Length);
            // Seeded: the same bytes every time.
            Assert.Equal(File.ReadAllBytes(paths[1]), SampleModels.Build(quantized: true).ToBytes());
        }

        [Fact]
        public void Int8_sample_runs_on_int8_kernels_and_tracks_the_fp32_model()
        {
            var paths = SampleModels.Ensure(_dir);
            var optimized = new List<OnnxGraphInfo>();
            var logits = new List<float[]>();
            var rng = new Random(3);
            var image = Enumerable.Range(0, 3 * 224 * 224).Select(_ => (float)rng.NextDouble()).ToArray();
            foreach (var p in paths)
            {
                var opt = p + ".optimized.onnx";
                using var so = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_EXTENDED, OptimizedModelFilePath = opt };
                using var s = new InferenceSession(p, so);
                optimized.Add(OnnxGraphInfo.Read(opt));
                using var x = OrtValue.CreateTensorValueFromMemory(image, new long[] { 1, 3, 224, 224 });
                using var o = s.Run(new RunOptions(), new[] { SampleModels.InputName }, new[] { x }, new[] { SampleModels.OutputName });
                logits.Add(o[0].GetTensorDataAsSpan<float>().ToArray());
            }
            // ONNX Runtime fused every QDQ convolution into QLinearConv and the classifier into QLinearMatMul:
            // no float convolution is left in the INT8 model.
            var q = optimized[1];
            Assert.Equal(28, q.Operators.GetValueOrDefault("QLinearConv"));
            Assert.Equal(1, q.Operators.GetValueOrDefault("QLinearMatMul"));
            Assert.DoesNotContain(q.Operators.Keys, k => k == "Conv" || k.EndsWith(":FusedConv") || k == "MatMul" || k == "Gemm");
            Assert.Equal(0, optimized[0].Operators.GetValueOrDefault("QLinearConv"));
            // Same weights, quantized: the logits stay close (Pearson correlation) and have the right shape.
            Assert.Equal(11, logits[0].Length);
            Assert.True(Correlation(logits[0], logits[1]) > 0.95, $"correlation {Correlation(logits[0], logits[1])}");
        }

        static double Correlation(float[] a, float[] b)
        {
            double ma = a.Average(), mb = b.Average(), sab = 0, saa = 0, sbb = 0;
            for (int i = 0; i < a.Length; i++) { sab += (a[i] - ma) * (b[i] - mb); saa += (a[i] - ma) * (a[i] - ma); sbb += (b[i] - mb) * (b[i] - mb); }
            return sab / Math.Sqrt(saa * sbb);
        }

        [Fact]
        public void Reader_refuses_what_is_not_a_model()
        {
            var path = Path.Combine(_dir, "junk.onnx");
            File.WriteAllBytes(path, new byte[] { 0xFF, 0xFF, 0xFF });
            Assert.Throws<InvalidDataException>(() => OnnxGraphInfo.Read(path));
        }
    }
}
