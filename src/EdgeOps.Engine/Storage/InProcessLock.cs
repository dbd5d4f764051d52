using System;
using System.Collections.Concurrent;
using System.Threading;

namespace EdgeOps.Storage
{
    /// <summary>
    /// <see cref="IObjectStore.TryLock"/> of the object stores (S3, Azure Blob), which have no lock of their own: held in
    /// this process only, so it keeps out the runs of this controller, not those of another machine.
    /// </summary>
    sealed class InProcessLock : IDisposable
    {
        static readonly ConcurrentDictionary<string, byte> s_held = new ConcurrentDictionary<string, byte>(StringComparer.Ordinal);
        string _name;

        InProcessLock(string name) { _name = name; }

        /// <summary>The lock on <paramref name="prefix"/> of the store at <paramref name="location"/>; null when held.</summary>
        public static IDisposable TryTake(string location, string prefix)
        {
            var name = location + "|" + (prefix ?? "").TrimEnd('/');
            return s_held.TryAdd(name, 0) ? new InProcessLock(name) : null;
        }

        public void Dispose()
        {
            var name = Interlocked.Exchange(ref _name, null);
            if (name != null) s_held.TryRemove(name, out _);
        }
    }
}
