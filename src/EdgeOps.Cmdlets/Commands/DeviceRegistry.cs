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
    /// Turns the by-property-name parameters into an EdgeDevice. A result object of another EdgeOps
    /// cmdlet carries only ComputerName; the registry remembers the devices Get-EdgeDevice returned in
    /// this process so such objects chain (Get-EdgeDevice | New-SwapFile | Install-TorchWheel).
    /// </summary>
    static class DeviceRegistry
    {
        public static EdgeDevice Resolve(string computerName, string hostName, string transport, int port, string user,
            string identityFile, string proxyJump, string sudo, string kind, string knownHostsFile, string kexAlgorithms = null)
        {
            if (string.IsNullOrEmpty(computerName) && string.IsNullOrEmpty(hostName) && string.IsNullOrEmpty(transport))
                return null;
            EdgeDevice known = null;
            if (!string.IsNullOrEmpty(computerName)) KnownDevices.TryGet(computerName, out known);
            var d = known != null ? Clone(known) : new EdgeDevice { ComputerName = computerName ?? hostName, HostName = hostName ?? computerName };
            if (!string.IsNullOrEmpty(transport)) d.Transport = transport.Equals("local", StringComparison.OrdinalIgnoreCase) ? "Local" : "Ssh";
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
