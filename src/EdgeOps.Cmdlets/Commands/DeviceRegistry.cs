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
    /// </summary>
    sealed class DeviceRegistry
    {
        readonly string _inventory;
        readonly string _command;
        Dictionary<string, EdgeDevice> _fromInventory;

        public DeviceRegistry(string inventoryPath, string commandName) { _inventory = inventoryPath; _command = commandName; }

        public EdgeDevice Resolve(string computerName, string hostName, string transport, int port, string user,
            string identityFile, string proxyJump, string sudo, string kind, string knownHostsFile, string kexAlgorithms = null)
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
            return d;
        }

        static EdgeDevice Clone(EdgeDevice d) => (EdgeDevice)typeof(object)
            .GetMethod("MemberwiseClone", System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.NonPublic)
            .Invoke(d, null);
    }
}
