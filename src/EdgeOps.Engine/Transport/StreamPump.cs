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
            // pooled: a backup's 1 MiB buffer would otherwise be a fresh large-object allocation (page faults) per device and run
            var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(bufferSize);
            try
            {
                long total = 0;
                int n;
                long lastReport = 0;
                while ((n = from.Read(buffer, 0, bufferSize)) > 0)
                {
                    ct.ThrowIfCancellationRequested();
                    to.Write(buffer, 0, n);
                    total += n;
                    if (progress != null && total - lastReport >= 1 << 20) { progress.Report(total); lastReport = total; }
                    if (batchWaitMs > 0 && n < bufferSize / 4) Thread.Sleep(batchWaitMs);
                }
                progress?.Report(total);
                return total;
            }
            finally { System.Buffers.ArrayPool<byte>.Shared.Return(buffer); }
        }
    }

    /// <summary>
    /// Work on a dedicated, named background thread, as a task (exceptions come back through it). For blocking work (a
    /// read that waits on the network or a process): a command's three pumps blocking pool threads starved SSH.NET's own
    /// continuations (opening the next channel) on a 2-core controller whose pool had shrunk back to 2 threads after 20
    /// idle seconds, and the pool adds a thread only every half second or so: a round trip then took 1.7-2.9 s instead of
    /// 0.06 s.
    /// </summary>
    static class OwnThread
    {
        public static System.Threading.Tasks.Task Run(Action work, string name)
        {
            var done = new System.Threading.Tasks.TaskCompletionSource<bool>(System.Threading.Tasks.TaskCreationOptions.RunContinuationsAsynchronously);
            var thread = new Thread(() =>
            {
                try { work(); done.SetResult(true); }
                catch (Exception e) { done.SetException(e); }
            }) { IsBackground = true, Name = name };
            thread.Start();
            return done.Task;
        }
    }
}
