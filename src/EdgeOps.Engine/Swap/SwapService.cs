using System;
using System.Collections.Generic;
using System.Linq;
using EdgeOps.Fleet;

namespace EdgeOps.Swap
{
    /// <summary>
    /// The swap cmdlets' work on one device: read the facts (one round trip), plan (pure), ask, then change
    /// in a safe order: file and swapon first (checked in /proc/swaps), then persistence edits, each atomic.
    /// </summary>
    public sealed class SwapService
    {
        readonly IDeviceContext _ctx;
        readonly SwapLayout _layout;
        static readonly string[] s_defaultPaths = { "/swapfile", "/var/swap" };

        public SwapService(IDeviceContext context, SwapLayout layout = null)
        {
            _ctx = context ?? throw new ArgumentNullException(nameof(context));
            _layout = layout ?? SwapLayout.Default;
        }

        string Dev => _ctx.Device.ComputerName;

        public SwapFacts Probe(IEnumerable<string> paths) =>
            DeviceScripts.Probe(_ctx, _layout, paths.Where(p => p != null).Distinct(StringComparer.Ordinal).ToList());

        /// <summary>Plans with the facts, probing again (once) when the plan needs facts about other paths.</summary>
        SwapPlan PlanWithFacts(IEnumerable<string> firstPaths, Func<SwapFacts, SwapPlan> plan, out SwapFacts facts)
        {
            var paths = firstPaths.Where(p => p != null).Distinct(StringComparer.Ordinal).ToList();
            facts = Probe(paths);
            var p = plan(facts);
            if (p.MissingPaths.Count == 0) return p;
            facts = Probe(paths.Concat(p.MissingPaths));
            p = plan(facts);
            if (p.MissingPaths.Count > 0) throw new InvalidOperationException("swap planner kept asking for " + string.Join(", ", p.MissingPaths));
            return p;
        }

        // ------------------------------------------------------------------ New-SwapFile

        public SwapFileResult New(SwapRequest request)
        {
            if (request.Path != null) SwapPlanner.ValidatePath(Dev, request.Path);
            var plan = PlanWithFacts(new[] { request.Path }.Concat(s_defaultPaths),
                f => SwapPlanner.PlanNew(Dev, f, request, _layout), out var facts);
            foreach (var w in plan.Warnings) _ctx.Warning(w);
            if (plan.Note != null) _ctx.Verbose(plan.Note);

            if (!plan.HasWork)
            {
                _ctx.Verbose($"{plan.Path} is already as asked ({BuildMath.Human(plan.SizeBytes)}, {plan.Manager}): nothing changed.");
                return Result(plan, facts, facts, "Unchanged");
            }
            // -WhatIf or -Confirm answered no: the plan was shown by ShouldProcess; nothing is written to the pipeline.
            if (!_ctx.ShouldProcess(plan.Path, plan.Describe())) return null;

            if (plan.TouchesFile)
            {
                _ctx.Progress("New-SwapFile", plan.Changes[0], 0, 0);
                foreach (var s in DeviceScripts.Apply(_ctx, plan)) _ctx.Verbose("step: " + s);
                DeviceScripts.Step(_ctx, "applied");
            }
            var after = Probe(new[] { plan.Path });
            var row = after.ActiveAt(plan.Path);
            if (row == null)
                throw new EdgeOpsException("SwapNotActive", "InvalidResult",
                    $"{Dev}: swapon of {plan.Path} reported success but /proc/swaps does not list it; the file was left in place, persistence was not changed. Check the kernel log (dmesg) on the device, then run New-SwapFile again.");
            foreach (var e in plan.Edits)
            {
                _ctx.Verbose($"{(e.NewText == null ? "removing" : "writing")} {e.Path} ({e.What}); backup {e.Backup}");
                DeviceScripts.Edit(_ctx, e);
            }
            foreach (var l in plan.Links) DeviceScripts.Link(_ctx, l);
            if (plan.SetSwappiness.HasValue) DeviceScripts.SetSwappiness(_ctx, plan.SetSwappiness.Value);
            _ctx.ProgressDone("New-SwapFile");
            var result = Result(plan, facts, after, plan.Action);
            if (plan.SetSwappiness.HasValue) result.Swappiness = plan.SetSwappiness.Value;
            return result;
        }

