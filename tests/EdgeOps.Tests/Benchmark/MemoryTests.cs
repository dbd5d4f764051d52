using System.Runtime.InteropServices;
using EdgeOps.Benchmark.Measure;
using Xunit;

namespace EdgeOps.Tests.Benchmark
{
    public class MemoryTests
    {
        [Fact]
        public void Heap_in_use_follows_native_allocations_even_when_rss_need_not_grow()
        {
            Assert.True(OperatingSystem.IsLinux(), "glibc's mallinfo2 is what this test checks");
            const int size = 64 << 20;
            // freed first, so the second allocation can reuse resident pages: RSS then stays flat, the heap count must not
            var fill = new byte[size];
            Array.Fill(fill, (byte)1);
            var warm = Marshal.AllocHGlobal(size);
            Marshal.Copy(fill, 0, warm, size);
            Marshal.FreeHGlobal(warm);
            long before = Memory.HeapInUseBytes();
            Assert.True(before > 0, "mallinfo2 answered");
            var p = Marshal.AllocHGlobal(size);
            try
            {
                Marshal.Copy(fill, 0, p, size);
                long during = Memory.HeapInUseBytes();
                // the heap is the whole process's: other tests' threads may free a little in between (seen: 6 KB short)
                Assert.InRange(during - before, size - (1 << 20), size + (4 << 20));
            }
            finally { Marshal.FreeHGlobal(p); }
            Assert.True(Memory.HeapInUseBytes() < before + (4 << 20), "freed memory is no longer counted");
        }
    }
}
