using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using System.Threading;
using EdgeOps.Fleet;
using EdgeOps.Storage;
using EdgeOps.Swap;
using EdgeOps.Transport;
using EdgeOps.Wheels;

namespace EdgeOps.Builds
{
    /// <summary>What Start-WheelBuild was asked to build.</summary>
    public sealed class BuildRequest
    {
        /// <summary>A folder or a .tar.gz on the controller (uploaded); or null with <see cref="GitUrl"/>.</summary>
        public string SourcePath { get; set; }
        public string GitUrl { get; set; }
        public string Ref { get; set; }
        public string Recipe { get; set; } = "generic";
        public IDictionary<string, string> Environment { get; set; }
        /// <summary>Null: what Get-EdgeBuildPlan's math allows for the recipe's memory per job.</summary>
        public int? Jobs { get; set; }
        public bool EnsureSwap { get; set; }
        public string PythonPath { get; set; } = "python3";
        /// <summary>opencv: build opencv-contrib-python.</summary>
        public bool Contrib { get; set; }
        /// <summary>Null: made from the project's name and the time.</summary>
        public string Id { get; set; }
        /// <summary>The project's name (default: from the source's name).</summary>
        public string Project { get; set; }
    }

    /// <summary>
    /// Native wheel builds on one build host. A build lives in its own folder there (source, environment, state,
    /// exit code, log, wheels) and runs detached from the SSH session (a transient systemd unit, or setsid), so the
    /// controller may disconnect, crash or come back the next day: every call reads the folder again.
    /// </summary>
    public sealed class WheelBuildService
    {
        /// <summary>Relative to the login user's home on the build host.</summary>
        public const string DefaultRoot = ".local/state/edgeops/builds";

        readonly IDeviceContext _ctx;
        readonly string _root;

        public WheelBuildService(IDeviceContext context, string root = null)
        {
            _ctx = context ?? throw new ArgumentNullException(nameof(context));
            _root = NormalizeRoot(root);
        }

        string Dev => _ctx.Device.ComputerName;

        /// <summary>"~/x" and "x" are the same folder under the home of the build host's user; "/x" is absolute.</summary>
        public static string NormalizeRoot(string root)
        {
            if (string.IsNullOrWhiteSpace(root)) return DefaultRoot;
            if (root.IndexOf('\0') >= 0 || root.IndexOf('\n') >= 0)
                throw new EdgeOpsException("BuildRootInvalid", "InvalidArgument", "-BuildRoot must be a folder path on one line: give one without line breaks, e.g. ~/builds.");
            if (root == "~") throw new EdgeOpsException("BuildRootInvalid", "InvalidArgument", "-BuildRoot cannot be the home folder itself: give a folder in it, e.g. ~/builds.");
            if (root.StartsWith("~/", StringComparison.Ordinal)) root = root.Substring(2);
            return root.TrimEnd('/');
        }

        static readonly Regex s_id = new Regex("^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$");

        public static string CheckId(string id)
        {
            if (id == null || !s_id.IsMatch(id) || id.Contains(".."))
                throw new EdgeOpsException("WheelBuildIdInvalid", "InvalidArgument",
                    $"-Id '{id}' is not a build id: ids are letters, digits, '.', '_' and '-', as Start-WheelBuild makes them. Run Get-WheelBuild to list the builds on the host, then give one of their ids.");
            return id;
        }

        public static string NewId(string project) =>
            $"{SourceArchive.ProjectName(project)}-{DateTime.UtcNow:yyyyMMdd-HHmmss}-{Guid.NewGuid().ToString("N").Substring(0, 4)}";

        // ------------------------------------------------------------------ Start / Resume

