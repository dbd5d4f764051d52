using System.Management.Automation;
using System.Text.Json;
using EdgeOps.Fleet;
using EdgeOps.Swap;
using EdgeOps.Tests.Swap;
using EdgeOps.Transport;
using EdgeOps.Tests.Fleet;
using EdgeOps.Tests.Infrastructure;
using EdgeOps.Tests.Storage;
using Xunit;
using Xunit.Abstractions;

namespace EdgeOps.Tests.Builds;

/// <summary>
/// Start-/Get-/Wait-/Receive-/Stop-WheelBuild on the simulated fleet, with real compilers (gcc, CMake, Ninja from the
/// machine's /usr, which every device shares read-only) and small projects the tests write. Device 0 is a Raspberry Pi 4,
/// 1 a Raspberry Pi 5 with password sudo, 2 a Jetson Nano (L4T 32.7.1); all x86_64 here. An aarch64 build host (the
/// platforms work) is one more InlineData row on <see cref="C_extension_builds_on_a_host_and_installs_on_another"/>, which
/// already checks that the wheel is tagged with the builder's own machine (uname -m).
/// </summary>
[Collection(FleetCollection.Name)]
public sealed class WheelBuildFleetTests : IClassFixture<StorageServers>, IDisposable
{
    readonly FleetFixture _f;
    readonly StorageServers _servers;
    readonly ITestOutputHelper _out;
    readonly string _temp = Directory.CreateTempSubdirectory("edgeops-builds-").FullName;

    public WheelBuildFleetTests(FleetFixture f, StorageServers servers, ITestOutputHelper output) { _f = f; _servers = servers; _out = output; }

    public void Dispose()
    {
        foreach (var d in _f.Fleet.Devices)
        {
            // every build process of these tests, then their folders and environments
            try
            {
                d.Exec("for p in /proc/[0-9]*; do tr '\\0' '\\n' < \"$p/environ\" 2>/dev/null | grep -q '^EDGEOPS_BUILD_ID=' && kill -KILL \"${p#/proc/}\"; done; " +
                       "rm -rf /home/pi/.local/state/edgeops '/home/pi/build env' /tmp/pwned; true");
            }
            catch (Exception) { }
        }
        try { Directory.Delete(_temp, true); } catch (Exception) { }
    }

    SimulatedDevice Dev(int i) => _f.Fleet.Devices[i];
    string Inv => _f.Fleet.InventoryPath;

    static void NoErrors(PSRun r) => Assert.True(r.Errors.Count == 0, string.Join("\n", r.Errors.Select(e => e.ToString())));

    PSObject Single(PSRun r) { NoErrors(r); return Assert.Single(r.Output); }

    PSObject Get(PowerShellSession ps, SimulatedDevice d, string id) =>
        Single(ps.Run("Get-EdgeDevice -Inventory $args[0] -Name $args[1] | Get-WheelBuild -Id $args[2]", Inv, d.Name, id));

