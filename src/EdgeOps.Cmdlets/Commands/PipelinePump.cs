using System;
using System.Collections.Concurrent;
using System.Management.Automation;
using System.Threading;

namespace EdgeOps.Commands
{
    /// <summary>
    /// The one way engine work on other threads talks to PowerShell: worker threads Post actions (Write*, progress)
    /// or Ask questions (ShouldProcess); the pipeline thread runs them in <see cref="Run"/> until the work completes.
    /// Used by the fleet fan-out (FleetCmdlet) and, through <see cref="Work{T}"/>, by every cmdlet that runs one
    /// piece of engine work (leases, Publish-TorchWheel, Test-SdCardBackup).
    /// </summary>
    sealed class PipelinePump
    {
        readonly BlockingCollection<Action> _queue = new BlockingCollection<Action>();
        readonly CancellationToken _stop;

        public PipelinePump(CancellationToken stop) { _stop = stop; }

        /// <summary>Queues an action for the pipeline thread (dropped once the pump has finished).</summary>
        public void Post(Action a)
        {
            try { _queue.Add(a); } catch (InvalidOperationException) { /* pump finished: stopping */ }
        }

        /// <summary>Runs a function on the pipeline thread and waits for its answer.</summary>
        public T Ask<T>(Func<T> f)
        {
            var done = new ManualResetEventSlim();
            T value = default;
            Exception error = null;
            Post(() => { try { value = f(); } catch (Exception e) { error = e; } finally { done.Set(); } });
            done.Wait(_stop);
            if (error != null) throw error;
            return value;
        }

        /// <summary>No more actions will come: <see cref="Run"/> returns once the queue is empty.</summary>
        public void Complete() => _queue.CompleteAdding();

        /// <summary>On the pipeline thread: runs the posted actions until <see cref="Complete"/> or Ctrl+C.</summary>
        public void Run()
        {
            try
            {
                foreach (var action in _queue.GetConsumingEnumerable(_stop)) action();
            }
            catch (OperationCanceledException) { }
        }

        /// <summary>
        /// Runs one piece of engine work on a worker thread while the pipeline thread relays what it posts.
        /// Ctrl+C cancels the token and stops the pipeline; the work's own exception is rethrown as it is.
        /// </summary>
        public static T Work<T>(CancellationToken stop, Func<PipelinePump, T> work)
        {
            var pump = new PipelinePump(stop);
            T result = default;
            Exception error = null;
            var thread = new Thread(() =>
            {
                try { result = work(pump); }
                catch (Exception e) { error = e; }
                finally { pump.Complete(); }
            }) { IsBackground = true, Name = "EdgeOps engine work" };
            thread.Start();
            pump.Run();
            if (stop.IsCancellationRequested)
            {
                thread.Join(TimeSpan.FromSeconds(10));
                throw new PipelineStoppedException();
            }
            thread.Join();
            if (error is AggregateException ae && ae.InnerException != null) error = ae.InnerException;
            if (error is OperationCanceledException && stop.IsCancellationRequested) throw new PipelineStoppedException();
            if (error != null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(error).Throw();
            return result;
        }
    }
}
