namespace EdgeOps.Tests.Fleet;

/// <summary>
/// The kinds of device a <see cref="SimulatedFleet"/> can start. A kind is the inventory's kind, and for the boards'
/// own platforms "-arm64" or "-armhf": the Debian tree (tests/fleet/tree.sh) whose userland the device runs under
/// qemu-user-static. Without a suffix the device runs this machine's userland.
/// </summary>
public static class SimulatedKinds
{
    public const string Pi4 = "raspberrypi4";
    public const string Pi5 = "raspberrypi5";
    public const string JetsonNano = "jetson-nano";
    /// <summary>Raspberry Pi 4 with a 64-bit Raspberry Pi OS-like userland: `uname -m` aarch64, a Pi 4's /proc/cpuinfo.</summary>
    public const string Pi4Arm64 = "raspberrypi4-arm64";
    /// <summary>Raspberry Pi 3 with a 32-bit (armhf) Raspberry Pi OS-like userland: `uname -m` armv7l.</summary>
    public const string Pi3Armhf = "raspberrypi3-armhf";
    /// <summary>Jetson Nano-like: aarch64, /etc/nv_tegra_release (L4T 32.7.1), the Nano's device-tree model, nvzramconfig.</summary>
    public const string JetsonNanoArm64 = "jetson-nano-arm64";

    /// <summary>The boards' own platforms (emulated).</summary>
    public static readonly IReadOnlyList<string> Emulated = new[] { Pi4Arm64, Pi3Armhf, JetsonNanoArm64 };

    static readonly string[] s_plain = { Pi4, Pi5, JetsonNano };

    /// <summary>The inventory kind and the tree architecture (null: this machine's userland) of a simulated kind.</summary>
    public static (string kind, string? treeArch) Parse(string simulatedKind)
    {
        if (s_plain.Contains(simulatedKind)) return (simulatedKind, null);
        if (Emulated.Contains(simulatedKind))
        {
            var dash = simulatedKind.LastIndexOf('-');
            return (simulatedKind[..dash], simulatedKind[(dash + 1)..]);
        }
        throw new ArgumentException($"Unknown simulated kind '{simulatedKind}': use one of {string.Join(", ", s_plain.Concat(Emulated))}.", nameof(simulatedKind));
    }

    internal static string TreeScript => Path.Combine(SimulatedFleet.ScriptDir, "tree.sh");

    /// <summary>The root tree of an architecture (arm64, armhf): cached, or built now (mmdebstrap; minutes). Returns its folder.</summary>
    public static string EnsureTree(string arch)
    {
        var r = HostProcess.Run("/bin/bash", new[] { TreeScript, "ensure", arch }, timeout: TimeSpan.FromMinutes(30));
        if (r.exit != 0)
            throw new InvalidOperationException($"The {arch} root tree for emulated devices could not be made (exit {r.exit}; run tests/setup/platforms.sh as root): {r.stderr.Trim()}");
        return r.stdout.Trim();
    }
}
