using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Reflection;
using System.Threading;
using EdgeOps.Fleet;
using EdgeOps.Transport;

namespace EdgeOps.Commands
{
    /// <summary>
    /// Fleet fan-out, in one place: connection parameters, work items (one per piped object, grouped by
    /// device) run in parallel up to -ThrottleLimit, and every Write*/ShouldProcess call made on the
    /// pipeline thread.
    /// <para>Safety rules that live here, so no cmdlet can forget them:</para>
    /// <list type="bullet">
    /// <item>The local machine is a target only when a cmdlet gets no pipeline input at all and no device
    /// parameter (<see cref="TargetsLocalWhenEmpty"/>); pipeline input that turns out empty does nothing.</item>
    /// <item>Under -WhatIf a cmdlet that changes things writes no objects: the plan goes to the WhatIf
    /// messages, so nothing downstream can act on a change that did not happen.</item>
    /// <item>Two work items for the same device run one after the other, never at once.</item>
    /// </list>
    /// </summary>
    public abstract class FleetCmdlet : PSCmdlet
    {
        // ---- connection parameters: override the inventory's values ----
        [Parameter] public string KnownHostsPath { get; set; }
        [Parameter] public SwitchParameter AcceptNewHostKey { get; set; }
        [Parameter] [Credential] public PSCredential Credential { get; set; }
        [Parameter] [Credential] public PSCredential SudoCredential { get; set; }
        [Parameter] public System.Security.SecureString KeyPassphrase { get; set; }
        [Parameter] [ValidateRange(1, 3600)] public int ConnectTimeout { get; set; } = 15;
        [Parameter] [ValidateRange(1, 604800)] public int CommandTimeout { get; set; } = 1800;
        [Parameter] [ValidateRange(1, 256)] public int ThrottleLimit { get; set; } = 8;
        /// <summary>Write results in the order the devices came in, not as they finish.</summary>
        [Parameter] public SwitchParameter InputOrder { get; set; }

        // object, not DeviceWork/EdgeDevice: PowerShell loads cmdlet types before the engine's load context is hooked.
        readonly List<object> _work = new List<object>();
        readonly Dictionary<string, object> _workByDevice = new Dictionary<string, object>(StringComparer.OrdinalIgnoreCase);
        readonly CancellationTokenSource _stop = new CancellationTokenSource();
        readonly PipelinePump _pump;

        protected FleetCmdlet() { _pump = new PipelinePump(_stop.Token); }

        /// <summary>Per-device work, on a worker thread, once per work item. Return values are written as output.</summary>
        protected abstract IEnumerable<object> ProcessDevice(IDeviceContext context);

        /// <summary>
        /// The values of the current pipeline object that belong to it rather than to its device (a swap file's
        /// Path, a backup image): called in ProcessRecord, read back in ProcessDevice with <see cref="ItemOf"/>.
        /// Equal values for one device are one work item. Default: nothing (one work item per device).
        /// </summary>
        protected virtual object CaptureItem() => null;

        /// <summary>The value <see cref="CaptureItem"/> returned for the work item being processed.</summary>
        protected static object ItemOf(IDeviceContext context) => (context as CmdletDeviceContext)?.Item;

        /// <summary>Called once on the pipeline thread before any device runs (validate parameters here).</summary>
        protected virtual void BeginFleet(IReadOnlyList<EdgeDevice> devices) { }

        /// <summary>Called on the pipeline thread after every device finished.</summary>
        protected virtual void EndFleet() { }

        /// <summary>Whether -Force was given (cmdlets that have it override this).</summary>
        protected virtual bool ForceRequested => false;

        /// <summary>
        /// Whether no device at all means the local machine. True only when nothing was piped in (not even an
        /// empty pipeline); device cmdlets also require that no device parameter was given.
        /// </summary>
        protected virtual bool TargetsLocalWhenEmpty => !MyInvocation.ExpectingInput;

        /// <summary>Adds a work item (the device and <see cref="CaptureItem"/>'s value) to this invocation.</summary>
        protected void AddDevice(EdgeDevice device)
        {
            if (device == null) return;
            var item = CaptureItem();
            var key = string.Join("|", device.Transport, device.ComputerName, device.HostName, device.Port, device.UserName);
            if (!_workByDevice.TryGetValue(key, out var o))
            {
                o = new DeviceWork(device, _work.Count);
                _workByDevice[key] = o;
                _work.Add(o);
            }
            var w = (DeviceWork)o;
            if (!w.Items.Any(i => Equals(i, item))) w.Items.Add(item);
        }

        /// <summary>The devices gathered so far, in input order.</summary>
        protected IReadOnlyList<EdgeDevice> GatheredDevices => _work.Cast<DeviceWork>().Select(w => w.Device).ToList();

        /// <summary>Runs ProcessDevice for every work item. None: the local machine if <see cref="TargetsLocalWhenEmpty"/>.</summary>
        protected void RunGatheredDevices(bool localWhenEmpty = true)
        {
            if (_work.Count == 0)
            {
                if (!localWhenEmpty || !TargetsLocalWhenEmpty)
                {
                    WriteVerbose("No device came through the pipeline or the device parameters: nothing to do. " +
                                 "(The local machine is a target only when the cmdlet gets no pipeline input and no -ComputerName.)");
                    return;
                }
                AddDevice(EdgeDevice.Local());
            }
            CaptureWhatIf();
            BeginFleet(GatheredDevices);
            RunFleet();
            EndFleet();
        }

        protected override void EndProcessing() => RunGatheredDevices();

