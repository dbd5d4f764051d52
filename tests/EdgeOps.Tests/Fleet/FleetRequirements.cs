using System.Runtime.InteropServices;

namespace EdgeOps.Tests.Fleet;

/// <summary>Whether the simulated fleet can run here (root), and why not. No xunit: the benchmark compiles this file too.</summary>
public static class FleetRequirements
{
    [DllImport("libc", EntryPoint = "geteuid")]
    static extern uint GetEuid();

    public static bool IsRoot => OperatingSystem.IsLinux() && GetEuid() == 0;

    public static bool IsCI => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>Why fleet tests cannot run here, or null when they can (or must: CI).</summary>
    public static string? SkipReason =>
        IsRoot || IsCI ? null
        : "The simulated fleet needs root (loop devices, mounts, namespaces, sshd): run the tests as root (sudo ./test.sh). Under CI=true these tests fail instead of skipping.";
}