        public WheelBuild Start(BuildRequest r)
        {
            var recipe = BuildRecipes.Check(r.Recipe);
            bool git = !string.IsNullOrEmpty(r.GitUrl);
            if (!git && string.IsNullOrEmpty(r.SourcePath))
                throw new EdgeOpsException("BuildSourceMissing", "InvalidArgument", "Give -Source: a folder or .tar.gz on this machine, or a git URL (with -Ref).");
            if (!git && !Directory.Exists(r.SourcePath) && !File.Exists(r.SourcePath))
                throw new EdgeOpsException("BuildSourceNotFound", "ObjectNotFound", $"-Source '{r.SourcePath}' does not exist on this machine: give a folder, a .tar.gz or a git URL.");
            if (!git && File.Exists(r.SourcePath) && !Regex.IsMatch(r.SourcePath, @"\.(tar\.gz|tgz)$", RegexOptions.IgnoreCase))
                throw new EdgeOpsException("BuildSourceInvalid", "InvalidArgument", $"-Source '{r.SourcePath}' is a file but not a .tar.gz: give a folder, a .tar.gz or a git URL.");
            var project = string.IsNullOrEmpty(r.Project) ? SourceArchive.ProjectName(git ? r.GitUrl : r.SourcePath) : SourceArchive.ProjectName(r.Project);
            var id = r.Id != null ? CheckId(r.Id) : NewId(project);
            var python = string.IsNullOrWhiteSpace(r.PythonPath) ? "python3" : r.PythonPath;
            if (r.Environment != null) foreach (var kv in r.Environment) BuildRecipes.CheckVariable(kv.Key, kv.Value);

            var profile = DevicePython.Probe(_ctx, python, new string[0]);
            var facts = BuildRecipes.Facts(_ctx.Device, profile);
            int jobs = ChooseJobs(recipe, r.Jobs, r.EnsureSwap, out var swapPlan);
            var env = BuildRecipes.Environment(recipe, jobs, facts, r.Contrib, python, r.Environment);
            var meta = Meta(id, project, recipe, jobs, python, r.Contrib, git ? r.GitUrl + (string.IsNullOrEmpty(r.Ref) ? "" : "@" + r.Ref) : Path.GetFileName(r.SourcePath.TrimEnd('/', '\\')));

            var what = $"Start a {recipe} wheel build of {project} with {jobs} job(s) in {_root}/{id}" + SwapClause(swapPlan);
            if (!_ctx.ShouldProcess("build host", what)) return null;
            if (!MakeSwap(swapPlan)) return null;

            string tempArchive = null;
            try
            {
                Stream stdin = null;
                if (!git)
                {
                    if (Directory.Exists(r.SourcePath))
                    {
                        tempArchive = Path.Combine(Path.GetTempPath(), "edgeops-src-" + Guid.NewGuid().ToString("N") + ".tar.gz");
                        using (var f = File.Create(tempArchive)) SourceArchive.Pack(r.SourcePath, project, f);
                        stdin = File.OpenRead(tempArchive);
                    }
                    else stdin = File.OpenRead(r.SourcePath);
                    _ctx.Verbose($"Uploading the source ({RateMeter.Human(stdin.Length)}) to {_root}/{id}/src.");
                }
                using (stdin)
                {
                    var cmd = BuildScripts.Command(BuildScripts.StartScript, "edgeops-build-start", new[]
                    {
                        _root, id, git ? "git" : "upload", r.GitUrl ?? "", r.Ref ?? "", "0", BuildScripts.Runner,
                        BuildRecipes.ToText(env), meta,
                    });
                    var res = stdin != null
                        ? _ctx.Transport.RunStreaming(cmd, stdin, null, CommandOptions.Default, _ctx.Cancellation)
                        : _ctx.Transport.Run(cmd, CommandOptions.Default, _ctx.Cancellation);
                    ThrowStart(res, id);
                }
            }
            finally
            {
                if (tempArchive != null) try { File.Delete(tempArchive); } catch (IOException) { }
            }
            _ctx.Verbose($"Build {id} started ({recipe}, {jobs} jobs); its folder is {_root}/{id}.");
            return GetOne(id);
        }

        public WheelBuild Resume(string id, int? jobs, IDictionary<string, string> extra, bool ensureSwap)
        {
            CheckId(id);
            var b = GetOne(id);
            if (b.State != "Interrupted" && b.State != "Failed")
                throw new EdgeOpsException("WheelBuildNotResumable", "InvalidOperation",
                    $"{Dev}: build {id} is {b.State}: -Resume continues an Interrupted or Failed build only. " +
                    (b.State == "Running" ? "Wait for it with Wait-WheelBuild, or stop it with Stop-WheelBuild first." : "Start a new build with Start-WheelBuild -Source instead."));
            if (extra != null) foreach (var kv in extra) BuildRecipes.CheckVariable(kv.Key, kv.Value);
            var envText = ReadFile(b.Directory + "/environment");
            var env = BuildRecipes.Parse(envText);
            var python = env.FirstOrDefault(kv => kv.Key == "EDGEOPS_PYTHON").Value ?? "python3";
            int n = jobs ?? b.Jobs;
            EdgeBuildPlan swapPlan = null;
            if (ensureSwap) n = ChooseJobs(b.Recipe, n, true, out swapPlan);
            string ns = n.ToString(CultureInfo.InvariantCulture);
            var updated = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["EDGEOPS_JOBS"] = ns, ["MAX_JOBS"] = ns, ["CMAKE_BUILD_PARALLEL_LEVEL"] = ns, ["MAKEFLAGS"] = "-j" + ns,
            };
            if (extra != null) foreach (var kv in extra) updated[kv.Key] = kv.Value ?? "";
            foreach (var kv in updated)
            {
                env.RemoveAll(e => e.Key == kv.Key);
                env.Add(kv);
            }
            var meta = Meta(id, b.Project, b.Recipe, n, python, env.Any(e => e.Key == "ENABLE_CONTRIB" && e.Value == "1"), ReadMetaValue(b, "source"));
            if (!_ctx.ShouldProcess("build " + id, $"Resume the {b.State.ToLowerInvariant()} build with {n} job(s), rebuilding what is left" + SwapClause(swapPlan))) return null;
            if (!MakeSwap(swapPlan)) return null;
            if (b.Processes > 0)
            {
                _ctx.Verbose($"{b.Processes} process(es) of build {id} are still there: ending them before resuming.");
                RunStop(id, 5);
            }
            var res = _ctx.Transport.Run(BuildScripts.Command(BuildScripts.StartScript, "edgeops-build-start", new[]
            {
                _root, id, "resume", "", "", "1", BuildScripts.Runner, BuildRecipes.ToText(env), meta,
            }), CommandOptions.Default, _ctx.Cancellation);
            ThrowStart(res, id);
            _ctx.Verbose($"Build {id} resumed with {n} jobs.");
            return GetOne(id);
        }

