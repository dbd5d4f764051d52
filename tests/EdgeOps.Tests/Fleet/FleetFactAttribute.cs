using System.Runtime.InteropServices;
using Xunit;

namespace EdgeOps.Tests.Fleet;

/// <summary>
/// A test that needs the simulated fleet (root: loop devices, mounts, namespaces, sshd).
/// Not root: skipped with the reason shown, except under CI=true, where it runs (and fails) so a
/// CI that lost its root does not go green by skipping.
/// </summary>
public sealed class FleetFactAttribute : FactAttribute
{
    public FleetFactAttribute()
    {
        if (Skip == null && FleetRequirements.SkipReason is { } reason) Skip = reason;
    }
}

/// <summary>As <see cref="FleetFactAttribute"/>, for theories.</summary>
public sealed class FleetTheoryAttribute : TheoryAttribute
{
    public FleetTheoryAttribute()
    {
        if (Skip == null && FleetRequirements.SkipReason is { } reason) Skip = reason;
    }
}

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