        SwapFileResult Result(SwapPlan plan, SwapFacts before, SwapFacts after, string action)
        {
            var row = after.ActiveAt(plan.Path);
            var file = after.File(plan.Path) ?? before.File(plan.Path);
            bool changed = !ReferenceEquals(before, after);
            return new SwapFileResult
            {
                ComputerName = Dev, Path = plan.Path, SizeBytes = plan.SizeBytes, Manager = plan.Manager,
                Priority = row?.Priority ?? plan.Priority ?? -1,
                Swappiness = before.Swappiness, Action = action, PersistedIn = plan.SizeBytes > 0 ? plan.PersistedIn : "",
                MemTotalBytes = after.MemTotal, MemAvailableBytes = after.MemAvailable,
                DiskSwapBytes = after.DiskSwapBytes(),
                ZramBytes = after.ZramSwapBytes, SystemReserveBytes = plan.Reserve,
                BuildJobs = plan.Jobs, MemoryPerJobBytes = plan.MemoryPerJob,
                FreeDiskBytes = changed && file != null ? file.DirAvailBytes : plan.FreeDiskAfter, DiskMarginBytes = plan.DiskMargin,
                FileSystem = plan.FileSystem ?? "", Note = plan.Note ?? "",
            };
        }

        // ------------------------------------------------------------------ Get-SwapFile

        public IEnumerable<SwapArea> Get()
        {
            var facts = Probe(s_defaultPaths);
            var configured = ConfiguredFiles(facts);
            if (configured.Any(c => facts.File(c.Key) == null))
                facts = Probe(s_defaultPaths.Concat(configured.Keys));
            var list = new List<SwapArea>();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var s in facts.Swaps.Where(s => s.Mine))
            {
                var area = new SwapArea
                {
                    ComputerName = Dev, Path = s.Path, Active = true, SizeBytes = s.SizeBytes, UsedBytes = s.UsedBytes, Priority = s.Priority,
                    Type = s.IsZram ? "zram" : s.IsFile ? "file" : "partition",
                };
                Persistence(facts, s, area);
                list.Add(area);
                seen.Add(s.Path);
                if (!string.IsNullOrEmpty(s.Uuid)) seen.Add("UUID=" + s.Uuid);
            }
            foreach (var c in configured.Where(c => !seen.Contains(c.Key)))
            {
                var file = facts.File(c.Key);
                bool isDev = c.Key.StartsWith("/dev/", StringComparison.Ordinal) || c.Key.Contains("=");
                list.Add(new SwapArea
                {
                    ComputerName = Dev, Path = c.Key, Active = false, Type = isDev ? "partition" : "file",
                    SizeBytes = file != null && file.Kind == "file" ? file.Size : 0, UsedBytes = 0,
                    Priority = c.Value.Item3 ?? -1, Manager = c.Value.Item1, PersistedIn = c.Value.Item2,
                });
            }
            return list;
        }

        /// <summary>Swap areas the configuration turns on at boot: path -> (manager, file, priority).</summary>
        Dictionary<string, Tuple<string, string, int?>> ConfiguredFiles(SwapFacts f)
        {
            var d = new Dictionary<string, Tuple<string, string, int?>>(StringComparer.Ordinal);
            foreach (var spec in FstabText.SwapSpecs(f.Fstab))
                if (!d.ContainsKey(spec)) d[spec] = Tuple.Create(SwapManagers.Fstab, _layout.Fstab, FstabText.Priority(f.Fstab, spec));
            if (f.DphysInstalled && f.DphysEnabledLinks.Count > 0)
                d[SwapPlanner.ManagerPath(f, SwapManagers.Dphys)] = Tuple.Create(SwapManagers.Dphys, _layout.DphysConfig, (int?)null);
            if (f.RpiSwapInstalled)
            {
                var merged = RpiSwapText.Merge(f.RpiMain, f.RpiDropIns);
                var mech = RpiSwapText.Value(merged, "Main.Mechanism") ?? "auto";
                if (mech == "swapfile")
                {
                    merged.TryGetValue("File.Path", out var src);
                    d[SwapPlanner.ManagerPath(f, SwapManagers.RpiSwap)] = Tuple.Create(SwapManagers.RpiSwap, src.Value ?? (f.RpiMain?.FullPath ?? _layout.RpiEtc + "/swap.conf"), (int?)null);
                }
            }
            return d;
        }

