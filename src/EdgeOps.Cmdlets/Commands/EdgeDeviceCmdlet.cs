using System;
using System.Linq;
using System.Management.Automation;

namespace EdgeOps.Commands
{
    /// <summary>
    /// The base of every device cmdlet: the device arrives from the pipeline by property name
    /// (Get-EdgeDevice output, Import-Csv rows, results of other EdgeOps cmdlets) or as -ComputerName,
    /// resolved through -Inventory, the devices Get-EdgeDevice returned in this session, or the object's
    /// own HostName.
    /// </summary>
    public abstract class EdgeDeviceCmdlet : FleetCmdlet
    {
        // ---- the device, bound by property name (Get-EdgeDevice output, Import-Csv rows, ...) ----
        [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
        [ArgumentCompleter(typeof(DeviceNameCompleter))]
        [Alias("Device", "DeviceName")]
        public string[] ComputerName { get; set; }

        /// <summary>An inventory to look -ComputerName up in (not bound from the pipeline).</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string Inventory { get; set; }

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

        static readonly string[] s_deviceParameters = { nameof(ComputerName), nameof(HostName), nameof(Transport), nameof(Inventory) };

        /// <summary>Whether -ComputerName, -HostName, -Transport or -Inventory was given (even empty).</summary>
        protected bool DeviceParametersGiven => s_deviceParameters.Any(p => MyInvocation.BoundParameters.ContainsKey(p));

        /// <summary>Whether a pipeline object named a device that could not be resolved (an error was written for it).</summary>
        protected bool DeviceInputFailed { get; private set; }

        /// <summary>No device at all means the local machine only with no pipeline input and no device parameter.</summary>
        protected override bool TargetsLocalWhenEmpty => base.TargetsLocalWhenEmpty && !DeviceParametersGiven;

        object _resolver;   // DeviceRegistry, held as object (see FleetCmdlet)

        protected override void ProcessRecord()
        {
            if (_resolver == null)
            {
                var inventory = string.IsNullOrEmpty(Inventory) ? null : GetUnresolvedProviderPathFromPSPath(Inventory);
                _resolver = new DeviceRegistry(inventory, MyInvocation.MyCommand.Name);
            }
            var registry = (DeviceRegistry)_resolver;
            var names = (ComputerName ?? Array.Empty<string>()).Where(n => !string.IsNullOrWhiteSpace(n)).ToList();
            if (names.Count == 0)
            {
                if (string.IsNullOrEmpty(HostName) && string.IsNullOrEmpty(Transport))
                {
                    if (MyInvocation.BoundParameters.ContainsKey(nameof(ComputerName)) || MyInvocation.ExpectingInput)
                    {
                        WriteError(ErrorRecords.NoDeviceNamed(MyInvocation.ExpectingInput));
                        DeviceInputFailed = true;
                    }
                    return;
                }
                names.Add(null);
            }
            foreach (var name in names)
            {
                EdgeDevice device;
                try
                {
                    device = registry.Resolve(name, HostName, Transport, Port, UserName, IdentityFile,
                                              ProxyJump, SudoMode, Kind, KnownHostsFile, KexAlgorithms);
                }
                catch (EdgeOpsException e)
                {
                    if (e.ErrorId == "InventoryNotFound" || e.ErrorId == "InventoryInvalid")
                        ThrowTerminatingError(ErrorRecords.For(e, Inventory));
                    WriteError(ErrorRecords.For(e, name));
                    DeviceInputFailed = true;
                    continue;
                }
                AddDevice(device);
            }
        }
    }
}