    /// <summary>Polls Get-WheelBuild until the condition holds.</summary>
    PSObject Until(PowerShellSession ps, SimulatedDevice d, string id, Func<PSObject, bool> condition, string what, int seconds = 240)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (true)
        {
            var b = Get(ps, d, id);
            if (condition(b)) return b;
            Assert.True(DateTime.UtcNow < deadline, $"{what}: build {id} is {b.P("State")} at {b.P("StepsDone")}/{b.P("StepsTotal")}");
            Thread.Sleep(300);
        }
    }

    PSObject StartBuild(PowerShellSession ps, SimulatedDevice d, string source, string extra = "", params object[] more)
    {
        var args = new object[] { Inv, d.Name, source }.Concat(more).ToArray();
        var b = Single(ps.Run($"Get-EdgeDevice -Inventory $args[0] -Name $args[1] | Start-WheelBuild -Source $args[2] {extra}", args));
        Assert.Equal(d.Name, b.P("ComputerName"));
        return b;
    }

    /// <summary>Processes on the device that carry the build's id (what Stop-WheelBuild must leave none of).</summary>
    static int BuildProcesses(SimulatedDevice d, string id) =>
        int.Parse(d.ExecOk($"n=0; for p in /proc/[0-9]*; do tr '\\0' '\\n' < \"$p/environ\" 2>/dev/null | grep -qx 'EDGEOPS_BUILD_ID={id}' && n=$((n + 1)); done; echo $n").Trim(),
                  System.Globalization.CultureInfo.InvariantCulture);

    string PythonIn(SimulatedDevice d, string venv, string code) =>
        d.ExecOk($"su pi -c \"cd / && '{venv}/bin/python' -c '{code}'\"").Trim();

    [FleetTheory]
    [InlineData(0, 2)]   // built on the Raspberry Pi 4, installed on the Jetson
    public void C_extension_builds_on_a_host_and_installs_on_another(int builder, int target)
    {
        using var ps = new PowerShellSession();
        // a folder name with spaces, quotes and a $(...) travels as data
        var src = TestProjects.CExtension(Path.Combine(_temp, "edge calc '$(touch x)'"));
        var store = Path.Combine(_temp, "store");
        var r = ps.Run("Get-EdgeDevice -Inventory $args[0] -Name $args[1] | Start-WheelBuild -Source $args[2] -Jobs 2 | " +
                       "Wait-WheelBuild -Timeout 600 | Receive-WheelBuild -Destination $args[3] -Publish -Verbose", Inv, Dev(builder).Name, src, store);
        var entry = Single(r);
        Assert.Equal("Published", entry.P("Action"));
        Assert.Equal("edgecalc", entry.P("Package"));
        Assert.Equal("1.2.0", entry.P("Version"));
        Assert.Equal(Dev(builder).Name, entry.P("ComputerName"));
        Assert.Contains("linux_" + Dev(builder).ExecOk("uname -m").Trim(), entry.P("Tags"));   // built natively: the builder's platform
        var wheel = Path.Combine(store, entry.P("Wheel"));
        Assert.Equal(entry.P("Sha256"), Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(wheel))).ToLowerInvariant());
        Assert.Contains(r.Verbose, v => v.Contains("sha256 " + entry.P("Sha256") + " checked"));
        Assert.Contains(entry.P("Wheel"), File.ReadAllText(Path.Combine(store, "catalog.yaml")));

        var build = Single(ps.Run("Get-EdgeDevice -Inventory $args[0] -Name $args[1] | Get-WheelBuild -State Succeeded", Inv, Dev(builder).Name));
        Assert.Equal("Succeeded", build.P("State"));
        Assert.Equal("0", build.P("ExitCode"));
        Assert.Equal(entry.P("Wheel"), build.P("Wheels"));
        Assert.Equal("generic", build.P("Recipe"));
        Assert.Equal("2", build.P("Jobs"));
        Assert.Equal("setsid", build.P("Launcher"));
        Assert.True(long.Parse(build.P("PeakMemoryBytes")) > 1 << 20, "peak memory sampled");

        ps.Set("sudo", FleetTestKit.Credential("pi", _f.Fleet.SudoPassword));
        r = ps.Run("Get-EdgeDevice -Inventory $args[0] -Name $args[1] | Install-TorchWheel -Catalog $args[2] -Package edgecalc " +
                   "-VirtualEnv '~/build env' -CreateVirtualEnv -SudoCredential $sudo", Inv, Dev(target).Name, Path.Combine(store, "catalog.yaml"));
        Assert.Equal("Installed", Single(r).P("Action"));
        Assert.Equal("49", PythonIn(Dev(target), "/home/pi/build env", "import edgecalc; print(edgecalc.calc(6, 7))"));
    }

    [FleetFact]
    public void CMake_Ninja_build_reports_progress_and_goes_through_S3_to_another_device()
    {
        using var ps = new PowerShellSession();
        const int kernels = 10;   // five rounds of two compile jobs: long enough for Wait's polls to see compile steps
        var src = TestProjects.CMakeNinja(Path.Combine(_temp, "edgevec"), kernels);
        var started = StartBuild(ps, Dev(1), src, "-Jobs 2 -SudoCredential $args[3]", FleetTestKit.Credential("pi", _f.Fleet.SudoPassword));
        Assert.Equal("Running", started.P("State"));
        var s3 = _servers.NewS3Location("team-wheels");
        var keys = FleetTestKit.Credential(StorageServers.S3Key, StorageServers.S3Secret);
        var r = ps.Run("$b = $args[4] | Wait-WheelBuild -Timeout 600; $b; $b | Receive-WheelBuild -Destination $args[1] -Publish -Endpoint $args[2] -StorageCredential $args[3]",
                       Inv, s3, _servers.S3Endpoint, keys, started);
        NoErrors(r);
        Assert.Equal(2, r.Output.Count);
        var done = r.Output[0];
        Assert.Equal("Succeeded", done.P("State"));
        Assert.Equal("100", done.P("Percent"));
        Assert.Equal((kernels + 1).ToString(), done.P("Compiled"));   // module.c and the kernels, one Ninja step each
        Assert.Equal("Published", r.Output[1].P("Action"));
        Assert.Equal("0.3.0", done.P("Version"));

        // progress came from Ninja's [n/m] lines: percent, the step, elapsed
        var progress = r.Progress.Where(p => p.RecordType == ProgressRecordType.Processing && p.Activity.Contains(started.P("Id"))).ToList();
        Assert.NotEmpty(progress);
        Assert.Contains(progress, p => p.PercentComplete > 0 && p.StatusDescription.Contains('/') && p.StatusDescription.Contains("elapsed"));
        Assert.Contains(progress, p => (p.CurrentOperation ?? "").Contains("Building C object"));
        _out.WriteLine(string.Join("\n", progress.Select(p => $"{p.PercentComplete,3}% {p.StatusDescription} | {p.CurrentOperation}")));

        ps.Set("sudo", FleetTestKit.Credential("pi", _f.Fleet.SudoPassword));
        r = ps.Run("Get-EdgeDevice -Inventory $args[0] -Name $args[1] | Install-TorchWheel -Catalog $args[2] -Package edgevec -VirtualEnv '~/build env' " +
                   "-CreateVirtualEnv -Endpoint $args[3] -StorageCredential $args[4]", Inv, Dev(0).Name, s3 + "/catalog.yaml", _servers.S3Endpoint, keys);
        Assert.Equal("Installed", Single(r).P("Action"));
        Assert.Equal($"32 {kernels}", PythonIn(Dev(0), "/home/pi/build env", "import edgevec; print(edgevec.dot([1, 2, 3], [4, 5, 6]), edgevec.kernels())"));
    }

    [FleetFact]
    public void Builds_piped_from_two_hosts_each_go_to_their_own_host()
    {
        using var ps = new PowerShellSession();
        var src = TestProjects.CExtension(Path.Combine(_temp, "two hosts"));
        var store = Path.Combine(_temp, "two-store");
        // one pipeline starts a build on each host; every later cmdlet gets both records and must send each id to its own host
        var builds = ps.Run("Get-EdgeDevice -Inventory $args[0] -Name $args[1], $args[2] | Start-WheelBuild -Source $args[3] -Jobs 1",
                            Inv, Dev(0).Name, Dev(2).Name, src);
        NoErrors(builds);
        Assert.Equal(new[] { Dev(0).Name, Dev(2).Name }.OrderBy(n => n), builds.Output.Select(b => b.P("ComputerName")).OrderBy(n => n));
        ps.Set("builds", builds.Output.ToArray());
        var ids = builds.Output.ToDictionary(b => b.P("ComputerName"), b => b.P("Id"));

        var r = ps.Run("$builds | Wait-WheelBuild -Timeout 600");
        NoErrors(r);
        Assert.Equal(2, r.Output.Count);
        Assert.All(r.Output, b => { Assert.Equal("Succeeded", b.P("State")); Assert.Equal(ids[b.P("ComputerName")], b.P("Id")); });

        r = ps.Run("$builds | Get-WheelBuild");
        NoErrors(r);
        Assert.Empty(r.Warnings);   // no "there is no build ... on" the other host
        Assert.Equal(ids.OrderBy(kv => kv.Key).Select(kv => kv.Value), r.Output.OrderBy(b => b.P("ComputerName")).Select(b => b.P("Id")));

        r = ps.Run("$builds | Receive-WheelBuild -Destination $args[0]", store);
        NoErrors(r);
        Assert.Equal(new[] { Dev(0).Name, Dev(2).Name }.OrderBy(n => n), r.Output.Select(e => e.P("ComputerName")).OrderBy(n => n));
        Assert.All(r.Output, e => Assert.Equal("Received", e.P("Action")));

        // the same build piped twice is one work item: waited for once
        r = ps.Run("$b = $builds | Where-Object ComputerName -eq $args[0]; $b, $b | Wait-WheelBuild", Dev(0).Name);
        NoErrors(r);
        Assert.Single(r.Output);
    }

    [FleetFact]
    public void Build_goes_on_when_the_connection_drops_and_Wait_reconnects()
    {
        using var ps = new PowerShellSession();
        var d = Dev(2);
        const int kernels = 24;
        var started = StartBuild(ps, d, TestProjects.CMakeNinja(Path.Combine(_temp, "cut"), kernels), "-Jobs 1");
        var id = started.P("Id");
        var dir = started.P("Directory");
        Until(ps, d, id, b => int.Parse(b.P("StepsDone")) >= 1, "first compile step");
        PSRun? waited = null;
        var waiter = Task.Run(() =>
        {
            using var ps2 = new PowerShellSession();
            waited = ps2.Run("Get-EdgeDevice -Inventory $args[0] -Name $args[1] | Wait-WheelBuild -Id $args[2] -Timeout 600 -Verbose", Inv, d.Name, id);
        });
        Thread.Sleep(1500);
        // Compile steps in the log so far (read in the device, not over SSH).
        int Steps() => int.Parse(d.ExecOk($"grep -c '^[[:space:]]*\\[[0-9]*/[0-9]*\\] Building C object' '{dir}/log' || true").Trim(), System.Globalization.CultureInfo.InvariantCulture);
        int atCut;
        try
        {
            d.StopSshd();                         // every SSH session of the device ends, the controller's too
            atCut = Steps();
            Assert.True(atCut < kernels, $"the build was still compiling when the connection dropped ({atCut} of {kernels + 1} compile steps)");
            // the build compiles on with no SSH session at all (polled: each step may take seconds on a loaded machine)
            var deadline = DateTime.UtcNow.AddSeconds(120);
            while (Steps() <= atCut && DateTime.UtcNow < deadline) Thread.Sleep(200);
            var state = d.ExecOk($"cat '{dir}/state'; tr '\\n' ' ' < '{dir}/states'").Trim();
            Assert.True(Steps() > atCut, $"the build compiled on while no SSH session was there: {state}");
            Assert.True(BuildProcesses(d, id) > 0 || state.StartsWith("Succeeded", StringComparison.Ordinal), $"the build runs on without any SSH session: {state}");
            Assert.False(d.PortOpen(), "sshd was down all the while");
        }
        finally
        {
            d.StartSshd();                        // the shared fleet's other tests need this device's sshd, whatever happened here
        }
        Assert.True(waiter.Wait(TimeSpan.FromMinutes(10)), "Wait-WheelBuild returned");
        var done = Single(waited!);
        Assert.Equal("Succeeded", done.P("State"));
        Assert.Equal("1", done.P("Runs"));
        Assert.Equal((kernels + 1).ToString(), done.P("Compiled"));
        Assert.Contains(waited!.Verbose, v => v.Contains("Lost the connection"));
        Assert.Contains(waited!.Verbose, v => v.Contains("is back"));
    }

    [FleetFact]
    public void Killed_build_is_Interrupted_and_Resume_compiles_only_what_is_left()
    {
        using var ps = new PowerShellSession();
        var d = Dev(0);
        const int kernels = 10;
        var started = StartBuild(ps, d, TestProjects.CMakeNinja(Path.Combine(_temp, "resume"), kernels), "-Jobs 1");
        var id = started.P("Id");
        var before = Until(ps, d, id, b => int.Parse(b.P("StepsDone")) >= 5, "five steps");
        // every process at once, as a power cut or the kernel would: the build's process group in one kill(2), then every
        // process carrying the build's id, swept again until none is left (one started while a sweep passed survives it)
        d.ExecOk($"read -r pid _ < '{started.P("Directory")}/pid' && kill -s KILL -- \"-$pid\"; " +
                 $"for round in 1 2 3 4 5 6 7 8 9 10; do n=0; " +
                 $"for p in /proc/[0-9]*; do tr '\\0' '\\n' < \"$p/environ\" 2>/dev/null | grep -qx 'EDGEOPS_BUILD_ID={id}' && kill -KILL \"${{p#/proc/}}\" && n=$((n + 1)); done; " +
                 $"[ \"$n\" -eq 0 ] && break; sleep 0.1; done; true");
        var killed = Until(ps, d, id, b => b.P("State") != "Running", "the runner's end seen", 20);
        Assert.Equal("Interrupted", killed.P("State"));
        Assert.Equal("0", killed.P("Processes"));
        int compiledBefore = int.Parse(killed.P("Compiled")), fresh = kernels + 1;

        var r = ps.Run("Get-EdgeDevice -Inventory $args[0] -Name $args[1] | Get-WheelBuild -Id $args[2] | Start-WheelBuild -Resume | Wait-WheelBuild -Timeout 600", Inv, d.Name, id);
        var done = Single(r);
        Assert.Equal("Succeeded", done.P("State"));
        Assert.Equal("2", done.P("Runs"));
        int resumed = int.Parse(done.P("Compiled"));
        _out.WriteLine($"fresh build: {fresh} compile steps; killed after {compiledBefore} ({before.P("StepsDone")}/{before.P("StepsTotal")} Ninja steps); resumed run compiled {resumed}, {done.P("StepsTotal")} Ninja steps");
        Assert.True(resumed > 0 && resumed < fresh, $"resumed compiled {resumed} of {fresh}");
        Assert.True(resumed <= fresh - compiledBefore + 1, $"resumed compiled {resumed}, {compiledBefore} were done before the kill");
    }

    [FleetFact]
    public void Stop_ends_the_whole_build_and_leaves_no_process()
    {
        using var ps = new PowerShellSession();
        var d = Dev(1);
        var sudo = FleetTestKit.Credential("pi", _f.Fleet.SudoPassword);
        var started = StartBuild(ps, d, TestProjects.CMakeNinja(Path.Combine(_temp, "stop"), 12), "-Jobs 2 -SudoCredential $args[3]", sudo);
        var id = started.P("Id");
        Until(ps, d, id, b => int.Parse(b.P("StepsDone")) >= 1, "first compile step");
        Assert.True(BuildProcesses(d, id) >= 3, "runner, pip, cmake/ninja and compilers run");

        // Wait-WheelBuild -Timeout gives up, the build goes on
        var r = ps.Run("Get-EdgeDevice -Inventory $args[0] -Name $args[1] | Wait-WheelBuild -Id $args[2] -Timeout 1", Inv, d.Name, id);
        Assert.Contains(r.Errors, e => e.Id() == "WheelBuildWaitTimeout");
        Assert.Equal("Running", Get(ps, d, id).P("State"));

        // -WhatIf changes nothing
        r = ps.Run("Get-EdgeDevice -Inventory $args[0] -Name $args[1] | Get-WheelBuild -Id $args[2] | Stop-WheelBuild -WhatIf", Inv, d.Name, id);
        NoErrors(r);
        Assert.Equal("Running", Get(ps, d, id).P("State"));

        var stopped = Single(ps.Run("Get-EdgeDevice -Inventory $args[0] -Name $args[1] | Get-WheelBuild -Id $args[2] | Stop-WheelBuild -GraceSeconds 3", Inv, d.Name, id));
        Assert.Equal("Stopped", stopped.P("State"));
        Assert.Equal("0", stopped.P("Processes"));
        Assert.Equal(0, BuildProcesses(d, id));
        // No compiler or ninja lives on: a killed one is a zombie until the device's init reaps it (every 0.2 s), so
        // zombies are not counted, and a process in the middle of dying gets a few seconds.
        string live = "";
        for (var until = DateTime.UtcNow.AddSeconds(10); ; Thread.Sleep(200))
        {
            live = d.ExecOk("ps -eo stat=,pid=,comm= | awk '$1 !~ /^Z/ && ($3 == \"cc1\" || $3 == \"ninja\")'").Trim();
            if (live == "" || DateTime.UtcNow > until) break;
        }
        Assert.True(live == "", $"compilers or ninja still running on {d.Name} after Stop-WheelBuild: {live}");
        Thread.Sleep(1500);
        Assert.Equal("Stopped", Get(ps, d, id).P("State"));   // not rewritten by a dying runner
    }

    [FleetFact]
    public void Out_of_memory_is_diagnosed_and_the_suggested_plan_succeeds()
    {
        using var ps = new PowerShellSession();
        var d = Dev(2);
        const long limit = 320L << 20;   // four 110 MB compile jobs do not fit; one does
        using var cg = new MemoryCgroup(d, limit);
        Assert.True(cg.Moved > 0, "the device's processes moved into the cgroup");
        var inside = Single(ps.Run("Get-EdgeDevice -Inventory $args[0] -Name $args[1] | Invoke-EdgeCommand -Command 'cat /proc/self/cgroup'", Inv, d.Name));
        Assert.Contains(Path.GetFileName(cg.CgroupPath), inside.P("Stdout"));   // SSH sessions run inside it
        var started = StartBuild(ps, d, TestProjects.CMakeNinja(Path.Combine(_temp, "oom"), 4, TestProjects.Weight.Big), "-Jobs 4");
        var id = started.P("Id");
        var r = ps.Run("Get-EdgeDevice -Inventory $args[0] -Name $args[1] | Wait-WheelBuild -Id $args[2] -Timeout 600", Inv, d.Name, id);
        var failed = Assert.Single(r.Output);
        Assert.Equal("Failed", failed.P("State"));
        var error = Assert.Single(r.Errors);
        Assert.Equal("WheelBuildOutOfMemory", error.Id());
        var diagnosis = failed.P("Diagnosis");
        _out.WriteLine(diagnosis);
        Assert.Contains("Out of memory", diagnosis);
        Assert.Contains("Killed process", diagnosis);           // the kernel's own message
        Assert.Contains("cc1", diagnosis);
        Assert.Matches(@"step .FAILED: \S+\.c\.o.", diagnosis);   // the step Ninja says failed
        Assert.Equal(limit.ToString(), failed.P("MemoryLimitBytes"));
        int jobs = int.Parse(failed.P("SuggestedJobs"));
        Assert.InRange(jobs, 1, 2);
        Assert.Contains($"-Jobs {jobs}", diagnosis);

        r = ps.Run("Get-EdgeDevice -Inventory $args[0] -Name $args[1] | Get-WheelBuild -Id $args[2] | Start-WheelBuild -Resume -Jobs $args[3] | Wait-WheelBuild -Timeout 600",
                   Inv, d.Name, id, jobs);
        var done = Single(r);
        Assert.Equal("Succeeded", done.P("State"));
        Assert.Equal(jobs.ToString(), done.P("Jobs"));
    }

    [FleetFact]
    public void Recipes_set_the_documented_environment_and_hostile_values_stay_data()
    {
        using var ps = new PowerShellSession();
        var src = TestProjects.Recorder(Path.Combine(_temp, "recorder"));
        var jetson = Dev(2); var pi = Dev(0);
        Dictionary<string, string> Recorded(SimulatedDevice d, PSObject build)
        {
            var dir = build.P("Directory");
            var lines = d.ExecOk($"cat \"$(cat '{dir}/srcdir')/recorded.json\"").Split('\n', StringSplitOptions.RemoveEmptyEntries);
            var wheel = lines.Select(l => JsonDocument.Parse(l).RootElement).Last(e => e.GetProperty("argv").EnumerateArray().Any(a => a.GetString() == "bdist_wheel"));
            return wheel.GetProperty("env").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString() ?? "");
        }
        PSObject Build(SimulatedDevice d, string args, params object[] more)
        {
            var b = StartBuild(ps, d, src, args, more);
            var r = ps.Run("$args[0] | Wait-WheelBuild -Timeout 600", b);
            var done = Single(r);
            Assert.Equal("Succeeded", done.P("State"));
            return done;
        }

        var hostile = "a $(touch /tmp/pwned); `b` 'c' \"d\"";
        var torchJetson = Recorded(jetson, Build(jetson, "-Recipe pytorch -Jobs 3 -Environment @{ EXTRA_FLAG = $args[3] }", hostile));
        Assert.Equal("3", torchJetson["MAX_JOBS"]);
        Assert.Equal("0", torchJetson["BUILD_TEST"]);
        Assert.Equal("1", torchJetson["USE_CUDA"]);
        Assert.Equal("5.3", torchJetson["TORCH_CUDA_ARCH_LIST"]);   // Jetson Nano (L4T 32.7.1)
        Assert.Equal("0", torchJetson["USE_NCCL"]);
        Assert.Equal("0", torchJetson["USE_DISTRIBUTED"]);
        Assert.Equal("0", torchJetson["USE_QNNPACK"]);
        Assert.Equal("/usr/local/cuda", torchJetson["CUDA_HOME"]);
        Assert.Equal(hostile, torchJetson["EXTRA_FLAG"]);
        Assert.NotEqual(0, jetson.Exec("test -e /tmp/pwned").exit);

        var torchPi = Recorded(pi, Build(pi, "-Recipe pytorch -Jobs 2"));
        Assert.Equal("0", torchPi["USE_CUDA"]);
        Assert.False(torchPi.ContainsKey("TORCH_CUDA_ARCH_LIST"));
        Assert.Equal("2", torchPi["MAX_JOBS"]);

        var cv = Recorded(jetson, Build(jetson, "-Recipe opencv -Contrib -Jobs 2"));
        Assert.Equal("1", cv["ENABLE_CONTRIB"]);
        Assert.Equal("1", cv["ENABLE_HEADLESS"]);
        Assert.Contains("-DWITH_CUDA=ON", cv["CMAKE_ARGS"]);
        Assert.Contains("-DCUDA_ARCH_BIN=5.3", cv["CMAKE_ARGS"]);
        Assert.Contains("-DWITH_GSTREAMER=ON", cv["CMAKE_ARGS"]);
        Assert.Equal("2", cv["CMAKE_BUILD_PARALLEL_LEVEL"]);
        Assert.Equal("-j2", cv["MAKEFLAGS"]);
        // no -Jobs: what Get-EdgeBuildPlan allows for the recipe's memory per job
        var plan = Single(ps.Run("Get-EdgeDevice -Inventory $args[0] -Name $args[1] | Get-EdgeBuildPlan -Profile opencv", Inv, pi.Name));
        var byPlan = Build(pi, "-Recipe opencv");
        Assert.Equal(plan.P("MaxJobs"), byPlan.P("Jobs"));
        var cvPi = Recorded(pi, byPlan);
        Assert.Equal(plan.P("MaxJobs"), cvPi["MAKEFLAGS"][2..]);
        Assert.Equal("0", cvPi["ENABLE_CONTRIB"]);
        Assert.False(cvPi.ContainsKey("CMAKE_ARGS"));
    }

    [FleetFact]
    public void Git_source_is_cloned_on_the_build_host_at_the_ref()
    {
        using var ps = new PowerShellSession();
        var d = Dev(0);
        // a repository on the build host itself (no network here): v1 computes a*b+7, main then changes it
        var src = TestProjects.CExtension(Path.Combine(_temp, "gitsrc"));
        d.ExecOk("rm -rf /home/pi/repo /home/pi/repo.git && mkdir -p /home/pi/repo/src");
        File.Copy(Path.Combine(src, "setup.py"), d.HostPath("/home/pi/repo/setup.py"));
        File.Copy(Path.Combine(src, "src", "edgecalc.c"), d.HostPath("/home/pi/repo/src/edgecalc.c"));
        d.ExecOk("chown -R pi:pi /home/pi/repo && su pi -c 'cd /home/pi/repo && git init -q -b main && git -c user.email=t@t -c user.name=t add -A && " +
                 "git -c user.email=t@t -c user.name=t commit -qm v1 && git tag v1 && sed -i s/7/8/ src/edgecalc.c && " +
                 "git -c user.email=t@t -c user.name=t commit -qam v2 && git clone -q --bare . /home/pi/repo.git'");
        var b = StartBuild(ps, d, "file:///home/pi/repo.git", "-Ref v1 -Jobs 1");
        Assert.StartsWith("repo-", b.P("Id"));
        var done = Single(ps.Run("$args[0] | Wait-WheelBuild -Timeout 600", b));
        Assert.Equal("Succeeded", done.P("State"));
        Assert.Contains("a * b + 7", d.ExecOk($"cat \"$(cat '{done.P("Directory")}/srcdir')/src/edgecalc.c\""));
        var bad = ps.Run("Get-EdgeDevice -Inventory $args[0] -Name $args[1] | Start-WheelBuild -Source 'file:///home/pi/repo.git' -Ref 'no-such-ref'", Inv, d.Name);
        Assert.Contains(bad.Errors, e => e.Id() == "WheelBuildStartFailed" && e.ToString().Contains("checkout"));
        d.Exec("rm -rf /home/pi/repo /home/pi/repo.git");
    }

    [FleetFact]
    public void Bad_input_is_refused_with_the_parameter_named_and_WhatIf_changes_nothing()
    {
        using var ps = new PowerShellSession();
        var d = Dev(0);
        var src = TestProjects.CExtension(Path.Combine(_temp, "bad"));
        var r = ps.Run("Get-EdgeDevice -Inventory $args[0] -Name $args[1] | Get-WheelBuild -Id $args[2]", Inv, d.Name, "x; rm -rf ~");
        Assert.Contains(r.Errors, e => e.Id() == "WheelBuildIdInvalid" && e.ToString().Contains("-Id"));
        r = ps.Run("Get-EdgeDevice -Inventory $args[0] -Name $args[1] | Start-WheelBuild -Source $args[2] -Environment @{ 'A B' = 1 }", Inv, d.Name, src);
        Assert.Contains(r.Errors, e => e.Id() == "BuildEnvironmentInvalid" && e.ToString().Contains("-Environment"));
        r = ps.Run("Get-EdgeDevice -Inventory $args[0] -Name $args[1] | Start-WheelBuild -Source $args[2]", Inv, d.Name, Path.Combine(_temp, "missing"));
        Assert.Contains(r.Errors, e => e.Id() == "BuildSourceNotFound" && e.ToString().Contains("-Source"));
        r = ps.Run("Get-EdgeDevice -Inventory $args[0] -Name $args[1] | Stop-WheelBuild", Inv, d.Name);
        Assert.Contains(r.Errors, e => e.Id() == "WheelBuildIdMissing");
        // -Ref without a git URL ends the command before any device (a statement-terminating error, in the error stream)
        r = ps.Run("Get-EdgeDevice -Inventory $args[0] -Name $args[1] | Start-WheelBuild -Source $args[2] -Ref v1", Inv, d.Name, src);
        Assert.Empty(r.Output);
        Assert.Contains(r.Errors, e => e.Id() == "WheelBuildRefWithoutGit" && e.ToString().Contains("-Ref"));

        var before = d.ExecOk("ls /home/pi/.local/state/edgeops/builds 2>/dev/null | wc -l").Trim();
        r = ps.Run("Get-EdgeDevice -Inventory $args[0] -Name $args[1] | Start-WheelBuild -Source $args[2] -Jobs 1 -WhatIf", Inv, d.Name, src);
        NoErrors(r);
        Assert.Empty(r.Output);
        Assert.Equal(before, d.ExecOk("ls /home/pi/.local/state/edgeops/builds 2>/dev/null | wc -l").Trim());
    }
}

