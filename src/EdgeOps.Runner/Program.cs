using System;
using System.IO;
using System.Runtime.InteropServices;
using System.Text;
using EdgeOps;
using EdgeOps.Benchmark.Measure;

namespace EdgeOps.Runner
{
    /// <summary>
    /// edgeops-runner --version          prints its version, ONNX Runtime's and the platform (a smoke test)
    /// edgeops-runner --measure          reads a request on stdin, measures, writes raw latencies on stdout
    /// Exit codes: 0 done, 2 usage, 3 a measurement error (reported on stdout as an error record), 4 a crash.
    /// </summary>
    public static class Program
    {
        public const string Version = "1";

        public static int Main(string[] args)
        {
            var stdout = new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(false)) { NewLine = "\n" };
            try
            {
                if (args.Length == 1 && args[0] == "--version")
                {
                    stdout.Write($"edgeops-runner {Version} onnxruntime {Measurer.OnnxRuntimeVersion()} {RuntimeInformation.RuntimeIdentifier} {Environment.MachineName}\n");
                    return 0;
                }
                if (args.Length == 1 && args[0] == "--measure")
                {
                    string text;
                    using (var stdin = new StreamReader(Console.OpenStandardInput(), Encoding.UTF8)) text = stdin.ReadToEnd();
                    var request = MeasureRequest.FromWire(text);
                    var response = Measurer.Run(request);
                    response.Runner = Version;
                    stdout.Write(response.ToWire());
                    return 0;
                }
                Console.Error.WriteLine("usage: edgeops-runner --version | --measure  (request on standard input)");
                return 2;
            }
            catch (EdgeOpsException e)
            {
                stdout.Write(MeasureResponse.ErrorToWire(e));
                return 3;
            }
            catch (Exception e)
            {
                stdout.Write(MeasureResponse.ErrorToWire(new EdgeOpsException("RunnerFailed", "NotSpecified", e.GetType().Name + ": " + e.Message)));
                Console.Error.WriteLine(e);
                return 4;
            }
            finally
            {
                stdout.Flush();
            }
        }
    }
}
