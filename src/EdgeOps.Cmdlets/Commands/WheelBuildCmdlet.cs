using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Threading;

namespace EdgeOps.Commands
{
    /// <summary>
    /// Build ids by device, as they arrive: a WheelBuild object carries its Id and ComputerName (both bound by
    /// property name), -Id on the command line applies to every device. The first worker of a device takes all
    /// of that device's ids, so a host piped several times (one record per build) is worked on once.
    /// </summary>
    sealed class PipedBuildIds
    {
        readonly ConcurrentDictionary<string, List<string>> _ids = new ConcurrentDictionary<string, List<string>>(StringComparer.OrdinalIgnoreCase);
        readonly ConcurrentDictionary<string, bool> _seen = new ConcurrentDictionary<string, bool>(StringComparer.OrdinalIgnoreCase);

        public void Add(string computerName, string[] ids)
        {
            var list = _ids.GetOrAdd(computerName ?? "", _ => new List<string>());
            lock (list)
                foreach (var id in ids ?? new string[0])
                    if (!string.IsNullOrEmpty(id) && !list.Contains(id)) list.Add(id);
        }

        /// <summary>False when another worker already took this device. Ids: empty when none were given.</summary>
        public bool Take(string computerName, bool onlyDevice, out List<string> ids)
        {
            var found = new List<string>();
            ids = found;
            if (!_seen.TryAdd(computerName ?? "", true)) return false;
            foreach (var key in new[] { computerName ?? "", onlyDevice ? "" : null }.Where(k => k != null).Distinct())
                if (_ids.TryGetValue(key, out var list)) lock (list) found.AddRange(list.Where(i => !found.Contains(i)));
            return true;
        }
    }

    /// <summary>The base of Start-, Get-, Wait- and Stop-WheelBuild: the build folder's root and the ids from the pipeline.</summary>
    public abstract class WheelBuildCmdlet : EdgeDeviceCmdlet
    {
        /// <summary>Where builds live on the build host; default ~/.local/state/edgeops/builds.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string BuildRoot { get; set; }

        /// <summary>The -Id value of the current pipeline record (null when the cmdlet has none or it was not given).</summary>
        protected abstract string[] RecordIds { get; }

        internal readonly PipedBuildIds Ids = new PipedBuildIds();
        int _records;

        protected override void ProcessRecord()
        {
            base.ProcessRecord();
            Ids.Add(LastAddedDeviceName ?? "", RecordIds);
            Interlocked.Increment(ref _records);
        }

        /// <summary>The ids for a device's worker; false for a repeated device (already worked on).</summary>
        internal bool TakeIds(EdgeDevice device, out List<string> ids) =>
            Ids.Take(device.ComputerName, GatheredDevices.Count <= 1, out ids);

        static int s_activity = 1000;
        internal static int NextActivityId() => Interlocked.Increment(ref s_activity);
    }
}