/// <summary>A Raspberry Pi 4 (3.7 GiB RAM) with a 4 GiB SD card (sparse): room for the swap 4 generic build jobs need.</summary>
public sealed class EnsureSwapFleetFixture : FleetFixture
{
    public EnsureSwapFleetFixture() : base(new[] { SimulatedKinds.Pi4 }, 4L << 30) { }
}

/// <summary>
/// Start-WheelBuild -EnsureSwap on a simulated Raspberry Pi 4: 4 generic jobs of 1 GiB do not fit in its 3.7 GiB of RAM
/// (3 do), so Get-EdgeBuildPlan asks for about 814 MiB of swap, which the build makes with New-SwapFile's service, and
/// only once the build itself was agreed to. Every test turns off and deletes the swap file and puts fstab back.
/// </summary>
public sealed class EnsureSwapWheelBuildFleetTests : IClassFixture<EnsureSwapFleetFixture>, IDisposable
{
    const int Jobs = 4;
    static readonly string[] s_swapPaths = { "/swapfile", "/var/swap" };
    readonly SimulatedFleet _fleet;
    readonly SimulatedDevice _d;
    readonly string _fstab;
    readonly PowerShellSession _ps = new();
    readonly string _temp = Directory.CreateTempSubdirectory("edgeops-ensureswap-").FullName;