        void Persistence(SwapFacts f, ActiveSwap s, SwapArea area)
        {
            var configured = ConfiguredFiles(f);
            if (configured.TryGetValue(s.Path, out var c) || (!string.IsNullOrEmpty(s.Uuid) && configured.TryGetValue("UUID=" + s.Uuid, out c)))
            {
                area.Manager = c.Item1; area.PersistedIn = c.Item2; return;
            }
            if (s.IsZram)
            {
                if (f.NvZramConfig.Count > 0) { area.Manager = SwapManagers.NvZram; area.PersistedIn = f.NvZramConfig[0]; return; }
                if (f.RpiSwapInstalled) { area.Manager = SwapManagers.RpiSwap; area.PersistedIn = f.RpiMain?.FullPath ?? ""; return; }
            }
            area.Manager = SwapManagers.None; area.PersistedIn = "";
        }

        // ------------------------------------------------------------------ Remove-SwapFile

        public SwapFileRemoval Remove(string path)
        {
            var plan = PlanWithFacts(new[] { path }.Concat(s_defaultPaths), f => SwapPlanner.PlanRemove(Dev, f, path, _layout), out var facts);
            foreach (var w in plan.Warnings) _ctx.Warning(w);
            var result = new SwapFileRemoval
            {
                ComputerName = Dev, Path = plan.Path, Manager = plan.Manager, Action = plan.Action, WasActive = plan.WasActive,
                UsedBytes = plan.UsedBytes, FreedBytes = plan.DeleteFile ? plan.ExistingBytes : 0, MemAvailableBytes = facts.MemAvailable, Note = "",
            };
            if (!plan.HasWork) { result.Note = "no swap file, active area or persistence entry at " + plan.Path; _ctx.Verbose(result.Note); return result; }
            if (!_ctx.ShouldProcess(plan.Path, plan.Describe())) return null;
            if (plan.SwapOff) { DeviceScripts.SwapOff(_ctx, plan.Path); DeviceScripts.Step(_ctx, "swapoff"); }
            foreach (var e in plan.Edits) DeviceScripts.Edit(_ctx, e);
            foreach (var l in plan.Links) DeviceScripts.Link(_ctx, l);
            if (plan.DeleteFile) DeviceScripts.DeleteFile(_ctx, plan.Path);
            return result;
        }

        // ------------------------------------------------------------------ Get-EdgeBuildPlan

        public EdgeBuildPlan BuildPlan(string profileName, long? memoryPerJob, int? jobs)
        {
            var profile = BuildProfile.Get(profileName ?? "pytorch");
            var f = Probe(new string[0]);
            long perJob = memoryPerJob ?? profile.MemoryPerJobBytes;
            long disk = f.DiskSwapBytes();
            int memJobs = BuildMath.MemoryJobs(f.MemTotal, disk, perJob);
            int n = jobs ?? f.CpuCount;
            long forJobs = BuildMath.SwapForJobs(n, perJob, f.MemTotal, 0, f.PageSize);
            return new EdgeBuildPlan
            {
                ComputerName = Dev, Profile = memoryPerJob.HasValue ? "custom" : profile.Name, MemoryPerJobBytes = perJob,
                MemoryPerJobSource = memoryPerJob.HasValue ? "-MemoryPerJob" : profile.Source,
                CpuCount = f.CpuCount, MemTotalBytes = f.MemTotal, MemAvailableBytes = f.MemAvailable,
                DiskSwapBytes = disk, ZramBytes = f.ZramSwapBytes, SystemReserveBytes = BuildMath.SystemReserve(f.MemTotal),
                MemoryJobs = memJobs, MaxJobs = BuildMath.MaxJobs(memJobs, f.CpuCount), Jobs = n,
                SwapForJobsBytes = forJobs, AdditionalSwapBytes = BuildMath.SwapForJobs(n, perJob, f.MemTotal, disk, f.PageSize),
            };
        }
    }
}
