using System.Management.Automation;
using EdgeOps.Tests.Fleet;
using EdgeOps.Tests.Infrastructure;
using EdgeOps.Tests.Wheels;
using Xunit;
using Spec = EdgeOps.Tests.Wheels.TestWheels.Spec;

namespace EdgeOps.Tests.Security;

/// <summary>
/// What root installs on a device (issue 17, findings 4 and 5), on the simulated fleet's real sshd, sudo and pip:
/// a wheel planted by the login user in its own wheel folder is never installed by root, whether pip would have found
/// it for a requirement or as the rollback copy of the installed version.
/// </summary>
[Collection(FleetCollection.Name)]
public sealed class RootInstallTrustTests : IDisposable
{
    readonly FleetFixture _f;
    readonly string _temp = Directory.CreateTempSubdirectory("edgeops-roottrust-").FullName;
    readonly string _env = "/opt/edgeops-rootenv-" + Guid.NewGuid().ToString("N")[..8];
    public RootInstallTrustTests(FleetFixture f) { _f = f; }

    SimulatedDevice Device => _f.Fleet.Devices[0];   // NOPASSWD sudo

    public void Dispose()
    {
        Device.Exec($"rm -rf {_env} /home/pi/.cache/edgeops");
        try { Directory.Delete(_temp, true); } catch (Exception) { }
    }

    /// <summary>A root-owned environment: the login user cannot write it, so pip runs as root.</summary>
    void RootEnv() => Device.ExecOk($"python3 -m venv {_env} && test \"$(stat -c %U {_env}/bin)\" = root");

    /// <summary>The login user (pi) puts a file of its own into its wheel folder.</summary>
    void Plant(string wheel)
    {
        var dir = Device.HostPath("/home/pi/.cache/edgeops/wheels");
        Directory.CreateDirectory(dir);
        File.Copy(wheel, Path.Combine(dir, Path.GetFileName(wheel)), overwrite: true);
        Device.ExecOk("chown -R pi:pi /home/pi/.cache");
    }

    PSRun Install(PowerShellSession ps, string catalog, string version)
    {
        var inv = _f.Fleet.WriteInventory(_f.Fleet.TempFile("inv.yaml"), new[] { Device });
        return ps.Run("Get-EdgeDevice -Inventory $args[0] | Install-TorchWheel -Catalog $args[1] -Version $args[2] -VirtualEnv $args[3] -CacheDirectory $args[4] -Verbose",
                      inv, catalog, version, _env, Path.Combine(_temp, "cache"));
    }

    string Publish(PowerShellSession ps, string wheel, string extra = "")
    {
        var store = Path.Combine(_temp, "store");
        var r = ps.Run($"Publish-TorchWheel -Path $args[0] -Destination $args[1] {extra}", wheel, store);
        Assert.True(r.Errors.Count == 0, string.Join("\n", r.Errors));
        return Path.Combine(store, "catalog.yaml");
    }

    [FleetFact]
    public void A_wheel_planted_for_a_requirement_in_the_login_users_folder_is_not_installed_as_root()
    {
        RootEnv();
        using var ps = new PowerShellSession();
        var torch = TestWheels.Build(Path.Combine(_temp, "built"), new Spec(Version: "2.1.0"));
        var catalog = Publish(ps, torch, "-Requires helperpkg");
        // the requirement is in no catalog; pi offers one of its own
        Plant(TestWheels.Build(Path.Combine(_temp, "planted"), new Spec(Package: "helperpkg", Version: "1.0") { Build = "planted" }));
        var r = Install(ps, catalog, "2.1.0");
        Assert.Contains(r.Verbose, v => v.Contains("(as root)"));
        Assert.NotEqual(0, Device.Exec($"cd / && {_env}/bin/python -c 'import helperpkg'").exit);
        Assert.DoesNotContain(r.Verbose, v => v.Contains("--find-links"));
    }

    [FleetFact]
    public void A_rollback_wheel_planted_under_the_installed_name_is_not_used_as_root()
    {
        RootEnv();
        using var ps = new PowerShellSession();
        var good = TestWheels.Build(Path.Combine(_temp, "g"), new Spec(Version: "3.0.0"));
        var broken = TestWheels.Build(Path.Combine(_temp, "b"), new Spec(Version: "3.1.0") { Broken = true });
        Publish(ps, good);
        var catalog = Publish(ps, broken);
        var first = Install(ps, catalog, "3.0.0");
        Assert.True(first.Errors.Count == 0, string.Join("\n", first.Errors));
        // pi replaces the wheel of the installed version in its folder by its own build
        Plant(TestWheels.Build(Path.Combine(_temp, "planted"), new Spec(Version: "3.0.0") { Build = "planted" }));
        var r = Install(ps, catalog, "3.1.0");
        Assert.True(r.Errors.Count == 0, string.Join("\n", r.Errors));
        Assert.Equal("RolledBack", Assert.Single(r.Output).P("Action"));
        var build = Device.ExecOk($"cd / && {_env}/bin/python -c 'import torch; print(torch.__version__, repr(torch.BUILD))'").Trim();
        Assert.Equal("3.0.0 ''", build);     // root reinstalled its own copy of what was installed, not pi's file
    }
}

