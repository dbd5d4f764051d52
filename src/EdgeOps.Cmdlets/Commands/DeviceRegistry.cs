using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;
using EdgeOps.Fleet;

namespace EdgeOps.Commands
{
    /// <summary>
    /// Turns the by-property-name parameters into an EdgeDevice. A name is looked up, in order, in the
    /// cmdlet's -Inventory, among the devices Get-EdgeDevice returned in this process (so results of other
    /// EdgeOps cmdlets, which carry only ComputerName, chain: Get-EdgeDevice | New-SwapFile | Install-TorchWheel),
    /// and in the object's own HostName. "localhost" and "." name the local machine. Any other name is an
    /// error that says where to find it, never a guess.
    /// This name lookup is the fleet layer's: the transport never looks a device up. A device's jump host travels on the
    /// device object (JumpHost, resolved when the inventory was read); only a ProxyJump given without it is resolved
    /// here, by the same names.
    /// </summary>
    sealed class DeviceRegistry
    {
        readonly string _inventory;
        readonly string _command;
        Dictionary<string, EdgeDevice> _fromInventory;

        public DeviceRegistry(string inventoryPath, string commandName) { _inventory = inventoryPath; _command = commandName; }

        public EdgeDevice Resolve(string computerName, string hostName, string transport, int port, string user,
            string identityFile, string proxyJump, string sudo, string kind, string knownHostsFile, string kexAlgorithms = null, object jumpHost = null)
        {
            if (string.IsNullOrEmpty(computerName) && string.IsNullOrEmpty(hostName) && string.IsNullOrEmpty(transport))
                return null;
            EdgeDevice known = null;
            if (!string.IsNullOrEmpty(computerName))
            {
                if (_inventory != null)
                {
                    if (_fromInventory == null)
                        _fromInventory = Inventory.Load(_inventory).ToDictionary(e => e.Device.ComputerName, e => e.Device, StringComparer.OrdinalIgnoreCase);
                    if (!_fromInventory.TryGetValue(computerName, out known))
                        throw Inventory.DeviceNotFound(computerName, _inventory, _fromInventory.Keys);
                }
                else KnownDevices.TryGet(computerName, out known);
            }
            bool local = string.Equals(transport, "local", StringComparison.OrdinalIgnoreCase);
            if (known == null && string.IsNullOrEmpty(hostName) && !local)
            {
                if (computerName == "." || string.Equals(computerName, "localhost", StringComparison.OrdinalIgnoreCase))
                    return EdgeDevice.Local();
                throw new EdgeOpsException("DeviceUnknown", "ObjectNotFound",
                    $"{computerName}: this session knows no device of that name and the input gives no HostName to reach it. " +
                    $"Read the inventory first (Get-EdgeDevice -Inventory fleet.yaml -Name {computerName} | {_command}) " +
                    "or give this cmdlet -Inventory fleet.yaml.")
                    { Device = computerName };
            }
            var d = known != null ? Clone(known) : new EdgeDevice { ComputerName = computerName ?? hostName, HostName = hostName ?? computerName };
            if (!string.IsNullOrEmpty(transport)) d.Transport = local ? "Local" : "Ssh";
            if (!string.IsNullOrEmpty(hostName)) d.HostName = hostName;
            if (port > 0) d.Port = port;
            if (!string.IsNullOrEmpty(user)) d.UserName = user;
            if (!string.IsNullOrEmpty(identityFile)) d.IdentityFile = identityFile;
            if (!string.IsNullOrEmpty(proxyJump)) d.ProxyJump = proxyJump;
            if (!string.IsNullOrEmpty(sudo)) d.SudoMode = sudo.ToLowerInvariant();
            if (!string.IsNullOrEmpty(kind)) d.Kind = kind;
            if (!string.IsNullOrEmpty(knownHostsFile)) d.KnownHostsFile = knownHostsFile;
            if (!string.IsNullOrEmpty(kexAlgorithms)) d.KexAlgorithms = kexAlgorithms;
            if (string.IsNullOrEmpty(d.ComputerName)) d.ComputerName = d.HostName;
            if (d.IsLocal && string.IsNullOrEmpty(d.UserName)) d.UserName = Environment.UserName;
            // the jump host the input carries, when it is the one ProxyJump names; else resolved by name or user@host:port
            var carried = JumpOf(jumpHost, 0);
            if (ProxyJumps.Leads(carried, d.ProxyJump)) d.JumpHost = carried;
            else if (!ProxyJumps.Leads(d.JumpHost, d.ProxyJump)) ProxyJumps.Resolve(d, Lookup);
            return d;
        }

        /// <summary>A device of this cmdlet's -Inventory, or one Get-EdgeDevice returned in this process.</summary>
        EdgeDevice Lookup(string name)
        {
            if (_fromInventory != null) return _fromInventory.TryGetValue(name, out var i) ? i : null;
            return KnownDevices.TryGet(name, out var k) ? k : null;
        }

        /// <summary>
        /// The JumpHost property of the input: the device object itself (this process), or its property bag when it was
        /// serialized (Import-Clixml, another runspace's output); a bare name (Import-Csv) is left to ProxyJump.
        /// </summary>
        static EdgeDevice JumpOf(object value, int depth)
        {
            var o = value is PSObject p ? p.BaseObject : value;
            if (o == null || o is string || depth > 16) return null;
            if (o is EdgeDevice e) return e;
            var bag = PSObject.AsPSObject(value);
            string S(string n) => bag.Properties[n]?.Value?.ToString();
            var host = S(nameof(EdgeDevice.HostName));
            if (string.IsNullOrEmpty(host)) return null;
            return new EdgeDevice
            {
                ComputerName = S(nameof(EdgeDevice.ComputerName)) ?? host, HostName = host,
                Port = int.TryParse(S(nameof(EdgeDevice.Port)), out var port) ? port : 22,
                UserName = S(nameof(EdgeDevice.UserName)), IdentityFile = S(nameof(EdgeDevice.IdentityFile)),
                KnownHostsFile = S(nameof(EdgeDevice.KnownHostsFile)), KexAlgorithms = S(nameof(EdgeDevice.KexAlgorithms)),
                Ciphers = S(nameof(EdgeDevice.Ciphers)), ProxyJump = S(nameof(EdgeDevice.ProxyJump)),
                JumpHost = JumpOf(bag.Properties[nameof(EdgeDevice.JumpHost)]?.Value, depth + 1),
            };
        }

        static EdgeDevice Clone(EdgeDevice d) => (EdgeDevice)typeof(object)
            .GetMethod("MemberwiseClone", System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.NonPublic)
            .Invoke(d, null);
    }
}
