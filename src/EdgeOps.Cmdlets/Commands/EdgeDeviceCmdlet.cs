using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Threading;
using EdgeOps.Fleet;
using EdgeOps.Transport;

namespace EdgeOps.Commands
{
    /// <summary>
    /// Fleet fan-out, in one place: connection parameters, devices worked on in parallel up to
    /// -ThrottleLimit, and every Write*/ShouldProcess call made on the pipeline thread.
    /// </summary>
    public abstract class FleetCmdlet : PSCmdlet
    {
        // ---- connection parameters: override the inventory's values ----
        [Parameter] public string KnownHostsPath { get; set; }
        [Parameter] public SwitchParameter AcceptNewHostKey { get; set; }
        [Parameter] [Credential] public PSCredential Credential { get; set; }
        [Parameter] [Credential] public PSCredential SudoCredential { get; set; }
        [Parameter] [ValidateRange(1, 3600)] public int ConnectTimeout { get; set; } = 15;
        [Parameter] [ValidateRange(1, 604800)] public int CommandTimeout { get; set; } = 1800;
        [Parameter] [ValidateRange(1, 256)] public int ThrottleLimit { get; set; } = 8;

        // object, not EdgeDevice: PowerShell loads cmdlet types before the engine's load context is hooked.
        readonly List<object> _devices = new List<object>();
        readonly CancellationTokenSource _stop = new CancellationTokenSource();
        readonly BlockingCollection<Action> _mainThread = new BlockingCollection<Action>();


        /// <summary>Per-device work, on a worker thread. Return values are written as output.</summary>
        protected abstract IEnumerable<object> ProcessDevice(IDeviceContext context);

        /// <summary>Called once on the pipeline thread before any device runs (validate parameters here).</summary>
        protected virtual void BeginFleet(IReadOnlyList<EdgeDevice> devices) { }

        /// <summary>Called on the pipeline thread after every device finished.</summary>
        protected virtual void EndFleet() { }

        /// <summary>Whether -Force was given (cmdlets that have it override this).</summary>
        protected virtual bool ForceRequested => false;

        /// <summary>Adds a device to the fleet this invocation works on.</summary>
        protected void AddDevice(EdgeDevice device) { if (device != null) _devices.Add(device); }

        /// <summary>The devices gathered so far.</summary>
        protected IReadOnlyList<EdgeDevice> GatheredDevices => _devices.Cast<EdgeDevice>().ToList();

        /// <summary>Runs ProcessDevice for every gathered device (none: the local machine).</summary>
        protected void RunGatheredDevices(bool localWhenEmpty = true)
        {
            if (_devices.Count == 0) { if (!localWhenEmpty) return; _devices.Add(EdgeDevice.Local()); }
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
            ConnectTimeout = TimeSpan.FromSeconds(ConnectTimeout),
            CommandTimeout = TimeSpan.FromSeconds(CommandTimeout),
        };

        void RunFleet()
        {
            var options = BuildOptions();
            var queue = new ConcurrentQueue<(EdgeDevice device, int index)>();
            for (int i = 0; i < _devices.Count; i++) queue.Enqueue(((EdgeDevice)_devices[i], i));
            int workers = Math.Min(ThrottleLimit, _devices.Count);
            int running = workers;
            var threads = new List<Thread>();
            for (int w = 0; w < workers; w++)
            {
                var t = new Thread(() =>
                {
                    try
                    {
                        while (!_stop.IsCancellationRequested && queue.TryDequeue(out var item))
                        {
                            RunOne(item.device, item.index, options);
                            ReportFleetProgress(Interlocked.Increment(ref _finished), item.device);
                        }
                    }
                    finally
                    {
                        if (Interlocked.Decrement(ref running) == 0) _mainThread.CompleteAdding();
                    }
                }) { IsBackground = true, Name = "EdgeOps fleet worker" };
                threads.Add(t);
                t.Start();
            }
            // Pump: every Write*/ShouldProcess call happens here, on the pipeline thread.
            try
            {
                foreach (var action in _mainThread.GetConsumingEnumerable(_stop.Token)) action();
            }
            catch (OperationCanceledException) { }
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
            int total = _devices.Count;
            if (total < 2) return;
            var activity = MyInvocation.MyCommand.Name;
            var record = new ProgressRecord(0, activity, $"{finished} of {total} devices done (last: {last.ComputerName})")
            {
                PercentComplete = finished * 100 / total,
                RecordType = finished == total ? ProgressRecordType.Completed : ProgressRecordType.Processing,
            };
            Post(() => WriteProgress(record));
        }

