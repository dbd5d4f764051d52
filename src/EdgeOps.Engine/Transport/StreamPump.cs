using System;
using System.IO;
using System.Threading;

namespace EdgeOps.Transport
{
    static class StreamPump
    {
        /// <summary>Copies with progress and cancellation; returns bytes copied.</summary>
        public static long Copy(Stream from, Stream to, IProgress<long> progress, CancellationToken ct, int bufferSize = 256 * 1024)
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
            }
            progress?.Report(total);
            return total;
        }
    }
}
