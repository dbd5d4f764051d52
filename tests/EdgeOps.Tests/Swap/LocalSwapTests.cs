using EdgeOps.Swap;
using Xunit;

namespace EdgeOps.Tests.Swap
{
    /// <summary>
    /// Real swap on this machine (the local device): real fallocate, mkswap, swapon on loop-mounted ext4, ext2
    /// and btrfs images, with a scratch /etc so the machine's own fstab is never touched.
    /// </summary>
    public class LocalSwapTests
    {
        const long MiB = BuildMath.MiB;

        static SwapFileResult New(ScratchDisk d, SwapRequest r, TestDeviceContext? ctx = null)
        {
            using var own = ctx == null ? TestDeviceContext.Local() : null;
            return new SwapService(ctx ?? own!, d.Layout).New(r);
        }

        static long ProcSwapKiB(string path) => HostShell.Swaps().Where(s => s.path == path).Select(s => s.kib).DefaultIfEmpty(-1).Single();

        [RootFact]
        public void Create_rerun_resize_get_and_remove_on_ext4()
        {
            using var d = new ScratchDisk();
            var path = d.File("swapfile");

            var r = New(d, new SwapRequest { Path = path, SizeBytes = 16 * MiB });
            Assert.Equal("Created", r.Action);
            Assert.Equal(SwapManagers.Fstab, r.Manager);
            Assert.Equal(16 * MiB, r.SizeBytes);
            Assert.Equal(d.Fstab, r.PersistedIn);
            Assert.Equal(16 * 1024 - 4, ProcSwapKiB(path));
            Assert.Equal("600 0 0", HostShell.Run("stat", "-c", "%a %u %g", path).Trim());
            Assert.Equal(16 * MiB, new FileInfo(path).Length);
            Assert.Equal(1, FstabText.CountEntries(File.ReadAllText(d.Fstab), path));
            Assert.StartsWith("# scratch fstab\nUUID=1234 / ext4 defaults 0 1\n", File.ReadAllText(d.Fstab));
            Assert.True(r.FreeDiskBytes > 0 && r.DiskMarginBytes == 256 * MiB && r.MemTotalBytes > 0);

            var fstabHash = HostShell.Hash(d.Fstab);
            var again = New(d, new SwapRequest { Path = path, SizeBytes = 16 * MiB });
            Assert.Equal("Unchanged", again.Action);
            Assert.Equal(fstabHash, HostShell.Hash(d.Fstab));
            Assert.Equal(16 * 1024 - 4, ProcSwapKiB(path));

            var bigger = New(d, new SwapRequest { Path = path, SizeBytes = 32 * MiB, Priority = 7 });
            Assert.Equal("Resized", bigger.Action);
            Assert.Equal(32 * 1024 - 4, ProcSwapKiB(path));
            Assert.Equal(7, bigger.Priority);
            Assert.Equal(1, FstabText.CountEntries(File.ReadAllText(d.Fstab), path));
            Assert.Equal(7, FstabText.Priority(File.ReadAllText(d.Fstab), path));
            Assert.Equal(fstabHash, HostShell.Hash(d.Fstab + ".edgeops.bak")); // the backup is the file before the change

            var idle = d.File("idle swap");
            File.AppendAllText(d.Fstab, FstabText.Line(idle, 3) + "\n");
            using (var ctx = TestDeviceContext.Local())
            {
                var areas = new SwapService(ctx, d.Layout).Get().ToList();
                var mine = Assert.Single(areas, a => a.Path == path);
                Assert.True(mine.Active);
                Assert.Equal("file", mine.Type);
                Assert.Equal(SwapManagers.Fstab, mine.Manager);
                Assert.Equal(d.Fstab, mine.PersistedIn);
                Assert.Equal(7, mine.Priority);
                var configured = Assert.Single(areas, a => a.Path == idle); // configured, not active
                Assert.False(configured.Active);
                Assert.Equal(3, configured.Priority);
                Assert.DoesNotContain(areas, a => a.Path == "UUID=1234"); // root filesystem, not swap
            }

            using (var ctx = TestDeviceContext.Local())
            {
                var removed = new SwapService(ctx, d.Layout).Remove(path);
                Assert.Equal("Removed", removed.Action);
                Assert.True(removed.WasActive);
                Assert.Equal(32 * MiB, removed.FreedBytes);
            }
            Assert.Equal(-1, ProcSwapKiB(path));
            Assert.False(File.Exists(path));
            Assert.Equal(0, FstabText.CountEntries(File.ReadAllText(d.Fstab), path));
            using (var ctx = TestDeviceContext.Local())
                Assert.Equal("NotFound", new SwapService(ctx, d.Layout).Remove(path).Action);
        }

