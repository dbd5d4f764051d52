using System;
using System.Collections.Concurrent;
using System.Collections.Generic;

namespace EdgeOps.Fleet
{
    /// <summary>Devices returned by Get-EdgeDevice in this process, by name: for chaining and tab completion.</summary>
    public static class KnownDevices
    {
        static readonly ConcurrentDictionary<string, EdgeDevice> s_devices =
            new ConcurrentDictionary<string, EdgeDevice>(StringComparer.OrdinalIgnoreCase);

        public static void Remember(EdgeDevice d)
        {
            if (!string.IsNullOrEmpty(d?.ComputerName)) s_devices[d.ComputerName] = d;
        }

        public static bool TryGet(string name, out EdgeDevice d) => s_devices.TryGetValue(name, out d);

        public static IEnumerable<string> Names() => s_devices.Keys;
    }
}
