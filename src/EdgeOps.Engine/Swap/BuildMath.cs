using System;
using System.Collections.Generic;
using System.Linq;

namespace EdgeOps.Swap
{
    /// <summary>A named figure of memory one compile job needs, with where the figure comes from.</summary>
    public sealed class BuildProfile
    {
        public string Name { get; set; }
        public long MemoryPerJobBytes { get; set; }
        public string Source { get; set; }

        public static readonly IReadOnlyList<BuildProfile> All = new[]
        {
            new BuildProfile
            {
                Name = "pytorch", MemoryPerJobBytes = 2 * BuildMath.GiB,
                Source = "EdgeOps estimate from field reports: a 4 GB Jetson Nano or Raspberry Pi 4 with a swap file builds PyTorch with MAX_JOBS=2; its heaviest C++ units (ATen kernels) take close to 2 GB each in cc1plus",
            },
            new BuildProfile
            {
                Name = "opencv", MemoryPerJobBytes = 1536 * BuildMath.MiB,
                Source = "Q-engineering's OpenCV 4.5 on Jetson Nano guide: a 4-job build of OpenCV 4.5.2 or later needs about 6 GB of RAM plus swap, 1.5 GB a job",
            },
            new BuildProfile
            {
                Name = "generic", MemoryPerJobBytes = BuildMath.GiB,
                Source = "fromager's default memory_per_job_gb (1.0) for C and C++ builds",
            },
        };

        public static BuildProfile Get(string name)
        {
            var p = All.FirstOrDefault(x => string.Equals(x.Name, name, StringComparison.OrdinalIgnoreCase));
            if (p == null)
                throw new EdgeOpsException("UnknownBuildProfile", "InvalidArgument",
                    $"-Profile '{name}' is not known: use one of {string.Join(", ", All.Select(x => x.Name))}, or give -MemoryPerJob.");
            return p;
        }
    }

    /// <summary>The arithmetic behind -ForBuildJobs and Get-EdgeBuildPlan, in one place.</summary>
    public static class BuildMath
    {
        public const long MiB = 1024L * 1024;
        public const long GiB = 1024L * MiB;

        /// <summary>Memory kept for the OS and services while compiling: max(512 MiB, RAM/8).</summary>
        public static long SystemReserve(long memTotal) => Math.Max(512 * MiB, memTotal / 8);

        /// <summary>Jobs that fit in RAM plus disk swap after the system reserve.</summary>
        public static int MemoryJobs(long memTotal, long diskSwap, long perJob)
        {
            if (perJob <= 0) throw new ArgumentOutOfRangeException(nameof(perJob));
            long usable = memTotal + diskSwap - SystemReserve(memTotal);
            return usable <= 0 ? 0 : (int)Math.Min(int.MaxValue, usable / perJob);
        }

        /// <summary>The safe MAX_JOBS: memory jobs capped at the CPU count, never below 1 (a build runs at least one job).</summary>
        public static int MaxJobs(int memoryJobs, int cpus) => Math.Max(1, Math.Min(memoryJobs, Math.Max(1, cpus)));

        /// <summary>
        /// Total file swap (0 when RAM is enough) for <paramref name="jobs"/> jobs besides <paramref name="otherDiskSwap"/>.
        /// One page is added for the swap header (the kernel does not count it) and the result is whole MiB, so
        /// <see cref="MemoryJobs"/> on the swap the kernel then reports gives at least <paramref name="jobs"/>.
        /// </summary>
        public static long SwapForJobs(int jobs, long perJob, long memTotal, long otherDiskSwap, int pageSize)
        {
            long need = jobs * perJob + SystemReserve(memTotal) - memTotal - otherDiskSwap;
            return need <= 0 ? 0 : RoundUpMiB(need + pageSize);
        }

        public static long RoundUpMiB(long bytes) => (bytes + MiB - 1) / MiB * MiB;

        public static string Human(long bytes) => Fleet.RateMeter.Human(bytes);
    }
}