        [RootFact]
        public void WhatIf_plans_and_touches_nothing()
        {
            using var d = new ScratchDisk();
            var path = d.File("swapfile");
            File.WriteAllText(Path.Combine(d.Etc, "dummy"), "x");
            var before = Directory.GetFiles(d.Root, "*", SearchOption.AllDirectories).Where(f => !f.EndsWith("disk.img")).ToDictionary(f => f, HostShell.Hash);
            var swaps = HostShell.Swaps();
            using var ctx = TestDeviceContext.Local(whatIf: true);
            var r = New(d, new SwapRequest { Path = path, SizeBytes = 16 * MiB, Swappiness = 11 }, ctx);
            Assert.Null(r);   // -WhatIf: no result object, only the plan through ShouldProcess
            Assert.Single(ctx.Asked);
            Assert.Contains("create a 16.0 MB swap file", ctx.Asked[0]);
            Assert.False(File.Exists(path));
            Assert.Equal(swaps, HostShell.Swaps());
            var after = Directory.GetFiles(d.Root, "*", SearchOption.AllDirectories).Where(f => !f.EndsWith("disk.img")).ToDictionary(f => f, HostShell.Hash);
            Assert.Equal(before, after);
            Assert.NotEqual("11", File.ReadAllText("/proc/sys/vm/swappiness").Trim());
        }

        [RootFact]
        public void Btrfs_swap_file_has_no_copy_on_write_and_works()
        {
            using var d = new ScratchDisk("btrfs");
            var path = d.File("swapfile");
            var r = New(d, new SwapRequest { Path = path, SizeBytes = 16 * MiB });
            Assert.Equal("Created", r.Action);
            Assert.Equal("btrfs", r.FileSystem);
            Assert.Contains("C", HostShell.Run("lsattr", "-d", path).Split(' ')[0]);
            Assert.Equal(16 * 1024 - 4, ProcSwapKiB(path));
            Assert.Equal("Unchanged", New(d, new SwapRequest { Path = path, SizeBytes = 16 * MiB }).Action);
        }

        [RootFact]
        public void Filesystem_without_fallocate_gets_the_file_written_out()
        {
            using var d = new ScratchDisk("ext2");
            var path = d.File("swapfile");
            using var ctx = TestDeviceContext.Local();
            var r = New(d, new SwapRequest { Path = path, SizeBytes = 16 * MiB }, ctx);
            Assert.Equal("Created", r.Action);
            Assert.Contains(ctx.Messages, m => m.Contains("step: allocated dd"));
            Assert.Equal(16 * 1024 - 4, ProcSwapKiB(path));
        }