        protected override void StopProcessing() => _stop.Cancel();

        ConnectionOptions BuildOptions() => new ConnectionOptions
        {
            KnownHostsPath = KnownHostsPath,
            AcceptNewHostKey = AcceptNewHostKey.IsPresent,
            Credential = Credential?.GetNetworkCredential(),
            SudoCredential = SudoCredential?.GetNetworkCredential(),
            KeyPassphrase = KeyPassphrase == null ? null : new System.Net.NetworkCredential("", KeyPassphrase).Password,
            ConnectTimeout = TimeSpan.FromSeconds(ConnectTimeout),
            CommandTimeout = TimeSpan.FromSeconds(CommandTimeout),
        };

        void RunFleet()
        {
            var options = BuildOptions();
            var queue = new ConcurrentQueue<DeviceWork>(_work.Cast<DeviceWork>());
            int workers = Math.Min(ThrottleLimit, _work.Count);
            int running = workers;
            var threads = new List<Thread>();
            for (int w = 0; w < workers; w++)
            {
                var t = new Thread(() =>
                {
                    try
                    {
                        while (!_stop.IsCancellationRequested && queue.TryDequeue(out var work))
                        {
                            RunOne(work, options);
                            ReportFleetProgress(Interlocked.Increment(ref _finished), work.Device);
                        }
                    }
                    finally
                    {
                        if (Interlocked.Decrement(ref running) == 0) _pump.Complete();
                    }
                }) { IsBackground = true, Name = "EdgeOps fleet worker" };
                threads.Add(t);
                t.Start();
            }
            // Every Write*/ShouldProcess call happens here, on the pipeline thread.
            try { _pump.Run(); }
            catch (PipelineStoppedException) { _stop.Cancel(); throw; }
            finally
            {
                if (_stop.IsCancellationRequested)
                    foreach (var t in threads) t.Join(TimeSpan.FromSeconds(10));
            }
        }

        int _finished;

        /// <summary>Overall progress over the fleet (activity 0), when there is more than one device.</summary>
        void ReportFleetProgress(int finished, EdgeDevice last)
        {
            int total = _work.Count;
            if (total < 2) return;
            var activity = MyInvocation.MyCommand.Name;
            var record = new ProgressRecord(0, activity, $"{finished} of {total} devices done (last: {last.ComputerName})")
            {
                PercentComplete = finished * 100 / total,
                RecordType = finished == total ? ProgressRecordType.Completed : ProgressRecordType.Processing,
            };
            Post(() => WriteProgress(record));
        }

        /// <summary>Under -WhatIf a changing cmdlet writes nothing: its plan is in the WhatIf messages.</summary>
        bool OutputSuppressed { get; set; }

        void RunOne(DeviceWork work, ConnectionOptions options)
        {
            var device = work.Device;
            var ctx = new CmdletDeviceContext(this, device, work.Index, options);
            var held = InputOrder ? new List<object>() : null;
            try
            {
                foreach (var item in work.Items)
                {
                    if (_stop.IsCancellationRequested) break;
                    ctx.Item = item;
                    try
                    {
                        foreach (var result in ProcessDevice(ctx))
                        {
                            if (result == null || OutputSuppressed) continue;
                            if (held != null) { held.Add(result); continue; }
                            var r = result;
                            Post(() => WriteObject(r));
                        }
                    }
                    catch (OperationCanceledException) when (_stop.IsCancellationRequested) { }
                    catch (Exception ex) when (!(ex is PipelineStoppedException))
                    {
                        var record = ErrorRecords.ForDevice(ex, device);
                        Post(() => WriteError(record));
                    }
                }
            }
            finally
            {
                ctx.Complete();
                if (held != null) Post(() => Release(work.Index, held));
            }
        }

        // -InputOrder: results of device i are written once every device before it has finished.
        readonly SortedDictionary<int, List<object>> _finishedOutput = new SortedDictionary<int, List<object>>();
        int _nextToWrite;

        void Release(int index, List<object> output)
        {
            _finishedOutput[index] = output;
            while (_finishedOutput.TryGetValue(_nextToWrite, out var next))
            {
                _finishedOutput.Remove(_nextToWrite++);
                foreach (var o in next) WriteObject(o);
            }
        }

        internal void Post(Action a) => _pump.Post(a);

        /// <summary>Runs a function on the pipeline thread and waits for its answer.</summary>
        internal T Ask<T>(Func<T> f) => _pump.Ask(f);

        internal bool IsForce => ForceRequested;
        /// <summary>-WhatIf given, or $WhatIfPreference set; read once on the pipeline thread before the fan-out.</summary>
        internal bool IsWhatIf { get; private set; }

        void CaptureWhatIf()
        {
            if (MyInvocation.BoundParameters.TryGetValue("WhatIf", out var w))
                IsWhatIf = w is SwitchParameter s && s.IsPresent;
            else
                IsWhatIf = LanguagePrimitives.IsTrue(SessionState.PSVariable.GetValue("WhatIfPreference", false));
            // decided once per invocation, not per result object on the workers
            OutputSuppressed = IsWhatIf && (GetType().GetCustomAttribute<CmdletAttribute>()?.SupportsShouldProcess ?? false);
        }
        internal CancellationToken Token => _stop.Token;

        /// <summary>One device's work items, in the order they came in.</summary>
        sealed class DeviceWork
        {
            public DeviceWork(EdgeDevice device, int index) { Device = device; Index = index; }
            public EdgeDevice Device { get; }
            public int Index { get; }
            public List<object> Items { get; } = new List<object>();
        }
    }
}