/// <summary>
/// Catalog fields that reach apt-get and pip as arguments are validated (issue 17, finding 5): a catalog written by
/// hand with hostile entries is refused before anything runs, and Publish-TorchWheel refuses to write one.
/// Real catalogs in a real folder, the local machine as the device (Transport Local), real pip.
/// </summary>
[Collection("storage")]
public sealed class CatalogFieldTests : IClassFixture<WheelFixture>
{
    readonly WheelFixture _f;
    public CatalogFieldTests(WheelFixture f) { _f = f; }

    /// <summary>The error id of a run, whether the cmdlet wrote it or stopped with it.</summary>
    static (string Id, string Text) ErrorOf(Func<PSRun> run)
    {
        try
        {
            var r = run();
            var e = r.Errors.FirstOrDefault();
            return (e?.Id() ?? "", e?.ToString() ?? "");
        }
        catch (RuntimeException e) { return (e.ErrorRecord.Id(), e.Message); }
    }

    [Theory]
    [InlineData("systemPackages", "-oDpkg::Pre-Invoke::=touch /tmp/edgeops-pwned")]
    [InlineData("systemPackages", "libopenblas0 --allow-unauthenticated")]
    [InlineData("systemLibraries", "../../../etc/shadow")]
    [InlineData("requires", "--find-links=http://127.0.0.1:9/evil")]
    [InlineData("requires", "-f http://127.0.0.1:9/evil")]
    [InlineData("requires", "numpy @ http://127.0.0.1:9/numpy-9.whl")]
    [InlineData("requires", "numpy@file:///tmp/numpy.whl")]
    [InlineData("requires", "numpy<2; $(touch /tmp/edgeops-pwned)")]
    public void A_catalog_with_a_hostile_field_is_refused_before_anything_runs(string field, string value)
    {
        var store = Path.Combine(_f.Temp, "hostile-" + Guid.NewGuid().ToString("N")[..6]);
        Directory.CreateDirectory(store);
        var wheel = _f.Build(new Spec(Version: "2.1.0"), store);
        var catalog = Path.Combine(store, "catalog.yaml");
        File.WriteAllText(catalog,
            "format: 1\nwheels:\n" +
            $"  - file: '{Path.GetFileName(wheel)}'\n    sha256: {TestWheels.Sha256(wheel)}\n" +
            (field == "systemLibraries" ? "" : "    systemLibraries: [libedgeops-absent.so.9]\n") +
            $"    {field}: ['{value.Replace("'", "''")}']\n");
        var venv = Path.Combine(_f.Temp, "venv-" + Guid.NewGuid().ToString("N")[..6]);
        var (id, text) = ErrorOf(() => _f.PS.Run("Install-TorchWheel -Catalog $args[0] -PythonPath $args[1] -VirtualEnv $args[2] -CreateVirtualEnv -CacheDirectory $args[3] -InstallSystemPackages",
                                                 catalog, WheelFixture.Python, venv, _f.Cache));
        Assert.Equal("WheelCatalogInvalid", id);
        Assert.Contains(field, text);
        Assert.Contains(value, text);
        Assert.False(File.Exists("/tmp/edgeops-pwned"));
        Assert.False(Directory.Exists(venv), "nothing may run on the device: not even the virtual environment is created");
    }

    [Theory]
    [InlineData("-Requires", "--find-links=http://127.0.0.1:9/evil")]
    [InlineData("-Requires", "numpy @ http://127.0.0.1:9/numpy.whl")]
    [InlineData("-SystemPackage", "-oDpkg::Pre-Invoke::=touch /tmp/edgeops-pwned")]
    public void Publish_refuses_to_write_a_hostile_field(string parameter, string value)
    {
        var store = Path.Combine(_f.Temp, "pub-" + Guid.NewGuid().ToString("N")[..6]);
        var wheel = _f.Build(new Spec(Version: "2.1.0"));
        var (id, _) = ErrorOf(() => _f.PS.Run($"Publish-TorchWheel -Path $args[0] -Destination $args[1] {parameter} $args[2]", wheel, store, value));
        Assert.Equal("WheelRequirementInvalid", id);
        Assert.False(File.Exists(Path.Combine(store, "catalog.yaml")));
    }

    [Fact]
    public void Plain_requirements_and_package_names_are_accepted()
    {
        var e = new EdgeOps.Wheels.WheelEntry
        {
            File = "torch-2.1.0-py3-none-any.whl",
            Requires = { "numpy<2", "typing-extensions>=4.8", "sympy", "filelock>=3.0,<4", "Jinja2 == 3.1.*" },
            SystemPackages = { "libopenblas0", "libstdc++6", "libgomp1:arm64" },
            SystemLibraries = { "libopenblas.so.0", "libstdc++.so.6" },
        };
        Assert.Null(e.UnsafeField());
    }
}