        [RootFact]
        public void A_swap_file_with_holes_is_rejected_by_swapon_and_EdgeOps_rewrites_it()
        {
            using var d = new ScratchDisk();
            var path = d.File("holey");
            HostShell.Run("truncate", "-s", "16M", path);
            HostShell.Run("chmod", "600", path);
            HostShell.Run("mkswap", path);
            var direct = HostShell.TryRun("swapon", path);
            Assert.NotEqual(0, direct.code); // the kernel refuses files with holes
            Assert.Contains("hole", direct.stderr);

            using var ctx = TestDeviceContext.Local();
            var r = New(d, new SwapRequest { Path = path, SizeBytes = 16 * MiB }, ctx);
            Assert.Equal("Updated", r.Action);
            Assert.Contains(ctx.Messages, m => m.Contains("step: allocated fallocate"));
            Assert.Equal(16 * 1024 - 4, ProcSwapKiB(path));
        }

        [RootFact]
        public void Not_enough_disk_is_refused_and_nothing_is_created()
        {
            using var d = new ScratchDisk();
            var path = d.File("swapfile");
            var fstab = HostShell.Hash(d.Fstab);
            using var ctx = TestDeviceContext.Local();
            var e = Assert.IsAssignableFrom<EdgeOpsException>(Record.Exception(() => New(d, new SwapRequest { Path = path, SizeBytes = 800 * MiB }, ctx)));
            Assert.Equal("SwapNotEnoughDisk", e.ErrorId);
            Assert.Contains(Environment.MachineName.ToLowerInvariant(), e.Message);
            Assert.False(File.Exists(path));
            Assert.Equal(fstab, HostShell.Hash(d.Fstab));
            Assert.Empty(ctx.Asked);
        }

        [RootFact]
        public void Hostile_path_is_quoted_everywhere_and_escaped_in_fstab()
        {
            using var d = new ScratchDisk(mountName: "we ird 'q' \"d\" $(touch x) `id`;&|");
            var path = d.File("swap $(touch pwned) it's;`id`");
            var r = New(d, new SwapRequest { Path = path, SizeBytes = 16 * MiB });
            Assert.Equal("Created", r.Action);
            Assert.Equal(16 * 1024 - 4, ProcSwapKiB(path));
            var fstab = File.ReadAllText(d.Fstab);
            Assert.Contains("\\040", fstab);
            Assert.Equal(1, FstabText.CountEntries(fstab, path));
            Assert.Equal("Unchanged", New(d, new SwapRequest { Path = path, SizeBytes = 16 * MiB }).Action);
            Assert.Empty(Directory.GetFiles(d.Root, "pwned", SearchOption.AllDirectories));
            Assert.False(File.Exists("x") || File.Exists("pwned"));
            using var ctx = TestDeviceContext.Local();
            Assert.Equal("Removed", new SwapService(ctx, d.Layout).Remove(path).Action);
            Assert.Equal(-1, ProcSwapKiB(path));
        }

        [RootFact]
        public void Dphys_swapfile_config_gets_size_and_cap_the_service_is_enabled_and_fstab_is_left_alone()
        {
            using var d = new ScratchDisk();
            var path = d.File("dphys swap");
            var conf = Path.Combine(d.Etc, "dphys-swapfile");
            File.WriteAllText(conf, "# /etc/dphys-swapfile\nCONF_SWAPFILE='" + path + "'\n#CONF_SWAPSIZE=\nCONF_MAXSWAP=32\n");
            var unitDir = Path.Combine(d.Etc, "systemd", "system");
            Directory.CreateDirectory(unitDir);
            File.WriteAllText(Path.Combine(unitDir, "dphys-swapfile.service"), "[Service]\nExecStart=/sbin/dphys-swapfile setup\n");
            var fstab = HostShell.Hash(d.Fstab);

            var r = New(d, new SwapRequest { SizeBytes = 64 * MiB });
            Assert.Equal("Created", r.Action);
            Assert.Equal(SwapManagers.Dphys, r.Manager);
            Assert.Equal(path, r.Path);
            Assert.Equal(conf, r.PersistedIn);
            var text = File.ReadAllText(conf);
            Assert.Equal("64", ShellConfigText.Get(text, "CONF_SWAPSIZE"));
            Assert.Equal("64", ShellConfigText.Get(text, "CONF_MAXSWAP")); // the silent 32 MiB cap was raised
            Assert.Equal(path, HostShell.Sh(". \"$1\"; printf %s \"$CONF_SWAPFILE\"", conf));
            Assert.StartsWith("# /etc/dphys-swapfile\n", text);
            var link = Path.Combine(unitDir, "multi-user.target.wants", "dphys-swapfile.service");
            Assert.Equal(Path.Combine(unitDir, "dphys-swapfile.service"), new FileInfo(link).LinkTarget);
            Assert.Equal(fstab, HostShell.Hash(d.Fstab));
            Assert.Equal(64 * 1024 - 4, ProcSwapKiB(path));
            Assert.Equal("Unchanged", New(d, new SwapRequest { SizeBytes = 64 * MiB }).Action);

            using var ctx = TestDeviceContext.Local();
            var removed = new SwapService(ctx, d.Layout).Remove(null);
            Assert.Equal("Removed", removed.Action);
            Assert.Equal(SwapManagers.Dphys, removed.Manager);
            Assert.False(File.Exists(link) || new FileInfo(link).LinkTarget != null);
            Assert.False(File.Exists(path));
            Assert.True(File.Exists(conf));
        }