        readonly Dictionary<string, Dictionary<string, string>> _meta = new Dictionary<string, Dictionary<string, string>>();
        string ReadMetaValue(WheelBuild b, string key) =>
            _meta.TryGetValue(b.Id, out var m) && m.TryGetValue(key, out var v) ? v : "";

        static string Meta(string id, string project, string recipe, int jobs, string python, bool contrib, string source) =>
            $"id={id}\nproject={project}\nrecipe={recipe}\njobs={jobs.ToString(CultureInfo.InvariantCulture)}\npython={python}\ncontrib={(contrib ? 1 : 0)}\nsource={OneLine(source)}\ncontroller={OneLine(System.Environment.MachineName)}\n";

        static string OneLine(string s) => Regex.Replace(s ?? "", @"[\r\n\0]", " ");

        /// <summary>
        /// The jobs to run. With -EnsureSwap, <paramref name="swapPlan"/> is Get-EdgeBuildPlan's plan when those jobs need
        /// more swap (else null): <see cref="MakeSwap"/> makes it, only once the build itself was agreed to (ShouldProcess).
        /// </summary>
        int ChooseJobs(string recipe, int? jobs, bool ensureSwap, out EdgeBuildPlan swapPlan)
        {
            swapPlan = null;
            if (jobs.HasValue && !ensureSwap) return jobs.Value;   // no plan needed: no probe of the host's memory
            var swap = new SwapService(_ctx);
            var plan = swap.BuildPlan(recipe, null, jobs);
            int n = jobs ?? (ensureSwap ? plan.CpuCount : plan.MaxJobs);
            if (ensureSwap)
            {
                if (jobs == null) plan = swap.BuildPlan(recipe, null, n);
                if (plan.AdditionalSwapBytes > 0)
                {
                    _ctx.Verbose($"{n} jobs of {RateMeter.Human(plan.MemoryPerJobBytes)} need {RateMeter.Human(plan.AdditionalSwapBytes)} more swap: it is made (New-SwapFile's service) before the build starts.");
                    swapPlan = plan;
                }
                else _ctx.Verbose($"{n} jobs fit in RAM and today's swap: no swap made.");
            }
            else if (jobs == null)
                _ctx.Verbose($"-Jobs {n}: what {RateMeter.Human(plan.MemTotalBytes)} RAM and {RateMeter.Human(plan.DiskSwapBytes)} swap allow at {RateMeter.Human(plan.MemoryPerJobBytes)} a job ({recipe}), capped at {plan.CpuCount} CPUs.");
            return n;
        }

        static string SwapClause(EdgeBuildPlan swapPlan) =>
            swapPlan == null ? "" : $", after making {RateMeter.Human(swapPlan.AdditionalSwapBytes)} more swap (-EnsureSwap)";

        /// <summary>
        /// Makes the swap the plan asks for, with New-SwapFile's service and its own ShouldProcess (so -Confirm asks for
        /// the swap file too). False when that was declined: the build is then not started, since its jobs would not fit.
        /// </summary>
        bool MakeSwap(EdgeBuildPlan swapPlan)
        {
            if (swapPlan == null) return true;
            var made = new SwapService(_ctx).New(new SwapRequest { ForBuildJobs = swapPlan.Jobs, MemoryPerJobBytes = swapPlan.MemoryPerJobBytes });
            if (made != null) return true;
            _ctx.Verbose($"The swap file was declined: the build was not started ({swapPlan.Jobs} jobs would not fit). Run it again without -EnsureSwap, or with fewer -Jobs.");
            return false;
        }

        void ThrowStart(CommandResult res, string id)
        {
            if (res.Succeeded) return;
            var err = (res.Stderr ?? "").Trim();
            switch (res.ExitCode)
            {
                case 4: throw NotFound(id);
                case 5: throw new EdgeOpsException("WheelBuildExists", "ResourceExists", $"{Dev}: a build {id} already exists in {_root}: give another -Id, or -Resume it.");
                case 10: throw new EdgeOpsException("WheelBuildRunning", "ResourceBusy", $"{Dev}: build {id} is still running: Stop-WheelBuild it first.");
                default: throw new EdgeOpsException("WheelBuildStartFailed", "InvalidResult", $"{Dev}: starting build {id} failed (exit {res.ExitCode}): {err}. {StartNextStep(res.ExitCode, id)}");
            }
        }

