using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using EdgeOps.Fleet;

namespace EdgeOps.Commands
{
    [Cmdlet(VerbsCommon.Get, "EdgeDevice", DefaultParameterSetName = "Inventory")]
    [OutputType(typeof(EdgeDevice))]
    public sealed class GetEdgeDeviceCommand : FleetCmdlet
    {
        [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
        [Alias("Path", "FullName")]
        public string Inventory { get; set; }

        [Parameter(Position = 1)]
        [SupportsWildcards]
        [ArgumentCompleter(typeof(DeviceNameCompleter))]
        public string[] Name { get; set; }

        [Parameter]
        public string[] Tag { get; set; }

        [Parameter]
        public SwitchParameter Probe { get; set; }

        // keyed by EdgeDevice, typed object: no engine types in cmdlet fields (see ModuleInit)
        readonly Dictionary<object, IDictionary<string, string>> _properties = new Dictionary<object, IDictionary<string, string>>();
        bool _any;

        protected override void ProcessRecord()
        {
            if (string.IsNullOrEmpty(Inventory)) return;
            _any = true;
            string path = GetUnresolvedProviderPathFromPSPath(Inventory);
            IReadOnlyList<Inventory.Entry> entries;
            try { entries = Fleet.Inventory.Load(path); }
            catch (EdgeOpsException e)
            {
                ThrowTerminatingError(new ErrorRecord(e, e.ErrorId, e.Category == "ObjectNotFound" ? ErrorCategory.ObjectNotFound : ErrorCategory.InvalidData, path));
                return;
            }
            var namePatterns = (Name ?? Array.Empty<string>()).Select(n => new WildcardPattern(n, WildcardOptions.IgnoreCase)).ToList();
            foreach (var e in entries)
            {
                if (namePatterns.Count > 0 && !namePatterns.Any(p => p.IsMatch(e.Device.ComputerName))) continue;
                if (Tag != null && Tag.Length > 0 && !Tag.Any(t => e.Device.GetTags().Contains(t, StringComparer.OrdinalIgnoreCase))) continue;
                _properties[e.Device] = e.Properties;
                AddDevice(e.Device);
            }
        }

        protected override void EndProcessing()
        {
            if (!_any)
            {
                var local = EdgeDevice.Local();
                if (Name == null || Name.Any(n => new WildcardPattern(n, WildcardOptions.IgnoreCase).IsMatch(local.ComputerName)))
                    AddDevice(local);
            }
            if (Probe) { RunGatheredDevices(localWhenEmpty: false); return; }
            // Without -Probe nothing is contacted: devices come out in inventory order.
            foreach (var d in GatheredDevices) WriteObject(Describe(d));
        }

        PSObject Describe(EdgeDevice d)
        {
            KnownDevices.Remember(d);
            var o = new PSObject(d);
            if (_properties.TryGetValue(d, out var props))
                foreach (var kv in props) o.Properties.Add(new PSNoteProperty(kv.Key, kv.Value));
            return o;
        }

        protected override IEnumerable<object> ProcessDevice(IDeviceContext context)
        {
            var d = context.Device;
            DeviceFacts.Fill(d, context.Transport, context.Cancellation);
            yield return Describe(d);
        }
    }

    [Cmdlet(VerbsDiagnostic.Test, "EdgeDevice")]
    [OutputType(typeof(DeviceStatus))]
    public sealed class TestEdgeDeviceCommand : EdgeDeviceCmdlet
    {
        protected override IEnumerable<object> ProcessDevice(IDeviceContext context)
        {
            yield return DevicePing.Test(context);
        }
    }

    [Cmdlet(VerbsLifecycle.Invoke, "EdgeCommand", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
    [OutputType(typeof(CommandOutput))]
    public sealed class InvokeEdgeCommandCommand : EdgeDeviceCmdlet
    {
        [Parameter(Mandatory = true)]
        [ValidateNotNullOrEmpty]
        public string Command { get; set; }

        [Parameter]
        public SwitchParameter Sudo { get; set; }

        [Parameter]
        public SwitchParameter PassThru { get; set; }

        protected override IEnumerable<object> ProcessDevice(IDeviceContext context)
        {
            if (!context.ShouldProcess(Command, Sudo ? "Run as root" : "Run")) yield break;
            var r = context.Transport.Run(EdgeOps.Transport.ShellCommand.UserSupplied(Command),
                Sudo ? EdgeOps.Transport.CommandOptions.Root : EdgeOps.Transport.CommandOptions.Default, context.Cancellation);
            var result = new CommandOutput
            {
                ComputerName = context.Device.ComputerName, ExitCode = r.ExitCode,
                Stdout = r.Stdout, Stderr = r.Stderr, Seconds = Math.Round(r.Elapsed.TotalSeconds, 3),
            };
            context.Verbose($"exit code {r.ExitCode} after {result.Seconds} s");
            if (r.ExitCode != 0 && !PassThru)
                throw new EdgeOpsException("EdgeCommandFailed", "InvalidResult",
                    $"{context.Device.ComputerName}: command exited with code {r.ExitCode}: {r.Stderr.Trim()}");
            yield return result;
        }
    }
}
