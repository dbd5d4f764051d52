using System;
using System.Collections.Generic;
using System.Management.Automation;
using System.Threading;
using EdgeOps.Fleet;
using EdgeOps.Transport;

namespace EdgeOps.Commands
{
    /// <summary>IDeviceContext for a cmdlet: everything user-facing is posted to the pipeline thread.</summary>
    sealed class CmdletDeviceContext : IDeviceContext
    {
        readonly FleetCmdlet _cmdlet;
        readonly int _index;
        readonly ConnectionOptions _options;
        IDeviceTransport _transport;
        readonly Dictionary<string, (int id, RateMeter meter)> _activities = new Dictionary<string, (int, RateMeter)>();

        public CmdletDeviceContext(FleetCmdlet cmdlet, EdgeDevice device, int index, ConnectionOptions options)
        {
            _cmdlet = cmdlet; Device = device; _index = index; _options = options;
        }

        public EdgeDevice Device { get; }
        /// <summary>The work item's own values (see FleetCmdlet.CaptureItem).</summary>
        internal object Item { get; set; }
        public CancellationToken Cancellation => _cmdlet.Token;
        public bool WhatIf => _cmdlet.IsWhatIf;
        public bool Force => _cmdlet.IsForce;

        public IDeviceTransport Transport
        {
            get
            {
                if (_transport == null)
                {
                    Verbose($"Connecting to {Device.ComputerName} ({(Device.IsLocal ? "local" : Device.UserName + "@" + Device.HostName + ":" + Device.Port)}).");
                    _transport = TransportFactory.Open(Device, _options, Cancellation);
                }
                return _transport;
            }
        }

        public void Verbose(string message)
        {
            var m = $"[{Device.ComputerName}] {message}";
            _cmdlet.Post(() => _cmdlet.WriteVerbose(m));
        }

        public void Warning(string message)
        {
            var m = $"[{Device.ComputerName}] {message}";
            _cmdlet.Post(() => _cmdlet.WriteWarning(m));
        }

        public void Progress(string activity, string status, long done, long total)
        {
            if (!_activities.TryGetValue(activity, out var a))
            {
                a = ((_index + 1) * 16 + _activities.Count, new RateMeter());
                _activities[activity] = a;
            }
            var record = ProgressText.Bytes(new ProgressRecord(a.id, $"{Device.ComputerName}: {activity}", "..."), status, done, total, a.meter);
            _cmdlet.Post(() => _cmdlet.WriteProgress(record));
        }

        public void ProgressDone(string activity)
        {
            if (!_activities.TryGetValue(activity, out var a)) return;
            _activities.Remove(activity);
            var record = new ProgressRecord(a.id, $"{Device.ComputerName}: {activity}", "Done") { RecordType = ProgressRecordType.Completed };
            _cmdlet.Post(() => _cmdlet.WriteProgress(record));
        }

        public bool ShouldProcess(string target, string action) =>
            _cmdlet.Ask(() => _cmdlet.ShouldProcess($"{Device.ComputerName}: {target}", action));

        internal void Complete()
        {
            foreach (var name in new List<string>(_activities.Keys)) ProgressDone(name);
            // The transport stays pooled for reuse across cmdlets (TransportFactory owns it).
        }
    }
}