        [RootFact]
        public void Rpi_swap_gets_a_drop_in_that_Remove_takes_away_again()
        {
            using var d = new ScratchDisk();
            var path = d.File("rswap");
            Directory.CreateDirectory(Path.Combine(d.Etc, "rpi"));
            File.WriteAllText(Path.Combine(d.Etc, "rpi", "swap.conf"), "[Main]\n#Mechanism=auto\n\n[File]\n#Path=/var/swap\n");
            using var ctx = TestDeviceContext.Local();
            var r = New(d, new SwapRequest { Path = path, SizeBytes = 32 * MiB }, ctx);
            Assert.Equal("Created", r.Action);
            Assert.Equal(SwapManagers.RpiSwap, r.Manager);
            var dropIn = Path.Combine(d.Etc, "rpi", "swap.conf.d", "90-edgeops-swap.conf");
            Assert.Equal(dropIn, r.PersistedIn);
            Assert.Equal(RpiSwapText.DropIn(path, 32), File.ReadAllText(dropIn));
            Assert.Contains(ctx.Messages, m => m.StartsWith("W: ") && m.Contains("'auto'"));
            Assert.Equal("Unchanged", New(d, new SwapRequest { Path = path, SizeBytes = 32 * MiB }).Action);
            var area = Assert.Single(new SwapService(ctx, d.Layout).Get(), a => a.Path == path);
            Assert.Equal(SwapManagers.RpiSwap, area.Manager);
            Assert.Equal(dropIn, area.PersistedIn);

            Assert.Equal("Removed", new SwapService(ctx, d.Layout).Remove(path).Action);
            Assert.False(File.Exists(dropIn));
            Assert.True(File.Exists(dropIn + ".edgeops.bak"));
            Assert.Equal(-1, ProcSwapKiB(path));
        }

        [RootFact]
        public void Interrupted_edit_leaves_fstab_as_before_and_the_next_run_completes_it_once()
        {
            using var d = new ScratchDisk();
            var path = d.File("swapfile");
            var original = File.ReadAllText(d.Fstab);
            try
            {
                DeviceScripts.StepHook = (dev, step) => { if (step == "staged:" + d.Fstab) throw new IOException("connection lost (test)"); };
                Assert.Throws<IOException>(() => New(d, new SwapRequest { Path = path, SizeBytes = 16 * MiB }));
                Assert.Equal(original, File.ReadAllText(d.Fstab)); // staged copy written and synced, not renamed
                Assert.True(File.Exists(Path.Combine(d.Etc, ".fstab.edgeops-new")));
            }
            finally { DeviceScripts.StepHook = null; }
            var r = New(d, new SwapRequest { Path = path, SizeBytes = 16 * MiB });
            Assert.Equal("Updated", r.Action); // the file was made and turned on before; only the entry was missing
            Assert.Equal(original + FstabText.Line(path, null) + "\n", File.ReadAllText(d.Fstab));
            Assert.False(File.Exists(Path.Combine(d.Etc, ".fstab.edgeops-new")));
        }

