using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using EdgeOps.Wheels;

namespace EdgeOps.Builds
{
    /// <summary>What a recipe knows of the build host (from its own Python and board files).</summary>
    public sealed class BuildHostFacts
    {
        public string Kind { get; set; } = "generic";
        public string L4T { get; set; }
        public string Cuda { get; set; }
        public string Machine { get; set; }
        public bool IsJetson => !string.IsNullOrEmpty(L4T) || (Kind ?? "").StartsWith("jetson", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>
    /// The build environment of each recipe. Every recipe builds with pip (PEP 517, no build isolation, no
    /// dependencies) and differs in the environment it sets; each setting and its source is in the help of
    /// Start-WheelBuild. Jobs go to every knob a build system reads: MAX_JOBS (PyTorch's setup.py),
    /// CMAKE_BUILD_PARALLEL_LEVEL (cmake --build), MAKEFLAGS (make).
    /// </summary>
    public static class BuildRecipes
    {
        public static readonly string[] Names = { "generic", "pytorch", "opencv" };

        public static string Check(string recipe)
        {
            var r = Names.FirstOrDefault(n => string.Equals(n, recipe ?? "generic", StringComparison.OrdinalIgnoreCase));
            if (r == null)
                throw new EdgeOpsException("UnknownRecipe", "InvalidArgument", $"-Recipe '{recipe}' is not known: use {string.Join(", ", Names)}.");
            return r;
        }

        /// <summary>CUDA compute capabilities of the Jetson boards a build host's L4T release runs on.</summary>
        public static string CudaArchList(BuildHostFacts h)
        {
            var kind = (h.Kind ?? "").ToLowerInvariant();
            if (kind.Contains("nano") || kind.Contains("tx1")) return "5.3";
            if (kind.Contains("tx2")) return "6.2";
            if (kind.Contains("xavier")) return "7.2";
            if (kind.Contains("orin")) return "8.7";
            var major = (h.L4T ?? "").Split('.')[0];
            switch (major)
            {
                case "32": return "5.3;6.2;7.2";   // JetPack 4: Nano, TX1, TX2, Xavier
                case "35": return "7.2;8.7";       // JetPack 5: Xavier, Orin
                case "36": return "8.7";           // JetPack 6: Orin
                default: return "5.3;6.2;7.2;8.7";
            }
        }

        /// <summary>The recipe's environment, in a stable order; <paramref name="extra"/> (-Environment) adds or overrides.</summary>
        public static List<KeyValuePair<string, string>> Environment(string recipe, int jobs, BuildHostFacts host, bool contrib,
                                                                      string python, IDictionary<string, string> extra)
        {
            string n = jobs.ToString(CultureInfo.InvariantCulture);
            var env = new List<KeyValuePair<string, string>>();
            void Set(string k, string v)
            {
                env.RemoveAll(kv => kv.Key == k);
                env.Add(new KeyValuePair<string, string>(k, v));
            }
            Set("EDGEOPS_RECIPE", recipe);
            Set("EDGEOPS_JOBS", n);
            Set("EDGEOPS_PYTHON", python);
            Set("MAX_JOBS", n);
            Set("CMAKE_BUILD_PARALLEL_LEVEL", n);
            Set("MAKEFLAGS", "-j" + n);
            switch (recipe)
            {
                case "pytorch":
                    Set("BUILD_TEST", "0");
                    Set("USE_CUDA", host.IsJetson ? "1" : "0");
                    if (host.IsJetson)
                    {
                        Set("TORCH_CUDA_ARCH_LIST", CudaArchList(host));
                        Set("USE_NCCL", "0");
                        Set("USE_DISTRIBUTED", "0");
                        Set("USE_QNNPACK", "0");
                        Set("USE_PYTORCH_QNNPACK", "0");
                        Set("CUDA_HOME", "/usr/local/cuda");
                    }
                    break;
                case "opencv":
                    Set("ENABLE_HEADLESS", "1");
                    Set("ENABLE_CONTRIB", contrib ? "1" : "0");
                    if (host.IsJetson)
                        Set("CMAKE_ARGS", "-DWITH_CUDA=ON -DCUDA_ARCH_BIN=" + CudaArchList(host).Replace(';', ',') +
                                          " -DWITH_CUDNN=ON -DOPENCV_DNN_CUDA=ON -DCUDA_FAST_MATH=ON -DWITH_CUBLAS=ON -DWITH_GSTREAMER=ON");
                    break;
            }
            if (extra != null)
                foreach (var kv in extra)
                {
                    CheckVariable(kv.Key, kv.Value);
                    Set(kv.Key, kv.Value ?? "");
                }
            return env;
        }

        /// <summary>A variable the build folder's environment file can hold: a name, and a value on one line.</summary>
        public static void CheckVariable(string name, string value)
        {
            if (string.IsNullOrEmpty(name) || !System.Text.RegularExpressions.Regex.IsMatch(name, "^[A-Za-z_][A-Za-z0-9_]*$"))
                throw new EdgeOpsException("BuildEnvironmentInvalid", "InvalidArgument",
                    $"-Environment key '{name}' is not a variable name: rename it with letters, digits and _ only, not starting with a digit.");
            if (value != null && (value.IndexOf('\n') >= 0 || value.IndexOf('\r') >= 0 || value.IndexOf('\0') >= 0))
                throw new EdgeOpsException("BuildEnvironmentInvalid", "InvalidArgument",
                    $"-Environment value of '{name}' spans lines (or holds a NUL): give it on one line.");
        }

        public static string ToText(IEnumerable<KeyValuePair<string, string>> env) =>
            string.Concat(env.Select(kv => kv.Key + "=" + kv.Value + "\n"));

        public static List<KeyValuePair<string, string>> Parse(string text) =>
            (text ?? "").Split('\n').Where(l => l.IndexOf('=') > 0)
                .Select(l => new KeyValuePair<string, string>(l.Substring(0, l.IndexOf('=')), l.Substring(l.IndexOf('=') + 1))).ToList();

        public static BuildHostFacts Facts(EdgeDevice device, DeviceProfile p) => new BuildHostFacts
        {
            Kind = device.Kind, L4T = p?.L4T, Cuda = p?.Cuda, Machine = p?.Machine,
        };
    }
}
