using System.Diagnostics;
using System.Globalization;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using EdgeOps.Tests.Fleet;

// Fleet foundation benchmark. Usage: FleetBench [devices=16] [runs=5]
// 1. Import-Module EdgeOps: median over fresh runspaces.
// 2. Test-EdgeDevice over all devices (-ThrottleLimit = devices) vs over one device, new connections each run.
int devices = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 16;
int runs = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 5;
var manifest = FindManifest();
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;

// warm the engine once (JIT of SMA itself is not what we measure), then fresh runspaces
var import = new List<double>();
for (int i = 0; i <= runs; i++)
{
    using var rs = RunspaceFactory.CreateRunspace(InitialSessionState.CreateDefault2());
    rs.Open();
    using var ps = PowerShell.Create(); ps.Runspace = rs;
    var sw = Stopwatch.StartNew();
    ps.AddScript("Import-Module $args[0] -ErrorAction Stop").AddArgument(manifest).Invoke();
    if (i > 0) import.Add(sw.Elapsed.TotalMilliseconds);
}
Console.WriteLine($"import-module: median {Median(import):0} ms over {runs} fresh runspaces (first-ever import in the process not counted)");

var boot = Stopwatch.StartNew();
using var fleet = SimulatedFleet.Start(devices, 256L << 20);
Console.WriteLine($"fleet: {devices} devices up in {boot.Elapsed.TotalSeconds:0.00} s ({fleet.StartupReport})");
var one = fleet.WriteInventory(Path.Combine(fleet.TempDir, "one.yaml"), fleet.Devices.Take(1));

using var runspace = RunspaceFactory.CreateRunspace(InitialSessionState.CreateDefault2());
runspace.Open();
Run(runspace, "Import-Module $args[0] -ErrorAction Stop", manifest);
// warm-up: JIT of the transport and cmdlets
Run(runspace, "Get-EdgeDevice -Inventory $args[0] | Test-EdgeDevice", one);

double Measure(string inventory, int expected)
{
    var times = new List<double>();
    for (int i = 0; i < runs; i++)
    {
        EdgeOps.Transport.TransportFactory.CloseAll();   // cold: connect, authenticate, host key, 3 round trips, sudo
        var sw = Stopwatch.StartNew();
        var n = Run(runspace, $"Get-EdgeDevice -Inventory $args[0] | Test-EdgeDevice -ThrottleLimit {Math.Max(devices, 1)}", inventory);
        times.Add(sw.Elapsed.TotalMilliseconds);
        if (n != expected) throw new InvalidOperationException($"expected {expected} results, got {n}");
    }
    return Median(times);
}
var t1 = Measure(one, 1);
var tn = Measure(fleet.InventoryPath, devices);
Console.WriteLine($"test-edgedevice: 1 device {t1:0} ms, {devices} devices {tn:0} ms (median of {runs}, new connections each run)");
Console.WriteLine($"ratio: {tn / t1:0.00} (goal <= 2.00) {(tn <= 2 * t1 ? "OK" : "MISSED")}");
return tn <= 2 * t1 ? 0 : 1;

static int Run(Runspace rs, string script, params object[] args)
{
    using var ps = PowerShell.Create(); ps.Runspace = rs;
    ps.AddScript(script);
    foreach (var a in args) ps.AddArgument(a);
    var output = ps.Invoke();
    // the password-sudo device reports Sudo=Failed without -SudoCredential: that is an object, not an error
    if (ps.Streams.Error.Count > 0) throw new InvalidOperationException(string.Join("\n", ps.Streams.Error));
    return output.Count;
}

static double Median(List<double> xs) { var s = xs.OrderBy(x => x).ToList(); return s.Count % 2 == 1 ? s[s.Count / 2] : (s[s.Count / 2 - 1] + s[s.Count / 2]) / 2; }

static string FindManifest()
{
    for (var d = new DirectoryInfo(AppContext.BaseDirectory); d != null; d = d.Parent)
    {
        var p = Path.Combine(d.FullName, "out", "module", "EdgeOps", "EdgeOps.psd1");
        if (File.Exists(p)) return p;
    }
    throw new InvalidOperationException("out/module/EdgeOps/EdgeOps.psd1 not found: build first (bench/fleet/run.sh does).");
}