    public EnsureSwapWheelBuildFleetTests(EnsureSwapFleetFixture f)
    {
        _fleet = f.Fleet;
        _d = _fleet.Devices[0];
        _fstab = File.ReadAllText(_d.HostPath("/etc/fstab"));
        _ps.Set("inv", _fleet.InventoryPath);
        _ps.Set("cred", FleetTestKit.Credential("pi", _fleet.SudoPassword));
    }

    public void Dispose()
    {
        try
        {
            _d.Exec("for p in /proc/[0-9]*; do tr '\\0' '\\n' < \"$p/environ\" 2>/dev/null | grep -q '^EDGEOPS_BUILD_ID=' && kill -KILL \"${p#/proc/}\"; done; " +
                    "rm -rf /home/pi/.local/state/edgeops; true");
            foreach (var p in s_swapPaths) _d.Exec($"swapoff -- {Sh.Quote(p)} 2>/dev/null; rm -f -- {Sh.Quote(p)}");
            File.WriteAllText(_d.HostPath("/etc/fstab"), _fstab);
        }
        finally
        {
            _ps.Dispose();
            try { Directory.Delete(_temp, true); } catch (Exception) { }
        }
    }

    static void NoErrors(PSRun r) => Assert.True(r.Errors.Count == 0, string.Join("\n", r.Errors.Select(e => e.ToString())));