        void RunOne(EdgeDevice device, int index, ConnectionOptions options)
        {
            var ctx = new CmdletDeviceContext(this, device, index, options);
            try
            {
                foreach (var result in ProcessDevice(ctx))
                {
                    if (result == null) continue;
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
            finally
            {
                ctx.Complete();
            }
        }

        internal void Post(Action a)
        {
            try { _mainThread.Add(a); } catch (InvalidOperationException) { /* pump finished: stopping */ }
        }

        /// <summary>Runs a function on the pipeline thread and waits for its answer.</summary>
        internal T Ask<T>(Func<T> f)
        {
            var done = new ManualResetEventSlim();
            T value = default;
            Exception error = null;
            Post(() => { try { value = f(); } catch (Exception e) { error = e; } finally { done.Set(); } });
            try { done.Wait(_stop.Token); }
            catch (OperationCanceledException) { throw; }
            if (error != null) throw error;
            return value;
        }

        internal bool IsForce => ForceRequested;
        /// <summary>-WhatIf given, or $WhatIfPreference set; read once on the pipeline thread before the fan-out.</summary>
        internal bool IsWhatIf { get; private set; }

        void CaptureWhatIf()
        {
            if (MyInvocation.BoundParameters.TryGetValue("WhatIf", out var w))
                IsWhatIf = w is SwitchParameter s && s.IsPresent;
            else
                IsWhatIf = LanguagePrimitives.IsTrue(SessionState.PSVariable.GetValue("WhatIfPreference", false));
        }
        internal CancellationToken Token => _stop.Token;
    }

    /// <summary>
    /// The base of every device cmdlet: the device arrives from the pipeline by property name
    /// (Get-EdgeDevice output, Import-Csv rows, results of other EdgeOps cmdlets) or as -ComputerName.
    /// </summary>
    public abstract class EdgeDeviceCmdlet : FleetCmdlet
    {
        // ---- the device, bound by property name (Get-EdgeDevice output, Import-Csv rows, ...) ----
        [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
        [ArgumentCompleter(typeof(DeviceNameCompleter))]
        [Alias("Device", "DeviceName")]
        public string ComputerName { get; set; }

        [Parameter(ValueFromPipelineByPropertyName = true)]
        [Alias("Address")]
        public string HostName { get; set; }

        [Parameter(ValueFromPipelineByPropertyName = true)]
        [ValidateSet("Ssh", "Local", IgnoreCase = true)]
        public string Transport { get; set; }

        [Parameter(ValueFromPipelineByPropertyName = true)]
        [ValidateRange(0, 65535)]
        public int Port { get; set; }

        [Parameter(ValueFromPipelineByPropertyName = true)]
        [Alias("User")]
        public string UserName { get; set; }

        [Parameter(ValueFromPipelineByPropertyName = true)]
        public string IdentityFile { get; set; }

        [Parameter(ValueFromPipelineByPropertyName = true)]
        public string ProxyJump { get; set; }

        [Parameter(ValueFromPipelineByPropertyName = true)]
        [ValidateSet("none", "nopasswd", "password", IgnoreCase = true)]
        public string SudoMode { get; set; }

        [Parameter(ValueFromPipelineByPropertyName = true)]
        [ArgumentCompleter(typeof(DeviceKindCompleter))]
        public string Kind { get; set; }

        [Parameter(ValueFromPipelineByPropertyName = true)]
        public string KnownHostsFile { get; set; }

        [Parameter(ValueFromPipelineByPropertyName = true)]
        public string KexAlgorithms { get; set; }

        protected override void ProcessRecord()
        {
            AddDevice(DeviceRegistry.Resolve(ComputerName, HostName, Transport, Port, UserName, IdentityFile,
                                             ProxyJump, SudoMode, Kind, KnownHostsFile, KexAlgorithms));
        }
    }
}
