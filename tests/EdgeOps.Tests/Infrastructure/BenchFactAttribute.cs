using EdgeOps.Tests.Fleet;
using Xunit;

namespace EdgeOps.Tests.Infrastructure
{
    /// <summary>
    /// A benchmark on the simulated fleet: runs only when EDGEOPS_BENCH=1 (set by its bench/*/run.sh script), since speed
    /// targets live in benchmarks, not in tests; otherwise it is skipped with the command that runs it.
    /// </summary>
    public sealed class BenchFactAttribute : FactAttribute
    {
        public BenchFactAttribute(string script)
        {
            if (Environment.GetEnvironmentVariable("EDGEOPS_BENCH") != "1") Skip = "benchmark: run " + script;
            else if (FleetRequirements.SkipReason is { } r) Skip = r;
        }
    }
}
