using System.Diagnostics;
using EdgeOps.Tests.Fleet;
using EdgeOps.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace EdgeOps.Tests.Backup
{
    /// <summary>
    /// bench/backup/run.sh: cards laid out like Raspberry Pi OS (MBR, FAT32 boot 256 MiB + ext4 root, 1 GiB), 310 MiB in
    /// use (some incompressible, most compressible like /usr), 100 MiB of deleted data in free blocks, reading at
    /// 40 MiB/s as a Raspberry Pi 4's card does (a blkio throttle). Backup-SdCard against `ssh dd | zstd -1 -T0`, the
    /// card's cache flushed before each method; throttled and unthrottled; the controller's CPU per GiB of card; and
    /// eight devices backed up at once by one controller (in the test host, and in a pwsh process of its own against the baseline). Skipped unless EDGEOPS_BENCH=1.
    /// Knobs: EDGEOPS_BENCH_CARD_MIB (1024), EDGEOPS_BENCH_USED_MIB (310), EDGEOPS_BENCH_DELETED_MIB (100),
    /// EDGEOPS_BENCH_CARD_MIBPS (40: the card's read rate), EDGEOPS_BENCH_DEVICES (8), EDGEOPS_BENCH_DEVICE_CPU_SHARES (10240:
    /// the devices' cpu weight while their cards are throttled, a board's own CPU; 0: off).
    /// </summary>
    public class BackupBenchmark
    {
        readonly ITestOutputHelper _out;
        public BackupBenchmark(ITestOutputHelper output) { _out = output; }

        static long Env(string name, long dflt) => long.TryParse(Environment.GetEnvironmentVariable(name), out var v) ? v : dflt;
        static string Load() => File.ReadAllText("/proc/loadavg").Split(' ')[0];
        static double Cpu() => Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;

        /// <summary>CPU seconds of this process's threads so far, by thread name (/proc/self/task/*/stat: utime + stime).</summary>
        static Dictionary<string, double> ThreadCpu()
        {
            var byName = new Dictionary<string, double>();
            foreach (var t in Directory.GetDirectories("/proc/self/task"))
            {
                string stat;
                try { stat = File.ReadAllText(Path.Combine(t, "stat")); } catch (IOException) { continue; }
                int open = stat.IndexOf('('), close = stat.LastIndexOf(')');
                var f = stat[(close + 2)..].Split(' ');
                var name = stat[(open + 1)..close];
                byName[name] = byName.GetValueOrDefault(name) + (double.Parse(f[11]) + double.Parse(f[12])) / 100.0;
            }
            return byName;
        }

        /// <summary>
        /// The split by thread name; threads that ended during the run (the stream's pump, retired pool workers) are not in
        /// /proc any more, so what the process total has beyond the live threads is shown as "ended threads".
        /// </summary>
        static string CpuByThread(Dictionary<string, double> before, Dictionary<string, double> after, double total)
        {
            var live = after.Select(kv => (Key: kv.Key.Trim(), d: kv.Value - before.GetValueOrDefault(kv.Key))).ToList();
            var ended = total - live.Sum(x => Math.Max(0, x.d));
            if (ended >= 0.05) live.Add(("ended threads", ended));
            return string.Join(", ", live.Where(x => x.d >= 0.05).OrderByDescending(x => x.d).Select(x => $"{x.Key} {x.d:0.00} s"));
        }

        [BenchFact("bench/backup/run.sh")]
        public void Backup_SdCard_against_dd_zstd_on_a_card_that_reads_like_a_card()
        {
            long cardMiB = Env("EDGEOPS_BENCH_CARD_MIB", 1024), usedMiB = Env("EDGEOPS_BENCH_USED_MIB", 310),
                 deletedMiB = Env("EDGEOPS_BENCH_DELETED_MIB", 100), mibps = Env("EDGEOPS_BENCH_CARD_MIBPS", 40);
            int count = (int)Env("EDGEOPS_BENCH_DEVICES", 8);
            var lines = new List<string>();
            void Say(string s) { _out.WriteLine(s); lines.Add(s); }
            var started = Stopwatch.StartNew();
            using var fleet = SimulatedFleet.Start(count, cardMiB << 20, mibps << 20, bootMiB: 256);
            var stage = Path.Combine(fleet.TempDir, "stage");
            Directory.CreateDirectory(stage);
            // What a Raspberry Pi OS card holds: kernels and initramfs (compressed already) on the boot partition, some
            // incompressible data (models, pictures, wheels) and mostly compressible system files (/usr) on the root.
            long bootRand = 20, bootComp = 10, rootRand = 70;
            Run.Sh($"head -c {rootRand}M /dev/urandom > {stage}/rand.bin && head -c {bootRand}M /dev/urandom > {stage}/kernel.img && " +
                   $"(tar -cf - -C /usr/share . 2>/dev/null; tar -cf - -C /usr/lib . 2>/dev/null) | head -c {usedMiB}M > {stage}/system.tar");
            Parallel.ForEach(fleet.Devices, d =>
            {
                // boot files written with mtools on the boot partition's loop device, as device.sh does (the device's FAT mount is read-mostly)
                var home = d.HostPath("/home/pi");
                Run.Sh($"head -c {bootComp}M {stage}/system.tar > {Run.Q(d.Dir)}/initramfs8 && MTOOLS_SKIP_CHECK=1 mcopy -o -i {d.BootLoopDevice} {stage}/kernel.img ::/kernel8.img " +
                       $"&& MTOOLS_SKIP_CHECK=1 mcopy -o -i {d.BootLoopDevice} {Run.Q(d.Dir)}/initramfs8 ::/initramfs8 && rm {Run.Q(d.Dir)}/initramfs8 && sync");
                Run.Sh($"mkdir -p {Run.Q(home)}/models && cp {stage}/rand.bin {Run.Q(home)}/models/model.bin && sync");
                long now = long.Parse(d.ExecOk("df -m / | awk 'NR==2{print $3}'").Trim()) + bootRand + bootComp;
                Run.Sh($"mkdir -p {Run.Q(d.RootDir)}/opt/app && head -c {Math.Max(0, usedMiB - now)}M {stage}/system.tar > {Run.Q(d.RootDir)}/opt/app/lib.tar && sync");
                // deleted last, so its blocks stay free and keep their old bytes (written earlier, the files above would reuse them)
                d.ExecOk($"head -c {deletedMiB}M /dev/urandom > /home/pi/old-video.bin && sync && rm /home/pi/old-video.bin && sync");
            });
            var d0 = fleet.Devices[0];
            // A real board runs its card reader, zstd and sshd on cores of its own: the controller's work (a new host's JIT
            // above all) never keeps its card waiting. Here both share 2 cores, so in the card's model each device's
            // processes also get a cpu cgroup of a high weight (cpu.shares EDGEOPS_BENCH_DEVICE_CPU_SHARES, 10240, against
            // 1024 for each of the controller's threads; 0 leaves them out): they get a core when they have work, as the
            // board's own CPU would give it, and the controller the rest. The controller's CPU seconds are its own either
            // way. Unthrottled, and for the devices backed up at once, they compete with the controller as equals.
            using var deviceCpu = new DeviceCpuWeight(fleet.Devices, Env("EDGEOPS_BENCH_DEVICE_CPU_SHARES", 10240));
            var rootUsed = d0.ExecOk("df -m / | awk 'NR==2{print $3}'").Trim();
            Say($"{count} devices, each a {cardMiB} MiB card (MBR: FAT32 boot 256 MiB + ext4 root) with about {usedMiB} MiB in use " +
                $"(root filesystem {rootUsed} MiB used, boot {bootRand + bootComp} MiB; {rootRand + bootRand} MiB incompressible), {deletedMiB} MiB deleted; set up in {started.Elapsed.TotalSeconds:0} s");

            var work = Path.Combine(fleet.TempDir, "bench");
            Directory.CreateDirectory(work);
            var ssh = $"ssh -p {d0.Port} -i '{fleet.KeyPath("ed25519")}' -o UserKnownHostsFile='{fleet.KnownHostsPath}' -o BatchMode=yes pi@{d0.Address}";
            (double s, long bytes) OneLiner()
            {
                var file = Path.Combine(work, "card.img.zst");
                d0.FlushCardCache();
                var sw = Stopwatch.StartNew();
                Run.Sh($"{ssh} 'sudo dd if={d0.LoopDevice} bs=4M status=none' | zstd -1 -T0 -q > '{file}'");
                var r = (sw.Elapsed.TotalSeconds, new FileInfo(file).Length);
                File.Delete(file);
                return r;
            }
            PowerShellSession? kept = null;
            (double s, double cpu, long stored, long used, List<string> phases, string threads) Ours(IReadOnlyList<SimulatedDevice> devices, bool again = false)
            {
                foreach (var d in devices) d.FlushCardCache();
                var sw = Stopwatch.StartNew();
                // a new PowerShell host each time (its start, runspace and module import, is part of the wall), or with
                // again the one the previous backup used: the controller's cost per card once it runs
                if (!again) { kept?.Dispose(); kept = new PowerShellSession(); }
                var ps = kept!;
                ps.Set("sudo", FleetTestKit.Credential("pi", fleet.SudoPassword));
                var inventory = fleet.WriteInventory(Path.Combine(work, "inventory.yaml"), devices);
                var cpu = Cpu();
                var threads = ThreadCpu();
                var r = ps.Run("Get-EdgeDevice -Inventory $args[0] | Backup-SdCard -Destination $args[1] -SudoCredential $sudo -ThrottleLimit 16 -Verbose", inventory, Path.Combine(work, "dest"));
                cpu = Cpu() - cpu;
                var byThread = CpuByThread(threads, ThreadCpu(), cpu);
                var secs = sw.Elapsed.TotalSeconds;
                Assert.True(r.Errors.Count == 0, string.Join("\n", r.Errors));
                Assert.Equal(devices.Count, r.Output.Count);
                foreach (var o in r.Output) Assert.Equal("True", o.P("Verified"));
                var stored = r.Output.Sum(o => long.Parse(o.P("StoredBytes")));
                var used = r.Output.Sum(o => long.Parse(o.P("UsedBytes")));
                foreach (var o in r.Output) File.Delete(o.P("Path"));
                return (secs, cpu, stored, used, r.Verbose.Where(v => v.Contains(" in ") && v.Contains(devices[0].Name)).ToList(), byThread);
            }
            // The backup as a controller runs it: a pwsh process of its own (`dotnet pwsh`, as ./edgeops runs it, no xunit or
            // test-platform threads) that imports the module and backs the card up several times in a row, as a scheduled task
            // backs up a fleet one card after another: the first includes Import-Module (the process's own start is shown
            // apart) and the JIT's first compiles, the next ones its tiered recompiles, the last ones the steady state. The
            // card's cache is dropped before each (outside the measured CPU), and each backup's files are removed after it.
            // `module` is this build's, or another's (EDGEOPS_BENCH_BASELINE_MODULE: today's main, built by run.sh).
            int ownRuns = (int)Math.Max(2, Env("EDGEOPS_BENCH_OWN_RUNS", 6));
            // The pwsh they run in: the repository's, the PowerShell .NET tool (`pwsh`), whose own assemblies are IL only, so a
            // new process JIT-compiles PowerShell itself; and EDGEOPS_BENCH_PWSH, a pwsh.dll whose own assemblies are
            // ReadyToRun-compiled (run.sh makes one from the tool with the SDK's crossgen2), as PowerShell's packages ship them.
            var pwshes = new List<(string path, string name)> { ("pwsh", "the PowerShell .NET tool") };
            if (Environment.GetEnvironmentVariable("EDGEOPS_BENCH_PWSH") is { Length: > 0 } pw && pw != "none") pwshes.Add((pw, "a pwsh with ReadyToRun-compiled PowerShell assemblies"));
            // devices: d0 alone, or several backed up at once (the fleet row: each backup of the row takes them all);
            // runs: how many backups the row has (ownRuns by default)
            (double[] s, double[] cpu, double start, double[] jit) OwnProcess(string module, string pwsh, IReadOnlyList<SimulatedDevice>? devices = null, int runs = 0)
            {
                devices ??= new[] { d0 };
                if (runs <= 0) runs = ownRuns;
                var script = Path.Combine(work, "own-process.ps1");
                File.WriteAllText(script, string.Join("\n",
                    "param($Inventory, $Dest, $Module, [int]$Runs, [int]$Devices)",
                    "$p = [Diagnostics.Process]::GetCurrentProcess()",
                    "$sudo = [pscredential]::new('pi', (ConvertTo-SecureString $env:EDGEOPS_BENCH_SUDO -AsPlainText -Force))",
                    "$p.Refresh(); $before = $p.TotalProcessorTime.TotalSeconds",
                    "# a failure shows its whole exception chain (the benchmark's message then says where it came from)",
                    "trap { 'failure: ' + $_.Exception.ToString() | Write-Host; break }",
                    "for ($i = 0; $i -lt $Runs; $i++) {",
                    "  & sh -c $env:EDGEOPS_BENCH_FLUSH",
                    "  $p.Refresh(); $c0 = $p.TotalProcessorTime.TotalSeconds; $w = [Diagnostics.Stopwatch]::StartNew(); $m0 = [System.Runtime.JitInfo]::GetCompiledMethodCount($false)",
                    "  if ($i -eq 0) { Import-Module $Module -ErrorAction Stop }",
                    "  if ($env:EDGEOPS_BENCH_TRACE) {",
                    "    $r = @(Get-EdgeDevice -Inventory $Inventory | Backup-SdCard -Destination $Dest -SudoCredential $sudo -ThrottleLimit 16 -ErrorAction Stop -Verbose 4>&1 |",
                    "      ForEach-Object { if ($_ -is [Management.Automation.VerboseRecord]) { 'trace {0} {1,7:0.000} {2}' -f $i, $w.Elapsed.TotalSeconds, $_.Message | Write-Host } else { $_ } })",
                    "  } else { $r = @(Get-EdgeDevice -Inventory $Inventory | Backup-SdCard -Destination $Dest -SudoCredential $sudo -ThrottleLimit 16 -ErrorAction Stop) }",
                    "  $w.Stop(); $p.Refresh()",
                    "  if ($r.Count -ne $Devices -or @($r | Where-Object { -not $_.Verified }).Count) { throw \"$($r.Count) results, not $Devices verified backups\" }",
                    "  'run {0} {1} {2} {3}' -f $i, $w.Elapsed.TotalSeconds.ToString([cultureinfo]::InvariantCulture), ($p.TotalProcessorTime.TotalSeconds - $c0).ToString([cultureinfo]::InvariantCulture), ([System.Runtime.JitInfo]::GetCompiledMethodCount($false) - $m0)",
                    "  Get-ChildItem -LiteralPath $Dest -Recurse -File -Force | Remove-Item -Force",
                    "}",
                    "'start {0}' -f $before.ToString([cultureinfo]::InvariantCulture)"));
                var wrap = (Environment.GetEnvironmentVariable("EDGEOPS_BENCH_WRAP") ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries);
                var psi = new ProcessStartInfo(wrap.Length > 0 ? wrap[0] : "dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = Repo.Root };
                foreach (var a in wrap.Skip(1).Concat(wrap.Length > 0 ? new[] { "dotnet" } : new string[0])) psi.ArgumentList.Add(a);
                foreach (var kv in (Environment.GetEnvironmentVariable("EDGEOPS_BENCH_CHILD_ENV") ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries))
                    psi.Environment[kv.Split('=')[0]] = kv.Substring(kv.IndexOf('=') + 1);
                foreach (var a in new[] { pwsh, "-NoProfile", "-NoLogo", "-File", script, fleet.WriteInventory(Path.Combine(work, "inventory.yaml"), devices),
                                          Path.Combine(work, "dest"), module, runs.ToString(System.Globalization.CultureInfo.InvariantCulture),
                                          devices.Count.ToString(System.Globalization.CultureInfo.InvariantCulture) })
                    psi.ArgumentList.Add(a);
                psi.Environment["EDGEOPS_BENCH_SUDO"] = fleet.SudoPassword;
                // pwsh's own telemetry (ApplicationInsights posting over HTTP, which this machine's network refuses) compiles
                // and runs code of its own during every backup of the row: PowerShell's cost, not the module's, so it is off
                psi.Environment["POWERSHELL_TELEMETRY_OPTOUT"] = "1";
                psi.Environment["EDGEOPS_BENCH_FLUSH"] = "sync; " + string.Join(" ", devices.Select(d =>
                    $"for l in {d.LoopDevice} {d.BootLoopDevice} {d.RootLoopDevice}; do blockdev --flushbufs $l; done; dd if={Run.Q(d.CardImage)} iflag=nocache count=0 status=none;"));
                using var p = Process.Start(psi)!;
                var err = p.StandardError.ReadToEndAsync();
                var lines = p.StandardOutput.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
                p.WaitForExit();
                if (p.ExitCode != 0)
                {
                    // what the devices' sshd said about it (a dropped connection is told from their side)
                    var logs = string.Join("\n", devices.Select(d => d.Name + ": " + string.Join("\n  ",
                        File.Exists(d.HostPath("/var/log/sshd.log")) ? File.ReadLines(d.HostPath("/var/log/sshd.log")).TakeLast(12) : new[] { "(no sshd.log)" })));
                    Assert.Fail(string.Join("\n", lines) + err.Result + "\nsshd logs:\n" + logs);
                }
                foreach (var t in lines.Where(l => l.StartsWith("trace "))) _out.WriteLine("    " + t);
                double[] F(string key) => lines.Single(l => l.StartsWith(key + " "))[(key.Length + 1)..].Trim().Split(' ').Select(x => double.Parse(x, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
                var rows = Enumerable.Range(0, runs).Select(i => F($"run {i}")).ToList();
                return (rows.Select(r => r[0]).ToArray(), rows.Select(r => r[1]).ToArray(), F("start")[0], rows.Select(r => r[2]).ToArray());
            }
            var baselineModule = Environment.GetEnvironmentVariable("EDGEOPS_BENCH_BASELINE_MODULE") is { Length: > 0 } bm ? bm : null;
            var baselineName = Environment.GetEnvironmentVariable("EDGEOPS_BENCH_BASELINE_LABEL") ?? "baseline";
            string Series(double[] xs, string format) => string.Join(" ", xs.Select(x => x.ToString(format, System.Globalization.CultureInfo.InvariantCulture)));
            // One line per module: CPU seconds per GiB of card for each backup in the row, and walls against the one-liner's.
            void SayOwn(string what, string who, string pwshName, (double[] s, double[] cpu, double start, double[] jit) own, double oneLiner, int devices = 1)
            {
                var perGiB = own.cpu.Select(c => c / (cardMiB / 1024.0 * devices)).ToArray();
                Say($"{what}: {who}: {own.s.Length} backups {(devices > 1 ? $"of all {devices} devices at once " : "")}in a row in a process of {pwshName}: controller CPU per GiB {Series(perGiB, "0.00")} " +
                    $"(mean {perGiB.Average():0.00}; pwsh's own start before them {own.start:0.00} s); wall {Series(own.s, "0.0")} s" +
                    (oneLiner > 0 ? $" = {Series(own.s.Select(x => x / oneLiner).ToArray(), "0.00")}x the one-liner's" : "") +
                    $"; methods JIT-compiled {Series(own.jit, "0")}");
            }
            void SayRatio(string what, string pwshName, (double[] s, double[] cpu, double start, double[] jit) ours, (double[] s, double[] cpu, double start, double[] jit) theirs) =>
                Say($"{what}, {pwshName}: controller CPU of this code / {baselineName}'s, backup by backup: {Series(ours.cpu.Zip(theirs.cpu, (a, b) => a / b).ToArray(), "0.00")} " +
                    $"(of the means {ours.cpu.Average() / theirs.cpu.Average():0.00})");
            double gib = cardMiB / 1024.0;
            // Profiling: EDGEOPS_BENCH_ONLY=own (or fleet: the devices at once) runs only the backup in a pwsh process of its own (EDGEOPS_BENCH_REPEAT times),
            // EDGEOPS_BENCH_WRAP puts a command before it (perf record -g -o FILE), EDGEOPS_BENCH_CHILD_ENV gives it variables
            // (DOTNET_PerfMapEnabled=1;DOTNET_EnableWriteXorExecute=0 for perf's names of JIT-compiled code); EDGEOPS_BENCH_TRACE=1
            // prints each backup's verbose lines with the seconds since it began (the backup's own timeline).
            if (Environment.GetEnvironmentVariable("EDGEOPS_BENCH_ONLY") == "own")
            {
                d0.SetCardReadLimit(mibps << 20);
                deviceCpu.Apply(true);
                for (int k = 0; k < (int)Env("EDGEOPS_BENCH_REPEAT", 1); k++)
                foreach (var (path, name) in pwshes)
                {
                    var own = OwnProcess(Environment.GetEnvironmentVariable("EDGEOPS_BENCH_MODULE") is { Length: > 0 } m ? m : Repo.ModuleManifest, path);
                    SayOwn($"own (load {Load()})", "this code", name, own, 0);
                    if (baselineModule != null)
                    {
                        var old = OwnProcess(baselineModule, path);
                        SayOwn($"own (load {Load()})", baselineName, name, old, 0);
                        SayRatio("own", name, own, old);
                    }
                }
                return;
            }
            // The capacity figure: all the devices backed up at once by a pwsh process of its own, twice in a row (the first
            // with Import-Module and the JIT's first compiles), with this code and with the baseline, in the PowerShell tool.
            void FleetRows(string what)
            {
                int fleetRuns = (int)Math.Max(1, Env("EDGEOPS_BENCH_FLEET_RUNS", 2));
                var load = Load();
                var own = OwnProcess(Repo.ModuleManifest, "pwsh", fleet.Devices, fleetRuns);
                SayOwn($"{what} (load {load})", "this code", pwshes[0].name, own, 0, count);
                if (baselineModule == null) return;
                load = Load();
                var old = OwnProcess(baselineModule, "pwsh", fleet.Devices, fleetRuns);
                SayOwn($"{what} (load {load})", baselineName, pwshes[0].name, old, 0, count);
                SayRatio($"{what}, {count} devices at once", pwshes[0].name, own, old);
            }
            if (Environment.GetEnvironmentVariable("EDGEOPS_BENCH_ONLY") == "fleet")
            {
                foreach (var d in fleet.Devices) d.SetCardReadLimit(mibps << 20);
                // EDGEOPS_BENCH_FLEET_WEIGHT=1: the devices at once with their cpu weight too (the regime that starved the
                // controller and once dropped an SSH connection; docs/backup.md, "Sixth round")
                if (Environment.GetEnvironmentVariable("EDGEOPS_BENCH_FLEET_WEIGHT") == "1") Say($"fleet: {deviceCpu.Apply(true)} processes moved into their cpu cgroups (weight {deviceCpu.Shares})");
                FleetRows("fleet");
                Ours(fleet.Devices);   // the JIT's first run
                for (int k = 0; k < (int)Env("EDGEOPS_BENCH_REPEAT", 1); k++)
                {
                    var load = Load();
                    var all = Ours(fleet.Devices);
                    Say($"fleet: {count} at once {all.s:0.0} s, controller CPU {all.cpu:0.0} s ({all.cpu / (gib * count):0.00} s per GiB), load {load}: {all.threads}");
                }
                return;
            }
            d0.SetCardReadLimit(0);
            Ours(new[] { d0 });   // the first run in this process pays the JIT: not measured
            // The test host's own CPU while no backup runs (xunit, the test platform, its telemetry timers): it is inside every
            // "controller CPU" figure below, and a user's pwsh does not have it.
            var idleCpu = Cpu();
            System.Threading.Thread.Sleep(5000);
            idleCpu = (Cpu() - idleCpu) / 5;
            Say($"test host idle: {idleCpu:0.000} s of CPU per second with no backup running (inside each figure below: {idleCpu * 10:0.00} s per 10 s of wall)");
            foreach (var limit in new[] { mibps, 0L })
            {
                foreach (var d in fleet.Devices) d.SetCardReadLimit(limit << 20);
                int moved = deviceCpu.Apply(limit > 0);
                var what = limit > 0 ? $"card at {limit} MiB/s" : "card unthrottled";
                if (deviceCpu.Shares > 0) Say($"{what}: {moved} processes of the {count} devices moved {(limit > 0 ? $"into their cpu cgroups (weight {deviceCpu.Shares})" : "back to the root cpu cgroup")}");
                var load = Load();
                var zs = OneLiner();
                Say($"{what}: ssh dd | zstd -1 -T0    {zs.s,6:0.0} s  {zs.bytes / 1048576.0,7:0.0} MiB  (load {load})");
                load = Load();
                var us = Ours(new[] { d0 });
                Say($"{what}: Backup-SdCard           {us.s,6:0.0} s  {us.stored / 1048576.0,7:0.0} MiB  (load {load}): " +
                    $"{us.s / zs.s:0.00}x the one-liner's wall, {(double)us.stored / zs.bytes:0.00}x its size; read {us.used / 1048576.0:0} MiB; " +
                    $"controller CPU {us.cpu:0.00} s = {us.cpu / gib:0.00} s per GiB of card (a new PowerShell host)");
                load = Load();
                var again = Ours(new[] { d0 }, again: true);
                Say($"{what}: Backup-SdCard again in the same host {again.s,6:0.0} s (load {load}): controller CPU {again.cpu:0.00} s = {again.cpu / gib:0.00} s per GiB of card");
                Say("    controller CPU by thread (same host): " + again.threads);
                if (limit > 0)
                foreach (var (path, name) in pwshes)
                {
                    load = Load();
                    var own = OwnProcess(Repo.ModuleManifest, path);
                    SayOwn($"{what} (load {load})", "this code", name, own, zs.s);
                    if (baselineModule != null)
                    {
                        load = Load();
                        var old = OwnProcess(baselineModule, path);
                        SayOwn($"{what} (load {load})", baselineName, name, old, zs.s);
                        SayRatio(what, name, own, old);
                    }
                }
                if (limit > 0)
                    Say($"{what}: physical limit (used blocks / {limit} MiB/s) {us.used / 1048576.0 / limit:0.0} s = {us.used / 1048576.0 / limit / zs.s:0.00}x the one-liner; " +
                        $"Backup-SdCard at {us.used / 1048576.0 / limit / us.s:0.00}x of the card's speed");
                foreach (var v in us.phases) Say("    " + v);
                Say("    controller CPU by thread (new host): " + us.threads);
                if (limit > 0 && count > 1)
                {
                    // Eight devices of high weight take the 2 cores from the controller whenever their zstd and sshd have
                    // work (one run so starved it dropped an SSH connection): eight boards have 32 cores of their own,
                    // which no weight on 2 shared cores models. The devices at once compete as equals.
                    Say($"{what}: {deviceCpu.Apply(false)} processes of the {count} devices moved back to the root cpu cgroup for the devices at once");
                    load = Load();
                    var all = Ours(fleet.Devices);
                    Say($"{what}: {count} devices at once: {all.s:0.0} s = {all.s / us.s:0.00}x one device's wall; controller CPU {all.cpu:0.0} s " +
                        $"({all.cpu / all.s:0.00} of {Environment.ProcessorCount} cores busy on average; {all.cpu / (gib * count):0.00} s per GiB); load {load}");
                    Say("    controller CPU by thread (8 at once): " + all.threads);
                    FleetRows(what);
                }
            }
            kept?.Dispose();
            File.WriteAllLines(Path.Combine(Repo.Root, "bench", "backup", "last-run.txt"), lines.Prepend($"# bench/backup/run.sh, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores"));
        }
    }

    /// <summary>
    /// Each simulated device's processes in a cpu cgroup (v1) of its own with a high cpu.shares while on (see the
    /// benchmark); off moves them back to the root group. Forked processes (sshd's sessions, the reader, zstd) inherit it.
    /// Dispose moves them back and removes the groups.
    /// </summary>
    sealed class DeviceCpuWeight : IDisposable
    {
        const string Root = "/sys/fs/cgroup/cpu";
        readonly IReadOnlyList<SimulatedDevice> _devices;
        public long Shares { get; }

        public DeviceCpuWeight(IReadOnlyList<SimulatedDevice> devices, long shares)
        {
            _devices = devices;
            Shares = shares > 0 && File.Exists(Path.Combine(Root, "cgroup.procs")) ? shares : 0;
        }

        static string Group(SimulatedDevice d) => Path.Combine(Root, "edgeops-bench-" + Path.GetFileName(d.CgroupPath));

        /// <summary>Returns how many processes it moved.</summary>
        public int Apply(bool on)
        {
            if (Shares == 0) return 0;
            int moved = 0;
            foreach (var d in _devices)
            {
                var g = Group(d);
                if (on)
                {
                    Directory.CreateDirectory(g);
                    File.WriteAllText(Path.Combine(g, "cpu.shares"), Shares.ToString(System.Globalization.CultureInfo.InvariantCulture));
                    // every process of the device is in its blkio group (device.sh puts its first process there)
                    moved += Move(Path.Combine(d.CgroupPath, "cgroup.procs"), g);
                }
                else if (Directory.Exists(g)) moved += Move(Path.Combine(g, "cgroup.procs"), Root);
            }
            return moved;
        }

        static int Move(string procsOf, string to)
        {
            int moved = 0;
            foreach (var pid in File.ReadAllLines(procsOf))
                try { File.WriteAllText(Path.Combine(to, "cgroup.procs"), pid); moved++; }
                catch (IOException) { /* ended meanwhile */ }
            return moved;
        }

        public void Dispose()
        {
            if (Shares == 0) return;
            foreach (var d in _devices)
            {
                var g = Group(d);
                if (!Directory.Exists(g)) continue;
                for (int i = 0; i < 100; i++)
                {
                    Move(Path.Combine(g, "cgroup.procs"), Root);
                    try { Directory.Delete(g); break; }
                    catch (IOException) { Thread.Sleep(10); }
                }
            }
        }
    }

}
