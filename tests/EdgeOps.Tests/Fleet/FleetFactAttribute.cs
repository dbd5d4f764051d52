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
