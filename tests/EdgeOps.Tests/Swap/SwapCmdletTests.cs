using System.Management.Automation;
using EdgeOps.Swap;
using EdgeOps.Tests.Infrastructure;
using Xunit;

namespace EdgeOps.Tests.Swap
{
    /// <summary>The four cmdlets in a real PowerShell runspace on the local machine (read-only or -WhatIf: this machine's /etc stays untouched).</summary>
    public class SwapCmdletTests : IDisposable
    {
        readonly PowerShellSession _ps = new();
        public void Dispose() => _ps.Dispose();

        static long MemTotal() => long.Parse(File.ReadAllLines("/proc/meminfo").First(l => l.StartsWith("MemTotal:")).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;

        static T P<T>(PSObject o, string name) => (T)o.Properties[name].Value;

        [Fact]
        public void Get_EdgeBuildPlan_gives_MAX_JOBS_and_the_swap_for_N_jobs_from_the_devices_figures()
        {
            var r = _ps.Run("Get-EdgeBuildPlan -Profile opencv");
            Assert.Empty(r.Errors);
            var plan = Assert.Single(r.Output);
            Assert.Equal("EdgeOps.EdgeBuildPlan", plan.TypeNames[0]);
            long mem = MemTotal(), per = 1536 * BuildMath.MiB;
            int cpus = Environment.ProcessorCount;
            Assert.Equal(mem, P<long>(plan, "MemTotalBytes"));
            Assert.Equal(per, P<long>(plan, "MemoryPerJobBytes"));
            Assert.Contains("Q-engineering", P<string>(plan, "MemoryPerJobSource"));
            long disk = P<long>(plan, "DiskSwapBytes");
            int memJobs = (int)((mem + disk - Math.Max(512 * BuildMath.MiB, mem / 8)) / per);
            Assert.Equal(memJobs, P<int>(plan, "MemoryJobs"));
            Assert.Equal(Math.Max(1, Math.Min(memJobs, cpus)), P<int>(plan, "MaxJobs"));
            Assert.Equal(cpus, P<int>(plan, "Jobs"));

            var custom = _ps.Run("Get-EdgeBuildPlan -MemoryPerJob 8GB -Jobs 5").Output.Single();
            Assert.Equal("custom", P<string>(custom, "Profile"));
            Assert.Equal(BuildMath.SwapForJobs(5, 8 * BuildMath.GiB, mem, 0, Environment.SystemPageSize), P<long>(custom, "SwapForJobsBytes"));
            Assert.True(P<long>(custom, "SwapForJobsBytes") > 0);
        }

        [Fact]
        public void New_SwapFile_WhatIf_returns_the_plan_and_leaves_the_machine_as_it_was()
        {
            var dir = Path.Combine("/tmp", "edgeops-swap-whatif-" + Guid.NewGuid().ToString("n")[..8]);
            Directory.CreateDirectory(dir);
            try
            {
                var fstab = HostShell.Hash("/etc/fstab");
                var swaps = HostShell.Swaps();
                var r = _ps.Run("New-SwapFile -Size 16MB -Path $args[0] -Priority 3 -WhatIf", Path.Combine(dir, "swapfile"));
                Assert.Empty(r.Errors);
                Assert.Empty(r.Output);
                var plan = Assert.Single(r.WhatIf);
                Assert.Contains("create a 16.0 MB swap file", plan);
                Assert.Contains(Path.Combine(dir, "swapfile"), plan);
                Assert.Contains("fstab", plan);
                Assert.Empty(Directory.GetFiles(dir));
                Assert.Equal(fstab, HostShell.Hash("/etc/fstab"));
                Assert.Equal(swaps, HostShell.Swaps());
            }
            finally { Directory.Delete(dir, true); }
        }

        [Fact]
        public void Refusals_are_error_records_naming_the_device_with_stable_ids()
        {
            var dir = Path.Combine("/tmp", "edgeops-swap-refuse-" + Guid.NewGuid().ToString("n")[..8]);
            Directory.CreateDirectory(dir);
            try
            {
                var big = _ps.Run("New-SwapFile -Size 1TB -Path $args[0] -WhatIf", Path.Combine(dir, "swapfile"));
                var e = Assert.Single(big.Errors);
                Assert.StartsWith("SwapNotEnoughDisk", e.FullyQualifiedErrorId);
                Assert.Equal(ErrorCategory.ResourceUnavailable, e.CategoryInfo.Category);
                Assert.Contains(Environment.MachineName.ToLowerInvariant(), e.ErrorDetails.Message);

                var rel = _ps.Run("New-SwapFile -Size 16MB -Path 'swap file' -WhatIf");
                Assert.StartsWith("InvalidSwapPath", Assert.Single(rel.Errors).FullyQualifiedErrorId);

                var zram = _ps.Run("Remove-SwapFile -Path /dev/zram0 -WhatIf");
                Assert.StartsWith("SwapNotAFile", Assert.Single(zram.Errors).FullyQualifiedErrorId);

                foreach (var bad in new[] { "New-SwapFile -Size 0", "New-SwapFile -Size 1GB -ForBuildJobs 2", "Get-EdgeBuildPlan -Profile tensorflow", "New-SwapFile -Size 1GB -Swappiness 201" })
                {
                    var b = _ps.Run(bad);
                    Assert.Empty(b.Output);
                    Assert.IsAssignableFrom<ParameterBindingException>(Assert.Single(b.Errors).Exception);
                }
            }
            finally { Directory.Delete(dir, true); }
        }

        [Fact]
        public void Result_types_have_only_flat_primitive_properties_and_a_ComputerName()
        {
            var allowed = new[] { typeof(string), typeof(int), typeof(long), typeof(bool), typeof(double), typeof(DateTimeOffset) };
            foreach (var t in new[] { typeof(SwapFileResult), typeof(SwapArea), typeof(SwapFileRemoval), typeof(EdgeBuildPlan) })
            {
                Assert.True(t.IsSealed && t.IsPublic && t.Namespace == "EdgeOps", t.Name);
                Assert.All(t.GetProperties(), p => Assert.Contains(p.PropertyType, allowed));
                Assert.Equal("ComputerName", t.GetProperties()[0].Name);
            }
        }

        [Fact]
        public void Get_SwapFile_lists_only_areas_this_machine_owns()
        {
            var r = _ps.Run("Get-SwapFile");
            Assert.Empty(r.Errors);
            foreach (var a in r.Output.Where(o => P<bool>(o, "Active") && P<string>(o, "Type") == "file"))
                Assert.Contains(HostShell.Swaps(), s => s.path == P<string>(a, "Path"));
        }
    }
}
