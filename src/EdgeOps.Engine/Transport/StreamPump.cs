using System;
using System.IO;
using System.Threading;

namespace EdgeOps.Transport
{
    static class StreamPump
    {
        /// <summary>
        /// Copies with progress and cancellation; returns bytes copied. With <paramref name="batchWaitMs"/>, a read that
        /// brought less than a quarter of the buffer is followed by that pause, so the next read takes a batch.
        /// </summary>
        public static long Copy(Stream from, Stream to, IProgress<long> progress, CancellationToken ct, int bufferSize = 256 * 1024, int batchWaitMs = 0)
        {
            var buffer = new byte[bufferSize];
            long total = 0;
            int n;
            long lastReport = 0;
            while ((n = from.Read(buffer, 0, buffer.Length)) > 0)
            {
                ct.ThrowIfCancellationRequested();
                to.Write(buffer, 0, n);
                total += n;
                if (progress != null && total - lastReport >= 1 << 20) { progress.Report(total); lastReport = total; }
                if (batchWaitMs > 0 && n < buffer.Length / 4) Thread.Sleep(batchWaitMs);
            }
            progress?.Report(total);
            return total;
        }
    }
}