        [RootFact]
        public void Fstab_changed_by_someone_else_between_read_and_write_is_not_overwritten()
        {
            using var d = new ScratchDisk();
            var path = d.File("swapfile");
            try
            {
                DeviceScripts.StepHook = (dev, step) => { if (step == "staged:" + d.Fstab) File.AppendAllText(d.Fstab, "# admin edit\n"); };
                var e = Assert.IsAssignableFrom<EdgeOpsException>(Record.Exception(() => New(d, new SwapRequest { Path = path, SizeBytes = 16 * MiB })));
                Assert.Equal("SwapConfigChanged", e.ErrorId);
            }
            finally { DeviceScripts.StepHook = null; }
            Assert.EndsWith("# admin edit\n", File.ReadAllText(d.Fstab));
            Assert.Equal(0, FstabText.CountEntries(File.ReadAllText(d.Fstab), path));
        }
    }
}

namespace EdgeOps.Tests.Swap
{
    public class LocalZramTests
    {
        [ZramFact]
        public void Jetson_zram_from_nvzramconfig_is_left_alone_reported_and_not_counted_for_jobs()
        {
            using var d = new ScratchDisk();
            Directory.CreateDirectory(Path.Combine(d.Etc, "systemd", "system"));
            File.WriteAllText(Path.Combine(d.Etc, "systemd", "nvzramconfig.sh"), "#!/bin/sh\n# NVIDIA zram setup (simulated)\n");
            File.WriteAllText(Path.Combine(d.Etc, "systemd", "system", "nvzramconfig.service"), "[Service]\nExecStart=/etc/systemd/nvzramconfig.sh\n");
            using var zram = new ZramSwap(32 * BuildMath.MiB);
            var nvHash = HostShell.Hash(Path.Combine(d.Etc, "systemd", "nvzramconfig.sh"));

            using var ctx = TestDeviceContext.Local();
            var svc = new SwapService(ctx, d.Layout);
            var z = Assert.Single(svc.Get(), a => a.Path == zram.Device);
            Assert.Equal("zram", z.Type);
            Assert.Equal(SwapManagers.NvZram, z.Manager);
            Assert.EndsWith("nvzramconfig.sh", z.PersistedIn);
            Assert.Equal(ZramSwap.Priority, z.Priority);

            var path = d.File("swapfile");
            var r = svc.New(new SwapRequest { Path = path, SizeBytes = 16 * BuildMath.MiB });
            Assert.Equal("Created", r.Action);
            Assert.Equal(SwapManagers.Fstab, r.Manager);
            Assert.True(r.ZramBytes >= 32 * BuildMath.MiB - 4096);
            Assert.Contains("zram swap from nvzramconfig left in place", r.Note);
            Assert.True(r.Priority < ZramSwap.Priority); // zram stays first
            var after = svc.Get().ToList();
            Assert.Contains(after, a => a.Path == zram.Device && a.Active && a.Priority == ZramSwap.Priority);
            Assert.Equal(nvHash, HostShell.Hash(Path.Combine(d.Etc, "systemd", "nvzramconfig.sh")));
            Assert.DoesNotContain("zram", File.ReadAllText(d.Fstab));

            var plan = svc.BuildPlan("generic", null, 2);
            Assert.True(plan.ZramBytes > 0);
            Assert.Equal(r.DiskSwapBytes, plan.DiskSwapBytes); // zram is not counted as room for jobs
            Assert.Equal("Removed", svc.Remove(path).Action);
            Assert.Contains(HostShell.Swaps(), s => s.path == zram.Device);
        }
    }
}