        /// <summary>What to do when start.sh failed, by its exit code (see start.sh).</summary>
        string StartNextStep(int exitCode, string id)
        {
            switch (exitCode)
            {
                case 6: return "Check that -Source is a gzip-compressed tar archive (or give the project folder), then run Start-WheelBuild again.";
                case 7: return "Install git on the build host (sudo apt install git), or give -Source as a folder or .tar.gz on this machine.";
                case 8: return "Check the URL and that the build host itself can reach it (it clones, not this machine), then run Start-WheelBuild again.";
                case 9: return "Check that -Ref names a branch, tag or commit of that repository (git ls-remote lists them), then run Start-WheelBuild again.";
                case 11: return $"Read {_root}/{id}/log on the build host, then run Start-WheelBuild -Resume -Id {id}.";
                default: return "Fix what the message above says on the build host, then run Start-WheelBuild again.";
            }
        }

        EdgeOpsException NotFound(string id) => new EdgeOpsException("WheelBuildNotFound", "ObjectNotFound",
            $"{Dev}: there is no build {id} in {_root}: run Get-WheelBuild to list the builds there (or give -BuildRoot if it lives elsewhere).");

        string ReadFile(string path)
        {
            var r = _ctx.Transport.Run(Sh.Cmd("cat", "--", path), CommandOptions.Default, _ctx.Cancellation);
            r.EnsureSuccess(Dev, "reading " + path);
            return r.Stdout;
        }

        // ------------------------------------------------------------------ Get

        public WheelBuild GetOne(string id, bool fullLog = false, int waitSeconds = 0)
        {
            var list = Get(new[] { id }, fullLog, waitSeconds);
            return list.Count > 0 ? list[0] : throw NotFound(id);
        }

        /// <summary>
        /// The builds in the root (every one when <paramref name="ids"/> is empty); unknown ids are left out. With one id
        /// and <paramref name="waitSeconds"/>, the host first waits up to that long for the build to end.
        /// </summary>
        public IReadOnlyList<WheelBuild> Get(IEnumerable<string> ids, bool fullLog = false, int waitSeconds = 0)
        {
            var list = (ids ?? new string[0]).Where(i => i != null).Select(CheckId).Distinct().ToList();
            var args = new List<string> { _root, fullLog ? "1" : "0", Math.Max(0, waitSeconds).ToString(CultureInfo.InvariantCulture) };
            args.AddRange(list);
            var r = _ctx.Transport.Run(BuildScripts.Command(BuildScripts.StatusScript, "edgeops-build-status", args), CommandOptions.Default, _ctx.Cancellation);
            r.EnsureSuccess(Dev, "reading the builds in " + _root);
            var builds = ParseStatus(r.Stdout, Dev, _meta);
            foreach (var b in builds.Where(b => b.State == "Failed")) Diagnose(b);
            return builds;
        }

        internal static List<WheelBuild> ParseStatus(string stdout, string computerName, Dictionary<string, Dictionary<string, string>> metaOut = null)
        {
            var result = new List<WheelBuild>();
            Dictionary<string, string> v = null, meta = null;
            List<string> wheels = null, tail = null;
            foreach (var raw in stdout.Split('\n'))
            {
                var line = raw.TrimEnd('\r');
                int tab = line.IndexOf('\t');
                string key = tab < 0 ? line : line.Substring(0, tab), val = tab < 0 ? "" : line.Substring(tab + 1);
                switch (key)
                {
                    case "build":
                        v = new Dictionary<string, string>(StringComparer.Ordinal) { ["build"] = val };
                        meta = new Dictionary<string, string>(StringComparer.Ordinal);
                        wheels = new List<string>(); tail = new List<string>();
                        break;
                    case "end":
                        if (v != null)
                        {
                            var b = Build(v, meta, wheels, tail, computerName);
                            if (metaOut != null) metaOut[b.Id] = meta;
                            result.Add(b);
                        }
                        v = null;
                        break;
                    default:
                        if (v == null) break;
                        if (key == "meta") { int eq = val.IndexOf('='); if (eq > 0) meta[val.Substring(0, eq)] = val.Substring(eq + 1); }
                        else if (key == "wheel") wheels.Add(val);
                        else if (key == "tail") tail.Add(val);
                        else v[key] = val;
                        break;
                }
            }
            return result;
        }

        static readonly Regex s_ninja = new Regex(@"^\s*\[(\d+)/(\d+)\]\s*(.*)$");
        static readonly Regex s_make = new Regex(@"^\s*\[\s*(\d+)%\]\s*(.*)$");

