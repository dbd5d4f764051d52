using System.Management.Automation;
using System.Security;
using Xunit;

namespace EdgeOps.Tests.Fleet;

/// <summary>The foundation tests (Fleet/*) share one simulated fleet; each test leaves the devices as it found them.</summary>
[CollectionDefinition(Name)]
public sealed class FleetCollection : ICollectionFixture<FleetFixture>
{
    public const string Name = "Simulated fleet";
}

/// <summary>Small helpers for tests that drive cmdlets against the simulated fleet.</summary>
public static class FleetTestKit
{
    /// <summary>A property of an output object as text ("" when missing).</summary>
    public static string P(this PSObject o, string name) => o.Properties[name]?.Value?.ToString() ?? "";

    public static SecureString Secure(string s)
    {
        var ss = new SecureString();
        foreach (var c in s) ss.AppendChar(c);
        ss.MakeReadOnly();
        return ss;
    }

    public static PSCredential Credential(string user, string password) => new(user, Secure(password));

    /// <summary>A pooled transport to a simulated device as user pi with the fleet's key (the engine without a cmdlet).</summary>
    public static global::EdgeOps.Transport.IDeviceTransport OpenTransport(SimulatedFleet fleet, SimulatedDevice d, global::EdgeOps.Transport.ConnectionOptions? options = null) =>
        global::EdgeOps.Transport.TransportFactory.Open(new global::EdgeOps.EdgeDevice
        {
            ComputerName = d.Name, HostName = d.Address, Port = d.Port, UserName = "pi", SudoMode = d.SudoMode,
            IdentityFile = fleet.KeyPath("ed25519"), KnownHostsFile = fleet.KnownHostsPath,
        }, options ?? new global::EdgeOps.Transport.ConnectionOptions(), default);

    /// <summary>The device an error record is about (its TargetObject is the EdgeDevice).</summary>
    public static string Target(this ErrorRecord e) => (e.TargetObject as EdgeDevice)?.ComputerName ?? e.TargetObject?.ToString() ?? "";

    /// <summary>The error id without the ",EdgeOps..." suffix.</summary>
    public static string Id(this ErrorRecord e) => e.FullyQualifiedErrorId.Split(',')[0];

    /// <summary>A fresh temp file path inside the fleet's folder.</summary>
    public static string TempFile(this SimulatedFleet f, string name) => Path.Combine(f.TempDir, $"{Guid.NewGuid():N}-{name}");

    /// <summary>Waits until the condition holds (polling), or fails with the message.</summary>
    public static void Eventually(Func<bool> condition, TimeSpan within, string message)
    {
        var deadline = DateTime.UtcNow + within;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) Assert.Fail(message);
            Thread.Sleep(50);
        }
    }
}