    /// <summary>Get-EdgeBuildPlan for the generic recipe and <see cref="Jobs"/> jobs, as the user would ask it first.</summary>
    PSObject Plan()
    {
        var r = _ps.Run("Get-EdgeDevice -Inventory $inv | Get-EdgeBuildPlan -Profile generic -Jobs $args[0]", Jobs);
        NoErrors(r);
        return Assert.Single(r.Output);
    }

    /// <summary>The device's swap files as Get-SwapFile reports them.</summary>
    List<PSObject> SwapFiles()
    {
        var r = _ps.Run("Get-EdgeDevice -Inventory $inv | Get-SwapFile -SudoCredential $cred");
        NoErrors(r);
        return r.Output.Where(o => o.P("Type") == "file").ToList();
    }

    string BuildCount() => _d.ExecOk("ls /home/pi/.local/state/edgeops/builds 2>/dev/null | wc -l").Trim();

    [FleetFact]
    public void EnsureSwap_makes_the_swap_the_plan_needs_then_the_build_succeeds()
    {
        var plan = Plan();
        long need = long.Parse(plan.P("AdditionalSwapBytes"));
        Assert.True(need > 0, $"{Jobs} generic jobs must need swap on a {plan.P("MemTotalBytes")}-byte device");
        Assert.Empty(SwapFiles());

        var src = TestProjects.CExtension(Path.Combine(_temp, "swapcalc"));
        var r = _ps.Run("Get-EdgeDevice -Inventory $inv | Start-WheelBuild -Source $args[0] -EnsureSwap -Jobs $args[1] -SudoCredential $cred -Verbose | " +
                        "Wait-WheelBuild -Timeout 600", src, Jobs);
        NoErrors(r);
        var build = Assert.Single(r.Output);
        Assert.Equal("Succeeded", build.P("State"));
        Assert.Equal(Jobs.ToString(), build.P("Jobs"));
        Assert.Contains(r.Verbose, v => v.Contains($"{Jobs} jobs of ") && v.Contains("more swap"));
        // the build was agreed to first, then the swap file through New-SwapFile's own ShouldProcess
        var asked = r.Verbose.Where(v => v.StartsWith("Performing the operation", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, asked.Count);
        Assert.Contains("Start a generic wheel build", asked[0]);
        Assert.Contains("swap", asked[1]);

        // the swap file exists, is active on the device, at least the size the plan asked, and in fstab as New-SwapFile writes it
        var file = Assert.Single(SwapFiles());
        var path = file.P("Path");
        Assert.Equal("True", file.P("Active"));
        // the plan's figure is the file's size; the kernel uses all but its first page (the swap header)
        long fileBytes = long.Parse(_d.ExecOk($"stat -c %s {Sh.Quote(path)}").Trim());
        Assert.True(fileBytes >= need, $"{path}: {fileBytes} bytes, the plan asked {need}");
        Assert.True(long.Parse(file.P("SizeBytes")) >= need - 4096, $"Get-SwapFile: {path} {file.P("SizeBytes")} bytes, the plan asked {need}");
        long kib = SwapFleetTests.ActiveKiB(_d, path);
        Assert.True(kib * 1024 >= need - 4096, $"{path} in the device's /proc/swaps: {kib} KiB, the plan asked {need} bytes");   // /proc/swaps leaves out the header page
        Assert.Equal(1, FstabText.CountEntries(File.ReadAllText(_d.HostPath("/etc/fstab")), path));
        Assert.Contains(path + " none swap sw 0 0", File.ReadAllText(_d.HostPath("/etc/fstab")));
        Assert.Equal("0", Plan().P("AdditionalSwapBytes"));   // the plan now fits
    }

    [FleetFact]
    public void EnsureSwap_with_WhatIf_makes_no_swap_and_no_build()
    {
        Assert.True(long.Parse(Plan().P("AdditionalSwapBytes")) > 0);
        var fstab = File.ReadAllText(_d.HostPath("/etc/fstab"));
        var swaps = File.ReadAllText("/proc/swaps");
        var builds = BuildCount();
        var src = TestProjects.CExtension(Path.Combine(_temp, "whatif"));
        var r = _ps.Run("Get-EdgeDevice -Inventory $inv | Start-WheelBuild -Source $args[0] -EnsureSwap -Jobs $args[1] -SudoCredential $cred -WhatIf", src, Jobs);
        NoErrors(r);
        Assert.Empty(r.Output);
        // one question, the build's, and it tells of the swap it would make first
        var whatIf = Assert.Single(r.WhatIf);
        Assert.Contains("Start a generic wheel build", whatIf);
        Assert.Contains("more swap (-EnsureSwap)", whatIf);
        Assert.Equal(fstab, File.ReadAllText(_d.HostPath("/etc/fstab")));
        Assert.Equal(swaps, File.ReadAllText("/proc/swaps"));
        Assert.Empty(SwapFiles());
        foreach (var p in s_swapPaths) Assert.False(File.Exists(_d.HostPath(p)), p + " was made");
        Assert.Equal(builds, BuildCount());
    }

    [FleetFact]
    public void EnsureSwap_asks_for_the_build_before_the_swap_and_a_declined_swap_starts_nothing()
    {
        // what -Confirm does, answered "yes" to the build and "no" to the swap file
        var device = Inventory.Load(_fleet.InventoryPath).Single().Device;
        using var ctx = new AnsweringContext(device, TransportFactory.Open(device, new ConnectionOptions { KnownHostsPath = _fleet.KnownHostsPath }, CancellationToken.None),
                                             action => action.StartsWith("Start a generic wheel build", StringComparison.Ordinal));
        var fstab = File.ReadAllText(_d.HostPath("/etc/fstab"));
        var swaps = File.ReadAllText("/proc/swaps");
        var builds = BuildCount();
        var b = new EdgeOps.Builds.WheelBuildService(ctx).Start(new EdgeOps.Builds.BuildRequest
        {
            SourcePath = TestProjects.CExtension(Path.Combine(_temp, "declined")), Jobs = Jobs, EnsureSwap = true,
        });
        Assert.Null(b);
        Assert.Equal(2, ctx.Asked.Count);
        Assert.StartsWith("Start a generic wheel build", ctx.Asked[0]);   // the build first: no swap for a build the user refuses
        Assert.Contains("swap", ctx.Asked[1]);
        Assert.Contains(ctx.Messages, m => m.Contains("the build was not started"));
        Assert.Equal(fstab, File.ReadAllText(_d.HostPath("/etc/fstab")));
        Assert.Equal(swaps, File.ReadAllText("/proc/swaps"));
        Assert.Equal(builds, BuildCount());
    }

    [FleetFact]
    public void EnsureSwap_makes_no_swap_when_RAM_and_todays_swap_fit()
    {
        // today's swap: what 4 jobs need, made beforehand by New-SwapFile
        var made = _ps.Run("Get-EdgeDevice -Inventory $inv | New-SwapFile -ForBuildJobs $args[0] -MemoryPerJob 1GB -SudoCredential $cred", Jobs);
        NoErrors(made);
        Assert.Equal("0", Plan().P("AdditionalSwapBytes"));
        var path = Assert.Single(made.Output).P("Path");
        var fstab = File.ReadAllText(_d.HostPath("/etc/fstab"));
        var before = SwapFiles().Select(f => f.P("Path") + " " + f.P("SizeBytes")).ToList();

        var src = TestProjects.CExtension(Path.Combine(_temp, "fits"));
        var r = _ps.Run("Get-EdgeDevice -Inventory $inv | Start-WheelBuild -Source $args[0] -EnsureSwap -Jobs $args[1] -SudoCredential $cred -Verbose | " +
                        "Wait-WheelBuild -Timeout 600", src, Jobs);
        NoErrors(r);
        Assert.Equal("Succeeded", Assert.Single(r.Output).P("State"));
        Assert.Contains(r.Verbose, v => v.Contains($"{Jobs} jobs fit in RAM and today's swap: no swap made."));
        Assert.DoesNotContain(r.Verbose, v => v.Contains("more swap"));
        Assert.Equal(before, SwapFiles().Select(f => f.P("Path") + " " + f.P("SizeBytes")).ToList());
        Assert.Equal(fstab, File.ReadAllText(_d.HostPath("/etc/fstab")));
        Assert.True(SwapFleetTests.ActiveKiB(_d, path) > 0);
    }

    /// <summary>A device context whose ShouldProcess answers by the action asked (as -Confirm would), keeping the questions in order.</summary>
    sealed class AnsweringContext : IDeviceContext, IDisposable
    {
        readonly Func<string, bool> _answer;
        public AnsweringContext(EdgeDevice device, IDeviceTransport transport, Func<string, bool> answer) { Device = device; Transport = transport; _answer = answer; }
        public EdgeDevice Device { get; }
        public IDeviceTransport Transport { get; }
        public CancellationToken Cancellation => CancellationToken.None;
        public bool WhatIf => false;
        public bool Force => false;
        public List<string> Asked { get; } = new();
        public List<string> Messages { get; } = new();
        public void Verbose(string message) => Messages.Add(message);
        public void Warning(string message) => Messages.Add(message);
        public void Progress(string activity, string status, long done, long total) { }
        public void ProgressDone(string activity) { }
        public bool ShouldProcess(string target, string action) { Asked.Add(action); return _answer(action); }
        public void Dispose() => TransportFactory.Close(Device.ComputerName);
    }
}
