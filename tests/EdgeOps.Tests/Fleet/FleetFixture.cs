namespace EdgeOps.Tests.Fleet;

/// <summary>
/// xunit class fixture: one simulated fleet shared by the tests of a class, started on first use
/// (so a class whose tests are all skipped starts nothing) and torn down when the class is done.
/// </summary>
public class FleetFixture : IDisposable
{
    readonly Lazy<SimulatedFleet> _fleet;

    public FleetFixture() : this(3) { }

    protected FleetFixture(int count, long cardBytes = 512L << 20)
    {
        _fleet = new Lazy<SimulatedFleet>(() => SimulatedFleet.Start(count, cardBytes), LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <summary>A fleet of the given kinds (<see cref="SimulatedKinds"/>), one device each, in that order.</summary>
    protected FleetFixture(IReadOnlyList<string> kinds, long cardBytes = 512L << 20)
    {
        _fleet = new Lazy<SimulatedFleet>(() => SimulatedFleet.Start(kinds, cardBytes), LazyThreadSafetyMode.ExecutionAndPublication);
    }

    public SimulatedFleet Fleet => _fleet.Value;

    public void Dispose()
    {
        if (_fleet.IsValueCreated) _fleet.Value.Dispose();
        GC.SuppressFinalize(this);
    }
}