        static WheelBuild Build(Dictionary<string, string> v, Dictionary<string, string> meta, List<string> wheels, List<string> tail, string computerName)
        {
            string G(string k) => v.TryGetValue(k, out var s) ? s : null;
            string M(string k) => meta.TryGetValue(k, out var s) ? s : "";
            long L(string k) => long.TryParse(G(k), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : 0;
            int I(string k) => int.TryParse(G(k), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : 0;
            var b = new WheelBuild
            {
                Id = G("build"), ComputerName = computerName, Project = M("project"), Recipe = M("recipe"),
                Jobs = int.TryParse(M("jobs"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var j) ? j : 0,
                Directory = G("dir"), Runs = I("runs"),
                PeakMemoryBytes = L("peak"), PeakJobMemoryBytes = L("jobpeak"), SwapUsedBytes = L("swappeak"),
                Ccache = !string.IsNullOrEmpty(G("ccache")), Launcher = (G("launcher") ?? "").Split(' ')[0],
                Compiled = I("compiled"),
            };
            b.LogPath = b.Directory + "/log";
            long limit = L("memlimit");
            b.MemoryLimitBytes = limit > 0 && limit < (1L << 50) ? limit : 0;
            var raw = G("state") ?? "";
            bool alive = G("alive") == "1";
            // The run ended (exit code and end time written) but its last state write was lost: the exit code decides.
            if ((raw == "Running" || raw == "Starting") && !alive && G("exitcode") != null && L("ended") >= L("runstarted") && L("runstarted") > 0)
                raw = I("exitcode") == 0 && wheels.Count > 0 ? "Succeeded" : "Failed";
            b.State = (raw == "Running" || raw == "Starting") && !alive ? "Interrupted" : raw == "Starting" ? "Running" : raw;
            if (G("exitcode") != null) b.ExitCode = I("exitcode");
            long started = L("started"), now = L("now"), ended = L("ended");
            b.StartedUtc = DateTimeOffset.FromUnixTimeSeconds(started).UtcDateTime;
            long end = b.State == "Running" ? now : ended > 0 ? ended : now;
            b.Elapsed = TimeSpan.FromSeconds(Math.Max(0, end - started));
            b.Processes = I("procs");
            var progress = G("progress");
            if (progress != null)
            {
                var m = s_ninja.Match(progress);
                if (m.Success)
                {
                    b.StepsDone = int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
                    b.StepsTotal = int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture);
                    b.Percent = b.StepsTotal > 0 ? (int)Math.Min(100, b.StepsDone * 100L / b.StepsTotal) : -1;
                    b.CurrentStep = m.Groups[3].Value.Trim();
                }
                else if ((m = s_make.Match(progress)).Success)
                {
                    b.Percent = Math.Min(100, int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture));
                    b.CurrentStep = m.Groups[2].Value.Trim();
                }
            }
            long runElapsed = now - L("runstarted");
            if (b.State == "Running" && runElapsed > 0)
            {
                if (b.StepsTotal > 0 && b.StepsDone > 0) b.EtaSeconds = (int)Math.Min(int.MaxValue, runElapsed * (b.StepsTotal - b.StepsDone) / b.StepsDone);
                else if (b.Percent > 0) b.EtaSeconds = (int)Math.Min(int.MaxValue, runElapsed * (100 - b.Percent) / b.Percent);
            }
            if (b.State == "Succeeded") { b.Percent = 100; b.EtaSeconds = 0; }
            if (b.State == "Interrupted")
                b.Diagnosis = "The build's runner is gone without having ended the build (the host rebooted, or its processes were killed)" +
                              (G("exitcode") != null ? $"; the build command had exited {G("exitcode")}" : "") +
                              $". Run Start-WheelBuild -Resume -Id {b.Id} to continue it. The end of {b.Directory}/log:\n" + string.Join("\n", tail);
            if (b.State == "Stopped")
                b.Diagnosis = "Stop-WheelBuild ended it. Start a new build with Start-WheelBuild -Source if its wheels are still wanted.";
            var failed = G("failed");
            if (b.State == "Failed" && failed != null) b.CurrentStep = failed.Trim();
            b.RunStartedUnix = L("runstarted");
            b.OomKills = I("oomkills");
            b.KilledLine = G("killed");
            b.Uptime0 = G("uptime0");
            b.MemStartBytes = L("memstart");
            b.Cgroup = G("cgroup");
            b.LogTail = string.Join("\n", tail);
            var names = new List<string>();
            foreach (var w in wheels)
            {
                var parts = w.Split(new[] { '\t' }, 3);
                if (parts.Length < 3) continue;
                names.Add(parts[2]);
                b.WheelFiles.Add(new BuiltWheel { Sha256 = parts[0], Size = long.TryParse(parts[1], out var s) ? s : -1, Name = parts[2] });
            }
            b.Wheels = string.Join(",", names);
            if (names.Count > 0)
            {
                try { b.Version = WheelName.Parse(names[0]).Version; } catch (EdgeOpsException) { }
            }
            return b;
        }

        // ------------------------------------------------------------------ Failed: why, and what fits

        static readonly Regex s_killed = new Regex(@"^\[\s*([\d.]+)\]\s*(.*(?:Killed process|Out of memory).*)$", RegexOptions.Multiline);
        static readonly Regex s_oomKill = new Regex(@"^\[\s*([\d.]+)\]\s*oom-kill:.*task_memcg=([^,\s]*).*,pid=(\d+)", RegexOptions.Multiline);
        static readonly Regex s_rss = new Regex(@"Killed process (\d+) \(([^)]*)\).*?anon-rss:(\d+)kB(?:, file-rss:(\d+)kB)?");

        void Diagnose(WheelBuild b)
        {
            bool oom = b.OomKills > 0 || b.KilledLine != null || b.ExitCode == 137;
            var step = string.IsNullOrEmpty(b.CurrentStep) ? "(no build step printed)" : b.CurrentStep;
            if (!oom)
            {
                b.Diagnosis = $"The build command exited {b.ExitCode} at step '{step}'. Fix what the log says, then run Start-WheelBuild -Resume -Id {b.Id}. The end of {b.LogPath}:\n{b.LogTail}";
                return;
            }
            string kernel = null, process = null;
            long killedRss = 0;
            var dm = ReadKernelLog();
            if (dm != null)
            {
                double since = double.TryParse(b.Uptime0, NumberStyles.Float, CultureInfo.InvariantCulture, out var u) ? u : 0;
                var ours = new HashSet<string>();
                foreach (Match m in s_oomKill.Matches(dm))
                    if (double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) >= since && (string.IsNullOrEmpty(b.Cgroup) || m.Groups[2].Value == b.Cgroup))
                        ours.Add(m.Groups[3].Value);
                foreach (Match m in s_killed.Matches(dm))
                {
                    if (double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) < since) continue;
                    var text = m.Groups[2].Value.Trim();
                    var k = s_rss.Match(text);
                    if (!k.Success) continue;
                    if (ours.Count > 0 && !ours.Contains(k.Groups[1].Value)) continue;
                    kernel = text;
                    process = k.Groups[2].Value;
                    killedRss = (long.Parse(k.Groups[3].Value, CultureInfo.InvariantCulture) +
                                 (k.Groups[4].Success ? long.Parse(k.Groups[4].Value, CultureInfo.InvariantCulture) : 0)) * 1024;
                }
            }
            long perJob = Math.Max(b.PeakJobMemoryBytes, killedRss);
            var jobs = Math.Max(1, b.Jobs);
            string plan;
            if (b.MemoryLimitBytes > 0)
            {
                long usable = b.MemoryLimitBytes - b.MemStartBytes;
                int fit = perJob > 0 ? (int)Math.Max(1, usable / (perJob + perJob / 4)) : 1;
                fit = Math.Max(1, Math.Min(fit, jobs / 2));
                b.SuggestedJobs = fit;
                plan = $"{jobs} jobs needed about {RateMeter.Human(perJob)} each (the largest process seen) within the memory cgroup's limit of {RateMeter.Human(b.MemoryLimitBytes)} " +
                       $"({RateMeter.Human(Math.Max(0, usable))} free for the build when it started); swap does not lift a cgroup's limit. A plan that fits: -Jobs {fit}.";
            }
            else
            {
                var budget = perJob > 0 ? perJob + perJob / 4 : BuildProfile.Get(b.Recipe ?? "generic").MemoryPerJobBytes;
                var bp = new SwapService(_ctx).BuildPlan(b.Recipe ?? "generic", budget, jobs);
                b.SuggestedJobs = Math.Max(1, Math.Min(bp.MaxJobs, Math.Max(1, jobs / 2)));
                b.SuggestedSwapBytes = bp.AdditionalSwapBytes;
                plan = $"{jobs} jobs needed about {RateMeter.Human(perJob)} each (the largest process seen) with {RateMeter.Human(bp.MemTotalBytes)} RAM and {RateMeter.Human(bp.DiskSwapBytes)} swap. " +
                       $"A plan that fits: -Jobs {b.SuggestedJobs}" +
                       (bp.AdditionalSwapBytes > 0 ? $", or keep -Jobs {jobs} with {RateMeter.Human(bp.AdditionalSwapBytes)} more swap (-EnsureSwap, or New-SwapFile -ForBuildJobs {jobs} -MemoryPerJob {budget})." : ".");
            }
            var who = process ?? "a compiler";
            b.Diagnosis = $"Out of memory: the kernel killed {who} during step '{step}'. " +
                          (kernel != null ? $"Kernel: \"{kernel}\". " : "The kernel's message could not be read (dmesg needs root: give -SudoCredential). ") +
                          plan + $" Then run Start-WheelBuild -Resume -Id {b.Id} -Jobs {b.SuggestedJobs}.";
        }

        string ReadKernelLog()
        {
            bool root = !string.Equals(_ctx.Device.SudoMode, "none", StringComparison.OrdinalIgnoreCase);
            try
            {
                var r = _ctx.Transport.Run(Sh.Cmd("dmesg"), root ? CommandOptions.Root : CommandOptions.Default, _ctx.Cancellation);
                if (r.Succeeded) return r.Stdout;
            }
            catch (EdgeOpsException e) { _ctx.Verbose("dmesg with sudo failed: " + e.Message); }
            var u = _ctx.Transport.Run(Sh.Cmd("dmesg"), CommandOptions.Default, _ctx.Cancellation);
            return u.Succeeded ? u.Stdout : null;
        }

        // ------------------------------------------------------------------ Wait

        /// <summary>
        /// Polls the build until it is no longer Running, reporting each poll. After the first look each poll waits on the
        /// build host for up to <paramref name="poll"/> (checking there every 0.2 s), so the end is seen at once while
        /// SSH carries one poll per interval. A dropped connection is re-opened (the build runs on without it); gives
        /// up at <paramref name="timeout"/> with WheelBuildWaitTimeout.
        /// </summary>
        public WheelBuild Wait(string id, TimeSpan? timeout, TimeSpan poll, Action<WheelBuild> onPoll)
        {
            CheckId(id);
            var sw = System.Diagnostics.Stopwatch.StartNew();
            int failures = 0, hostWait = 0;
            WheelBuild last = null;
            TimeSpan Left() => timeout.HasValue ? timeout.Value - sw.Elapsed : TimeSpan.MaxValue;
            while (true)
            {
                _ctx.Cancellation.ThrowIfCancellationRequested();
                try
                {
                    last = GetOne(id, false, hostWait);
                    if (failures > 0) _ctx.Verbose($"Connection to {Dev} is back after {failures} failed attempt(s); build {id} is {last.State}.");
                    failures = 0;
                    onPoll?.Invoke(last);
                    if (last.IsFinished) return last;
                }
                catch (Exception e) when (IsConnectionLoss(e))
                {
                    failures++;
                    _ctx.Verbose($"Lost the connection to {Dev} while waiting for build {id} ({e.Message}); the build goes on there. Reconnecting (attempt {failures}).");
                    try { TransportFactory.Close(Dev); } catch (Exception) { }
                }
                if (Left() <= TimeSpan.Zero)
                    throw new EdgeOpsException("WheelBuildWaitTimeout", "OperationTimeout",
                        $"{Dev}: build {id} was still {(last?.State ?? "unreachable")} after {timeout.Value.TotalSeconds:0} s (-Timeout); it goes on there: Wait-WheelBuild again later, or Stop-WheelBuild it.");
                // the next poll waits on the host when the time left allows a whole second of it; else here
                hostWait = failures == 0 && Left().TotalSeconds >= 1 ? (int)Math.Max(1, Math.Min(poll.TotalSeconds, Left().TotalSeconds)) : 0;
                if (hostWait > 0) continue;
                var delay = failures == 0 ? poll : TimeSpan.FromSeconds(Math.Min(5, failures));
                if (timeout.HasValue) delay = TimeSpan.FromTicks(Math.Max(0, Math.Min(delay.Ticks, Left().Ticks)));
                if (_ctx.Cancellation.WaitHandle.WaitOne(delay)) _ctx.Cancellation.ThrowIfCancellationRequested();
            }
        }

        internal static bool IsConnectionLoss(Exception e)
        {
            for (var x = e; x != null; x = x.InnerException)
            {
                if (x is EdgeOpsException eo && (eo.Category == "ConnectionError" || eo.ErrorId == "SshConnectTimeout")) return true;
                if (x is System.Net.Sockets.SocketException || x is Renci.SshNet.Common.SshConnectionException || x is ObjectDisposedException) return true;
            }
            return false;
        }

        // ------------------------------------------------------------------ Stop

        public WheelBuild Stop(string id, int graceSeconds = 10)
        {
            CheckId(id);
            var b = GetOne(id);
            if (b.State != "Running" && b.State != "Interrupted" && b.Processes == 0)
            {
                _ctx.Verbose($"Build {id} is already {b.State}: nothing to stop.");
                return b;
            }
            if (!_ctx.ShouldProcess("build " + id, "Stop the build (TERM, then KILL after " + graceSeconds + " s, to its whole process group)")) return null;
            var left = RunStop(id, graceSeconds);
            if (left > 0)
                throw new EdgeOpsException("WheelBuildStopIncomplete", "InvalidResult", $"{Dev}: {left} process(es) of build {id} survived KILL (stuck in the kernel?): check with ps.");
            return GetOne(id);
        }

        int RunStop(string id, int grace)
        {
            var r = _ctx.Transport.Run(BuildScripts.Command(BuildScripts.StopScript, "edgeops-build-stop",
                new[] { _root, id, grace.ToString(CultureInfo.InvariantCulture) }), CommandOptions.Default, _ctx.Cancellation);
            if (r.ExitCode == 4) throw NotFound(id);
            r.EnsureSuccess(Dev, "stopping build " + id);
            var m = Regex.Match(r.Stdout, @"^left\t(\d+)", RegexOptions.Multiline);
            _ctx.Verbose($"Stopped build {id}: " + r.Stdout.Replace('\t', ' ').Replace('\n', ';').Trim(';'));
            return m.Success ? int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : 0;
        }

        // ------------------------------------------------------------------ Receive

        /// <summary>
        /// Copies the build's wheels to this machine, checks each against the sha256 the build host wrote, and puts
        /// them in <paramref name="store"/> under <paramref name="prefix"/>; with <paramref name="publish"/> through
        /// WheelPublisher into the catalog <paramref name="catalogName"/> (as Publish-TorchWheel), tagged with the
        /// build host's L4T, JetPack and CUDA when it is a Jetson.
        /// </summary>
        public List<TorchWheelEntry> Receive(string id, IObjectStore store, string prefix, bool publish, string catalogName, bool force,
                                             string localCopy, Action<string> log)
        {
            CheckId(id);
            var b = GetOne(id);
            if (b.State != "Succeeded")
                throw new EdgeOpsException("WheelBuildNotSucceeded", "InvalidOperation",
                    $"{Dev}: build {id} is {b.State}: only a Succeeded build has wheels to receive. " +
                    (b.State == "Running" ? "Wait for it with Wait-WheelBuild first." : $"Read its Diagnosis (Get-WheelBuild -Id {id}), then run Start-WheelBuild -Resume -Id {id}."));
            if (b.WheelFiles.Count == 0)
                throw new EdgeOpsException("WheelBuildNoWheels", "ObjectNotFound", $"{Dev}: build {id} succeeded but its dist folder has no wheel: read the end of {b.LogPath} to see where the build put it.");
            var what = publish ? $"Receive {b.Wheels} and publish to {store.Location}{StorageKey.Join(prefix, catalogName)}" : $"Receive {b.Wheels} into {store.Location}{prefix}";
            if (!_ctx.ShouldProcess("build " + id, what)) return new List<TorchWheelEntry>();
            WheelConstraints constraints = null;
            if (publish)
            {
                var python = ReadMetaValue(b, "python");
                var p = DevicePython.Probe(_ctx, string.IsNullOrEmpty(python) ? "python3" : python, new string[0]);
                if (!string.IsNullOrEmpty(p.L4T))
                    constraints = new WheelConstraints { L4T = p.L4T, JetPack = p.JetPack, Cuda = p.Cuda };
            }
            var temp = localCopy ?? Path.Combine(Path.GetTempPath(), "edgeops-receive-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(temp);
            var results = new List<TorchWheelEntry>();
            try
            {
                foreach (var w in b.WheelFiles)
                {
                    var local = Path.Combine(temp, w.Name);
                    using (var f = File.Create(local))
                    {
                        long total = w.Size;
                        _ctx.Transport.Download(b.Directory + "/dist/" + w.Name, f,
                            new Progress(done => _ctx.Progress("Receiving " + w.Name, "", done, total)), _ctx.Cancellation);
                    }
                    _ctx.ProgressDone("Receiving " + w.Name);
                    var sha = StorageTransfer.Sha256File(local);
                    if (!string.Equals(sha, w.Sha256, StringComparison.OrdinalIgnoreCase))
                        throw new EdgeOpsException("WheelBuildHashMismatch", "InvalidData",
                            $"{Dev}: {w.Name} arrived with sha256 {sha}, the build host wrote {w.Sha256}: nothing was stored; run Receive-WheelBuild again.");
                    if (publish)
                    {
                        var e = WheelPublisher.Publish(store, StorageKey.Join(prefix, catalogName), local, constraints, force, null, log, _ctx.Cancellation);
                        e.ComputerName = Dev;
                        results.Add(e);
                    }
                    else
                    {
                        var key = StorageKey.Join(prefix, w.Name);
                        StorageTransfer.PutFile(store, key, local, null, _ctx.Cancellation);
                        var n = WheelName.Parse(w.Name);
                        results.Add(new TorchWheelEntry
                        {
                            ComputerName = Dev, Package = n.Package, Version = n.Version, Wheel = w.Name, Sha256 = sha, Size = new FileInfo(local).Length,
                            Tags = string.Join(",", n.Tags), Location = store.Location + key, Action = "Received",
                        });
                    }
                    log?.Invoke($"{w.Name}: sha256 {sha} checked; {results[results.Count - 1].Action} at {results[results.Count - 1].Location}.");
                }
            }
            finally
            {
                if (localCopy == null) try { Directory.Delete(temp, true); } catch (IOException) { }
            }
            return results;
        }

        sealed class Progress : IProgress<long>
        {
            readonly Action<long> _a;
            public Progress(Action<long> a) { _a = a; }
            public void Report(long value) => _a(value);
        }
    }

    /// <summary>A wheel in a build's dist folder, with the sha256 the build host computed.</summary>
    public sealed class BuiltWheel
    {
        public string Name { get; set; }
        public string Sha256 { get; set; }
        public long Size { get; set; }
    }
}
