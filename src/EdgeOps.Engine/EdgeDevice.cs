using System;

namespace EdgeOps
{
    /// <summary>
    /// One device of the fleet, as read from the inventory (and, with -Probe, filled with live facts).
    /// Property names are the pipeline contract: every device cmdlet binds these by property name.
    /// </summary>
    public sealed class EdgeDevice
    {
        public string ComputerName { get; set; }
        /// <summary>"Ssh" or "Local".</summary>
        public string Transport { get; set; } = "Ssh";
        public string HostName { get; set; }
        public int Port { get; set; } = 22;
        public string UserName { get; set; }
        public string IdentityFile { get; set; }
        /// <summary>The jump host as written: a device name of the same inventory, user@host:port, or a comma list of them.</summary>
        public string ProxyJump { get; set; }
        /// <summary>
        /// <see cref="ProxyJump"/> resolved when the inventory was read: the jump host's own connection data (and its
        /// jump, for chained jumps). The transport connects through this and nothing else, so the device object
        /// connects the same way in any runspace or process it is piped into.
        /// </summary>
        public EdgeDevice JumpHost { get; set; }
        /// <summary>none, nopasswd or password.</summary>
        public string SudoMode { get; set; } = "nopasswd";
        public string KnownHostsFile { get; set; }
        /// <summary>Key exchange algorithms to offer, in ssh_config's KexAlgorithms syntax; empty = SSH.NET's defaults.</summary>
        public string KexAlgorithms { get; set; }
        /// <summary>Ciphers to offer, in ssh_config's Ciphers syntax; empty = SSH.NET's without the legacy CBC/3DES ones.</summary>
        public string Ciphers { get; set; }
        /// <summary>One of <see cref="Fleet.DeviceKinds.Known"/> (raspberrypi4, jetson-orin, ... or generic).</summary>
        public string Kind { get; set; } = "generic";
        /// <summary>Comma-separated tags (flat, so Export-Csv gives one clean column).</summary>
        public string Tags { get; set; } = "";
        public string Inventory { get; set; }

        // Live facts, filled by -Probe.
        public bool Probed { get; set; }
        public string Model { get; set; }
        /// <summary>The kind the board's device-tree model names (<see cref="Fleet.DeviceKinds.FromModel"/>); null when it has none.</summary>
        public string DetectedKind { get; set; }
        public string Architecture { get; set; }
        public long MemoryBytes { get; set; }
        public long SwapBytes { get; set; }
        public long RootFreeBytes { get; set; }
        public string OS { get; set; }
        public string Kernel { get; set; }
        public string PythonVersion { get; set; }
        public string L4TVersion { get; set; }

        public bool IsLocal => string.Equals(Transport, "Local", StringComparison.OrdinalIgnoreCase);

        public string[] GetTags() =>
            (Tags ?? "").Split(new[] { ',' }, StringSplitOptions.RemoveEmptyEntries);

        public override string ToString() => ComputerName;

        public static EdgeDevice Local() => new EdgeDevice
        {
            ComputerName = Environment.MachineName.ToLowerInvariant(),
            Transport = "Local",
            HostName = "localhost",
            UserName = Environment.UserName,
            SudoMode = "nopasswd",
            Kind = "generic",
        };
    }
}
