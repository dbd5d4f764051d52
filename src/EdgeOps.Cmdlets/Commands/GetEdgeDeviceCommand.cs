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
        [ValidateNotNullOrEmpty]
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
                ThrowTerminatingError(ErrorRecords.For(e, path));
                return;
            }
            if (entries.Count == 0)
                WriteWarning($"The inventory '{path}' has no devices: add them under 'devices:' (see examples/fleet.yaml).");
            var namePatterns = (Name ?? Array.Empty<string>()).Select(n => new WildcardPattern(n, WildcardOptions.IgnoreCase)).ToList();
            foreach (var e in entries)
            {
                if (namePatterns.Count > 0 && !namePatterns.Any(p => p.IsMatch(e.Device.ComputerName))) continue;
                if (Tag != null && Tag.Length > 0 && !Tag.Any(t => e.Device.GetTags().Contains(t, StringComparer.OrdinalIgnoreCase))) continue;
                _properties[e.Device] = e.Properties;
                AddDevice(e.Device);
            }
            // A literal name that is not there is an error (a wildcard that matches nothing is not); a tag no device has, a warning.
            var names = entries.Select(e => e.Device.ComputerName).ToList();
            foreach (var n in Name ?? Array.Empty<string>())
                if (!WildcardPattern.ContainsWildcardCharacters(n) && !names.Contains(n, StringComparer.OrdinalIgnoreCase))
                    WriteError(ErrorRecords.For(Fleet.Inventory.DeviceNotFound(n, path, names), n));
            var tags = entries.SelectMany(e => e.Device.GetTags()).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
            foreach (var t in Tag ?? Array.Empty<string>())
                if (!tags.Contains(t, StringComparer.OrdinalIgnoreCase))
                    WriteWarning($"No device in '{path}' has the tag '{t}'" +
                                 (tags.Count == 0 ? ": the inventory has no tags." : $" (its tags: {string.Join(", ", tags.OrderBy(x => x, StringComparer.OrdinalIgnoreCase))})."));
        }

        protected override void EndProcessing()
        {
            // The local machine only when asked with no inventory at all (not an empty or filtered-out pipeline).
            if (!_any && !MyInvocation.ExpectingInput && !MyInvocation.BoundParameters.ContainsKey(nameof(Inventory)))
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
            // The inventory's 'vars:' in one property, so none of them can bind to a parameter downstream.
            if (_properties.TryGetValue(d, out var props) && props.Count > 0)
            {
                var vars = new PSObject();
                foreach (var kv in props) vars.Properties.Add(new PSNoteProperty(kv.Key, kv.Value));
                o.Properties.Add(new PSNoteProperty("Vars", vars));
            }
            return o;
        }

        protected override IEnumerable<object> ProcessDevice(IDeviceContext context)
        {
            var d = context.Device;
            DeviceFacts.Fill(d, context.Transport, context.Cancellation);
            yield return Describe(d);
        }
    }
}
