using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace EdgeOps.Swap
{
    public static class SwapManagers
    {
        public const string Fstab = "fstab";
        public const string Dphys = "dphys-swapfile";
        public const string RpiSwap = "rpi-swap";
        public const string NvZram = "nvzramconfig";
        public const string None = "none";
    }

    /// <summary>What New-SwapFile was asked for.</summary>
    public sealed class SwapRequest
    {
        public string Path { get; set; }
        public long? SizeBytes { get; set; }
        public int? ForBuildJobs { get; set; }
        public long MemoryPerJobBytes { get; set; } = 2 * BuildMath.GiB;
        public int? Priority { get; set; }
        public int? Swappiness { get; set; }
    }

    /// <summary>A configuration file to replace atomically (NewText null: delete it, keeping a backup).</summary>
    public sealed class FileEdit
    {
        public string Path { get; set; }
        public string OldText { get; set; }
        public string NewText { get; set; }
        public string What { get; set; }
        public string Backup => Path + ".edgeops.bak";
    }

    /// <summary>A symlink to make (Target set) or remove (Target null): systemd enablement.</summary>
    public sealed class LinkEdit
    {
        public string Link { get; set; }
        public string Target { get; set; }
    }

    /// <summary>Everything New-SwapFile or Remove-SwapFile will do on one device, decided before anything changes.</summary>
    public sealed class SwapPlan
    {
        public string Device { get; set; }
        public string Manager { get; set; }
        public string Path { get; set; }
        public string PersistedIn { get; set; }
        public long SizeBytes { get; set; }
        public long ExistingBytes { get; set; }
        public string Action { get; set; }
        public bool SwapOff { get; set; }
        public bool Recreate { get; set; }
        public bool Allocate { get; set; }
        public bool SwapOn { get; set; }
        public bool DeleteFile { get; set; }
        public bool FixMode { get; set; }
        public bool TouchesFile => SwapOff || Recreate || Allocate || SwapOn || FixMode;
        public bool Btrfs { get; set; }
        public bool UseFallocate { get; set; }
        public int? Priority { get; set; }
        public int? SetSwappiness { get; set; }
        public List<FileEdit> Edits { get; } = new List<FileEdit>();
        public List<LinkEdit> Links { get; } = new List<LinkEdit>();
        public List<string> Changes { get; } = new List<string>();
        public List<string> Warnings { get; } = new List<string>();
        /// <summary>Paths the planner needs facts about that the probe did not cover: probe again and re-plan.</summary>
        public List<string> MissingPaths { get; } = new List<string>();
        public long FreeDiskAfter { get; set; }
        public long DiskMargin { get; set; }
        public string FileSystem { get; set; }
        public long Reserve { get; set; }
        public int Jobs { get; set; }
        public long MemoryPerJob { get; set; }
        public long UsedBytes { get; set; }
        public bool WasActive { get; set; }
        public string Note { get; set; }
        public bool HasWork => Changes.Count > 0;
        public string Describe() => string.Join("; ", Changes);
    }

    /// <summary>
    /// Pure planning for the swap cmdlets: which manager, which path and size, whether the disk and RAM allow
    /// it, and the new text of every configuration file. No device access: tests feed it facts.
    /// </summary>
    public static class SwapPlanner
    {
        public const long MinimumSize = BuildMath.MiB;
        /// <summary>Free RAM that must remain after pages come back from a swap area being turned off.</summary>
        public const long SwapOffHeadroom = 128 * BuildMath.MiB;
        public const long MarginFloor = 256 * BuildMath.MiB;
        public const int MarginPercent = 5;
        const long DphysDefaultCapMiB = 2048;

        static readonly string[] s_noSwapFs = { "tmpfs", "ramfs", "overlay", "nfs", "nfs4", "cifs", "smb3", "squashfs", "zfs", "iso9660" };
        static readonly string[] s_fallocateFs = { "ext4", "xfs", "btrfs", "f2fs" };

        /// <summary>Free space that must remain on the swap file's filesystem: max(256 MiB, 5% of its size).</summary>
        public static long DiskMargin(long fsSize) => Math.Max(MarginFloor, fsSize / 100 * MarginPercent);

        static EdgeOpsException Fail(string id, string category, string message) => new EdgeOpsException(id, category, message);

        public static string ChooseManager(SwapFacts f) =>
            f.RpiSwapInstalled ? SwapManagers.RpiSwap : f.DphysInstalled ? SwapManagers.Dphys : SwapManagers.Fstab;

        /// <summary>The swap file the device's manager is configured for (null for plain fstab).</summary>
        public static string ManagerPath(SwapFacts f, string manager)
        {
            if (manager == SwapManagers.Dphys)
            {
                var p = ShellConfigText.Get(f.DphysConfig, "CONF_SWAPFILE");
                return string.IsNullOrEmpty(p) ? "/var/swap" : p;
            }
            if (manager == SwapManagers.RpiSwap)
            {
                var p = RpiSwapText.Value(RpiSwapText.Merge(f.RpiMain, f.RpiDropIns), "File.Path");
                return string.IsNullOrEmpty(p) ? RpiSwapText.DefaultPath : p;
            }
            return null;
        }

        public static string ValidatePath(string device, string path)
        {
            string bad = null;
            if (string.IsNullOrEmpty(path)) bad = "is empty";
            else if (path[0] != '/') bad = "is not an absolute path";
            else if (path.Any(c => c < 0x20 || c == 0x7f)) bad = "contains a control character (newline, tab...)";
            else if (path.IndexOf('\\') >= 0) bad = "contains a backslash";
            else if (path.EndsWith("/", StringComparison.Ordinal)) bad = "names a directory";
            else if (path.Split('/').Skip(1).Any(s => s.Length == 0 || s == "." || s == "..")) bad = "is not a normalized path (no //, . or .. parts)";
            else if (path.Length > 4000) bad = "is too long";
            else if (new[] { "/proc/", "/sys/", "/dev/" }.Any(p => path.StartsWith(p, StringComparison.Ordinal))) bad = "is in a kernel filesystem";
            if (bad != null)
                throw Fail("InvalidSwapPath", "InvalidArgument", $"{device}: -Path '{path}' {bad}: give an absolute file path such as /swapfile.");
            return path;
        }

        // ------------------------------------------------------------------ New-SwapFile

        public static SwapPlan PlanNew(string device, SwapFacts f, SwapRequest req, SwapLayout layout)
        {
            layout = layout ?? SwapLayout.Default;
            var plan = new SwapPlan { Device = device, Manager = ChooseManager(f) };
            string managerPath = ManagerPath(f, plan.Manager);
            string path = ValidatePath(device, req.Path ?? managerPath ?? "/swapfile");
            plan.Path = path;
            foreach (var p in new[] { path, managerPath })
                if (p != null && f.File(p) == null && !plan.MissingPaths.Contains(p)) plan.MissingPaths.Add(p);
            if (plan.MissingPaths.Count > 0) return plan;

            var file = f.File(path);
            var active = f.ActiveAt(path);
            plan.WasActive = active != null;
            plan.UsedBytes = active?.UsedBytes ?? 0;
            plan.FileSystem = file.FileSystem;

            if (managerPath != null && managerPath != path && f.File(managerPath).Exists)
                throw Fail("SwapManagerOwnsOtherFile", "ResourceExists",
                    $"{device}: {plan.Manager} manages the swap file {managerPath} here; a second swap file at {path} would fight it. " +
                    $"Omit -Path to resize {managerPath}, or run Remove-SwapFile -Path {managerPath} first.");
            if (!file.DirExists)
                throw Fail("SwapDirectoryMissing", "ObjectNotFound", $"{device}: the folder of -Path '{path}' does not exist: create it or choose another -Path.");
            if (file.Kind != "absent" && file.Kind != "file")
                throw Fail("SwapPathNotAFile", "InvalidArgument", $"{device}: '{path}' exists and is a {file.Kind}, not a regular file: choose another -Path.");
            if (file.Exists && file.Uid > 0)
                throw Fail("SwapPathUnsafe", "SecurityError",
                    $"{device}: '{path}' belongs to uid {file.Uid}: an existing user's file is never made into swap (its owner could keep it open and read swapped memory). " +
                    "Remove it or choose another -Path.");
            if (file.Exists && !file.SwapSignature && active == null && file.Size > 0)
                throw Fail("SwapPathNotSwap", "ResourceExists",
                    $"{device}: '{path}' exists and is not a swap area ({BuildMath.Human(file.Size)} of other data): EdgeOps will not overwrite it. Move it away or choose another -Path.");
            string fs = file.FileSystem ?? "";
            if (s_noSwapFs.Contains(fs) || fs.StartsWith("fuse", StringComparison.Ordinal))
                throw Fail("SwapFileSystemUnsupported", "InvalidArgument",
                    $"{device}: '{path}' is on {fs}, where the kernel cannot swap to a file: choose a -Path on the SD card or SSD (ext4, btrfs, xfs).");

            // ---- size
            plan.Reserve = BuildMath.SystemReserve(f.MemTotal);
            long size;
            if (req.SizeBytes.HasValue)
            {
                if (req.SizeBytes.Value < MinimumSize)
                    throw Fail("SwapSizeTooSmall", "InvalidArgument", $"{device}: -Size {req.SizeBytes.Value} is below the 1 MiB minimum: give -Size 1MB or more.");
                size = BuildMath.RoundUpMiB(req.SizeBytes.Value);
            }
            else
            {
                int jobs = req.ForBuildJobs ?? 1;
                plan.Jobs = jobs;
                plan.MemoryPerJob = req.MemoryPerJobBytes;
                size = BuildMath.SwapForJobs(jobs, req.MemoryPerJobBytes, f.MemTotal, f.DiskSwapBytes(except: path), f.PageSize);
                if (size == 0)
                {
                    plan.Note = $"RAM ({BuildMath.Human(f.MemTotal)}) and the other swap already fit {jobs} job(s) of {BuildMath.Human(req.MemoryPerJobBytes)} with {BuildMath.Human(plan.Reserve)} for the system: no swap file needed";
                    size = file.Exists && (file.SwapSignature || active != null) ? file.Size : 0;
                    if (size == 0) { plan.Action = "Unchanged"; FillDisk(plan, file, 0); return plan; }
                }
            }
            plan.SizeBytes = size;
            plan.ExistingBytes = file.Exists ? file.Size : 0;
            long mib = size / BuildMath.MiB;

            // ---- what happens to the file
            bool btrfs = fs == "btrfs";
            plan.Btrfs = btrfs;
            plan.UseFallocate = f.Tools.Contains("fallocate") && s_fallocateFs.Contains(fs);
            int? persistedPrio = plan.Manager == SwapManagers.Fstab ? FstabText.Priority(f.Fstab, path) : null;
            plan.Priority = req.Priority ?? persistedPrio;
            bool sizeDiffers = file.Exists && file.Size != size;
            bool brokenFile = file.Exists && active == null && (file.HasHoles || !file.SwapSignature || (btrfs && !file.NoCow));
            bool prioDiffers = active != null && req.Priority.HasValue && active.Priority != req.Priority.Value;

            if (!file.Exists)
            {
                plan.Action = "Created";
                plan.Allocate = plan.SwapOn = true;
                plan.Changes.Add($"create a {BuildMath.Human(size)} swap file {path} ({(plan.UseFallocate ? "fallocate" : "written out with dd")}{(btrfs ? ", no copy-on-write" : "")}), mkswap, swapon");
            }
            else if (sizeDiffers)
            {
                plan.Action = "Resized";
                plan.SwapOff = active != null;
                plan.Recreate = btrfs && !file.NoCow;
                plan.Allocate = plan.SwapOn = true;
                plan.Changes.Add($"resize {path} from {BuildMath.Human(file.Size)} to {BuildMath.Human(size)}{(active != null ? " (swapoff first)" : "")}, mkswap, swapon");
            }
            else
            {
                if (brokenFile)
                {
                    plan.Recreate = btrfs && !file.NoCow;
                    plan.Allocate = true;
                    plan.Changes.Add($"rewrite {path} ({(file.HasHoles ? "it has holes" : !file.SwapSignature ? "no swap signature" : "copy-on-write on btrfs")}), mkswap");
                }
                if (active == null) { plan.SwapOn = true; plan.Changes.Add($"swapon {path}"); }
                else if (prioDiffers)
                {
                    plan.SwapOff = plan.SwapOn = true;
                    plan.Changes.Add($"change the priority of {path} from {active.Priority} to {req.Priority} (swapoff, swapon)");
                }
                if (file.Mode != "600" || file.Uid != 0)
                {
                    plan.FixMode = true;
                    plan.Changes.Add($"set owner root and mode 600 on {path} (now uid {file.Uid}, mode {file.Mode})");
                }
            }

            // ---- safety: disk margin and RAM for swapoff
            long growth = size - (file.Exists && !plan.Recreate ? file.AllocatedBytes : 0);
            FillDisk(plan, file, growth);
            if (growth > 0 && plan.FreeDiskAfter < plan.DiskMargin)
                throw Fail("SwapNotEnoughDisk", "ResourceUnavailable",
                    $"{device}: a {BuildMath.Human(size)} swap file at {path} would leave {BuildMath.Human(Math.Max(0, plan.FreeDiskAfter))} free on its {fs} filesystem " +
                    $"({BuildMath.Human(file.DirAvailBytes)} free now); EdgeOps keeps at least {BuildMath.Human(plan.DiskMargin)} free (256 MiB or 5% of the filesystem, whichever is larger). " +
                    "Free some space, give a smaller -Size, or a -Path on a bigger disk. Nothing was changed.");
            if (plan.SwapOff) CheckSwapOff(device, f, active, "resize");

            // ---- persistence
            switch (plan.Manager)
            {
                case SwapManagers.Fstab:
                    plan.PersistedIn = layout.Fstab;
                    AddEdit(plan, layout.Fstab, f.Fstab, FstabText.Ensure(f.Fstab, path, plan.Priority), "fstab entry for " + path);
                    break;
                case SwapManagers.Dphys:
                    plan.PersistedIn = layout.DphysConfig;
                    PlanDphys(plan, f, layout, path, mib, file);
                    if (req.Priority.HasValue)
                        plan.Warnings.Add($"dphys-swapfile turns its file on without a priority at boot: priority {req.Priority} lasts until the next reboot.");
                    break;
                case SwapManagers.RpiSwap:
                    plan.PersistedIn = layout.RpiDropIn;
                    PlanRpiSwap(plan, f, layout, path, mib);
                    if (req.Priority.HasValue)
                        plan.Warnings.Add($"rpi-swap sets the swap priority itself at boot: priority {req.Priority} lasts until the next reboot.");
                    break;
            }

            if (req.Swappiness.HasValue)
            {
                if (f.Swappiness != req.Swappiness.Value)
                {
                    plan.SetSwappiness = req.Swappiness;
                    plan.Changes.Add($"vm.swappiness {f.Swappiness} -> {req.Swappiness}");
                }
                var text = $"# Written by EdgeOps New-SwapFile.\nvm.swappiness = {req.Swappiness.Value.ToString(CultureInfo.InvariantCulture)}\n";
                AddEdit(plan, layout.SysctlFile, f.SysctlFile, text, "vm.swappiness at boot");
            }

            var zram = f.Swaps.Where(s => s.IsZram).ToList();
            if (zram.Count > 0)
            {
                string who = f.NvZramConfig.Count > 0 ? "nvzramconfig" : plan.Manager == SwapManagers.RpiSwap ? "rpi-swap" : "the system";
                var note = $"zram swap from {who} left in place ({string.Join(", ", zram.Select(z => z.Path + " " + BuildMath.Human(z.SizeBytes) + " pri " + z.Priority))})";
                plan.Note = plan.Note == null ? note : plan.Note + "; " + note;
            }

            if (plan.Action == null) plan.Action = plan.HasWork ? "Updated" : "Unchanged";
            return plan;
        }

        static void FillDisk(SwapPlan plan, FileFacts file, long growth)
        {
            plan.DiskMargin = DiskMargin(file.DirSizeBytes);
            plan.FreeDiskAfter = file.DirAvailBytes - Math.Max(0, growth);
        }

        static void CheckSwapOff(string device, SwapFacts f, ActiveSwap active, string why)
        {
            if (active == null) return;
            if (active.UsedBytes + SwapOffHeadroom > f.MemAvailable)
                throw Fail("SwapInUse", "ResourceBusy",
                    $"{device}: {active.Path} holds {BuildMath.Human(active.UsedBytes)} of swapped-out pages and only {BuildMath.Human(f.MemAvailable)} of RAM is available " +
                    $"(EdgeOps needs the used pages plus {BuildMath.Human(SwapOffHeadroom)} free before swapoff). Stop the programs using memory and run again; nothing was changed.");
        }

        static void AddEdit(SwapPlan plan, string path, string oldText, string newText, string what)
        {
            if (string.Equals(oldText, newText, StringComparison.Ordinal)) return;
            plan.Edits.Add(new FileEdit { Path = path, OldText = oldText, NewText = newText, What = what });
            plan.Changes.Add((newText == null ? "remove " : oldText == null ? "write " : "update ") + path + " (" + what + ")");
        }

        static void PlanDphys(SwapPlan plan, SwapFacts f, SwapLayout layout, string path, long mib, FileFacts file)
        {
            var values = new List<KeyValuePair<string, string>>
            {
                new KeyValuePair<string, string>("CONF_SWAPFILE", path),
                new KeyValuePair<string, string>("CONF_SWAPSIZE", mib.ToString(CultureInfo.InvariantCulture)),
            };
            // dphys-swapfile silently caps CONF_SWAPSIZE at CONF_MAXSWAP (2048 when unset): raise the cap when it would cut.
            var cap = ShellConfigText.Get(f.DphysConfig, "CONF_MAXSWAP");
            long capMiB = cap == null ? DphysDefaultCapMiB : long.TryParse(cap, NumberStyles.Integer, CultureInfo.InvariantCulture, out var c) ? c : long.MaxValue;
            if (cap != "" && capMiB < mib)
                values.Add(new KeyValuePair<string, string>("CONF_MAXSWAP", mib.ToString(CultureInfo.InvariantCulture)));
            // It also halves the free disk (CONF_MAXDISK_PCT, any value means 50% in its code): when that would cut
            // the size at boot, clear it; EdgeOps' own disk margin was checked above.
            var pct = ShellConfigText.Get(f.DphysConfig, "CONF_MAXDISK_PCT");
            long freeAtBootMiB = (plan.FreeDiskAfter + plan.SizeBytes) / BuildMath.MiB;
            if (pct != "" && mib > freeAtBootMiB / 2)
                values.Add(new KeyValuePair<string, string>("CONF_MAXDISK_PCT", ""));
            AddEdit(plan, layout.DphysConfig, f.DphysConfig, ShellConfigText.Set(f.DphysConfig, values), "CONF_SWAPFILE, CONF_SWAPSIZE and its caps");
            // dphys-swapfile turns its file on at boot: an fstab line for the same file would do it twice.
            if (f.Fstab != null && FstabText.CountEntries(f.Fstab, path) > 0)
                AddEdit(plan, layout.Fstab, f.Fstab, FstabText.Remove(f.Fstab, path), "drop the fstab line: dphys-swapfile turns " + path + " on");
            if (f.DphysEnabledLinks.Count == 0 && f.DphysUnit != null && f.DphysUnit.EndsWith(".service", StringComparison.Ordinal))
            {
                plan.Links.Add(new LinkEdit { Link = layout.SystemdEtc + "/multi-user.target.wants/dphys-swapfile.service", Target = f.DphysUnit });
                plan.Changes.Add("enable dphys-swapfile.service");
            }
        }

        static void PlanRpiSwap(SwapPlan plan, SwapFacts f, SwapLayout layout, string path, long mib)
        {
            var dropIn = RpiSwapText.DropIn(path, mib);
            var existing = f.RpiDropIns.FirstOrDefault(d => d.FullPath == layout.RpiDropIn);
            var others = f.RpiDropIns.Where(d => d.FullPath != layout.RpiDropIn).ToList();
            var ours = new RpiSwapFile { Dir = layout.RpiEtc.TrimEnd('/') + "/swap.conf.d", Name = SwapLayout.RpiDropInName, Text = dropIn };
            var merged = RpiSwapText.Merge(f.RpiMain, others.Concat(new[] { ours }));
            foreach (var kv in new[] { ("Main.Mechanism", "swapfile"), ("File.Path", path), ("File.FixedSizeMiB", mib.ToString(CultureInfo.InvariantCulture)) })
            {
                merged.TryGetValue(kv.Item1, out var got);
                if (got.Key != kv.Item2)
                    throw Fail("RpiSwapOverridden", "InvalidOperation",
                        $"{plan.Device}: rpi-swap's {got.Value} sorts after EdgeOps' {SwapLayout.RpiDropInName} and sets {kv.Item1}={got.Key}: " +
                        "remove that setting (or that drop-in) so the swap file survives a reboot. Nothing was changed.");
            }
            var before = RpiSwapText.Value(RpiSwapText.Merge(f.RpiMain, f.RpiDropIns), "Main.Mechanism") ?? "auto";
            if (before != "swapfile")
                plan.Warnings.Add($"rpi-swap's mechanism was '{before}'; EdgeOps' drop-in sets 'swapfile', so from the next boot rpi-swap makes only the swap file (zram it runs now stays until then).");
            AddEdit(plan, layout.RpiDropIn, existing?.Text, dropIn, "rpi-swap drop-in: swapfile " + path + ", " + mib + " MiB");
            if (f.Fstab != null && FstabText.CountEntries(f.Fstab, path) > 0)
                AddEdit(plan, layout.Fstab, f.Fstab, FstabText.Remove(f.Fstab, path), "drop the fstab line: rpi-swap turns " + path + " on");
        }

        // ------------------------------------------------------------------ Remove-SwapFile

        public static SwapPlan PlanRemove(string device, SwapFacts f, string requestedPath, SwapLayout layout)
        {
            layout = layout ?? SwapLayout.Default;
            var plan = new SwapPlan { Device = device, Manager = ChooseManager(f) };
            string managerPath = ManagerPath(f, plan.Manager);
            if (requestedPath != null && (requestedPath.StartsWith("/dev/", StringComparison.Ordinal)))
                throw Fail("SwapNotAFile", "InvalidArgument",
                    $"{device}: {requestedPath} is a device, not a swap file: Remove-SwapFile removes swap files only (zram and partitions belong to their own tools: use swapoff or zramctl for those).");
            string path = ValidatePath(device, requestedPath ?? managerPath ?? "/swapfile");
            plan.Path = path;
            if (f.File(path) == null) { plan.MissingPaths.Add(path); return plan; }
            var file = f.File(path);
            var active = f.ActiveAt(path);
            plan.WasActive = active != null;
            plan.UsedBytes = active?.UsedBytes ?? 0;
            plan.ExistingBytes = file.Kind == "file" ? file.AllocatedBytes : 0;
            plan.FileSystem = file.FileSystem;
            if (file.Exists && file.Kind != "file")
                throw Fail("SwapPathNotAFile", "InvalidArgument", $"{device}: '{path}' is a {file.Kind}, not a swap file: nothing was changed.");
            if (file.Exists && !file.SwapSignature && active == null && file.Size > 0)
                throw Fail("SwapPathNotSwap", "InvalidArgument",
                    $"{device}: '{path}' is not a swap file (no swap signature): EdgeOps will not delete it. Nothing was changed: give -Path of the swap file to remove.");

            if (active != null)
            {
                CheckSwapOff(device, f, active, "remove");
                plan.SwapOff = true;
                plan.Changes.Add($"swapoff {path} ({BuildMath.Human(active.UsedBytes)} used comes back to RAM)");
            }
            // persistence: every place that would turn it on again
            if (f.Fstab != null && FstabText.CountEntries(f.Fstab, path) > 0)
            {
                AddEdit(plan, layout.Fstab, f.Fstab, FstabText.Remove(f.Fstab, path), "fstab entry for " + path);
                plan.PersistedIn = layout.Fstab;
            }
            if (f.DphysInstalled && ManagerPath(f, SwapManagers.Dphys) == path)
            {
                plan.Manager = SwapManagers.Dphys;
                plan.PersistedIn = layout.DphysConfig;
                foreach (var link in f.DphysEnabledLinks)
                {
                    plan.Links.Add(new LinkEdit { Link = link });
                    plan.Changes.Add("disable dphys-swapfile.service (" + link + "), or it makes " + path + " again at boot");
                }
            }
            var ours = f.RpiDropIns.FirstOrDefault(d => d.FullPath == layout.RpiDropIn);
            if (ours != null && RpiSwapText.Value(RpiSwapText.Merge(null, new[] { ours }), "File.Path") == path)
            {
                plan.Manager = SwapManagers.RpiSwap;
                plan.PersistedIn = layout.RpiDropIn;
                AddEdit(plan, layout.RpiDropIn, ours.Text, null, "EdgeOps' rpi-swap drop-in");
                var rest = RpiSwapText.Merge(f.RpiMain, f.RpiDropIns.Where(d => d != ours));
                var mech = RpiSwapText.Value(rest, "Main.Mechanism") ?? "auto";
                var restPath = RpiSwapText.Value(rest, "File.Path") ?? RpiSwapText.DefaultPath;
                if (mech != "zram" && mech != "none" && restPath == path)
                    plan.Warnings.Add($"without EdgeOps' drop-in rpi-swap is set to '{mech}' with file {path}: it will make that file again at the next boot.");
            }
            if (file.Exists)
            {
                plan.DeleteFile = true;
                plan.Changes.Add($"delete {path} ({BuildMath.Human(file.Size)})");
            }
            plan.Action = plan.HasWork ? "Removed" : "NotFound";
            return plan;
        }
    }
}
