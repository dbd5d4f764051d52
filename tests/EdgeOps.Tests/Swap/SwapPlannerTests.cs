using System.Diagnostics;
using EdgeOps.Swap;
using Xunit;

namespace EdgeOps.Tests.Swap
{
    /// <summary>The pure side of the swap cmdlets: config text, job arithmetic, plans from given facts.</summary>
    public class SwapPlannerTests
    {
        const long MiB = BuildMath.MiB, GiB = BuildMath.GiB;

        // ---------------------------------------------------------------- facts for a planner

        internal static SwapFacts Facts(long memTotal = 4 * GiB, long memAvail = 3 * GiB, string fstab = "proc /proc proc defaults 0 0\n",
            long dirSize = 8 * GiB, long dirAvail = 4 * GiB, string fs = "ext4")
        {
            var f = new SwapFacts { Uid = 0, MemTotal = memTotal, MemAvailable = memAvail, PageSize = 4096, CpuCount = 4, Swappiness = 60, Fstab = fstab };
            f.Tools.Add("fallocate");
            foreach (var p in new[] { "/swapfile", "/var/swap" })
                f.Files[p] = new FileFacts { Path = p, Kind = "absent", DirExists = true, FileSystem = fs, DirSizeBytes = dirSize, DirAvailBytes = dirAvail };
            return f;
        }

        internal static void Existing(SwapFacts f, string path, long size, bool active, long used = 0, int prio = -2, string mode = "600")
        {
            var file = f.Files[path];
            file.Kind = "file"; file.Size = size; file.AllocatedBytes = size; file.Mode = mode; file.Uid = 0; file.SwapSignature = true;
            file.Busy = active ? "yes" : "no";
            if (active)
                f.Swaps.Add(new ActiveSwap { Path = path, Type = "file", SizeBytes = size - 4096, UsedBytes = used, Priority = prio, Busy = "yes" });
        }

        static SwapPlan Plan(SwapFacts f, SwapRequest r) => SwapPlanner.PlanNew("pi1", f, r, SwapLayout.Default);

        static EdgeOpsException Refused(Action a) => Assert.IsAssignableFrom<EdgeOpsException>(Record.Exception(a));

        // ---------------------------------------------------------------- fstab

        [Fact]
        public void Fstab_entry_is_added_once_and_a_second_run_changes_nothing()
        {
            var text = "# static file system information\nUUID=abc / ext4 defaults 0 1\n";
            var once = FstabText.Ensure(text, "/swapfile", null);
            Assert.Equal(text + "/swapfile none swap sw 0 0\n", once);
            Assert.Same(once, FstabText.Ensure(once, "/swapfile", null));
            Assert.Equal(1, FstabText.CountEntries(FstabText.Ensure(once, "/swapfile", null), "/swapfile"));
        }

        [Fact]
        public void Fstab_duplicates_collapse_to_one_entry_in_place_and_other_lines_stay()
        {
            var text = "/dev/sda1 / ext4 defaults 0 1\n/swapfile none swap sw 0 0\ntmpfs /tmp tmpfs defaults 0 0\n/swapfile  none  swap  defaults,pri=1 0 0\n";
            var r = FstabText.Ensure(text, "/swapfile", 5);
            Assert.Equal("/dev/sda1 / ext4 defaults 0 1\n/swapfile none swap sw,pri=5 0 0\ntmpfs /tmp tmpfs defaults 0 0\n", r);
            Assert.Equal(5, FstabText.Priority(r, "/swapfile"));
        }

        [Fact]
        public void Fstab_keeps_an_equivalent_user_entry_and_replaces_noauto_or_other_priority()
        {
            var user = "/swapfile\tnone\tswap\tdefaults,nofail\t0\t0\n";
            Assert.Same(user, FstabText.Ensure(user, "/swapfile", null));
            Assert.Equal("/swapfile none swap sw 0 0\n", FstabText.Ensure("/swapfile none swap noauto 0 0\n", "/swapfile", null));
            Assert.Equal("/swapfile none swap sw,pri=3 0 0\n", FstabText.Ensure("/swapfile none swap sw,pri=2 0 0\n", "/swapfile", 3));
        }

        [Fact]
        public void Fstab_escapes_spaces_and_finds_the_escaped_entry_again()
        {
            const string hostile = "/swap dir/it's $(reboot) `x`;y";
            var r = FstabText.Ensure("", hostile, null);
            Assert.Equal("/swap\\040dir/it's\\040$(reboot)\\040`x`;y none swap sw 0 0\n", r);
            Assert.Equal(1, FstabText.CountEntries(r, hostile));
            Assert.Equal("", FstabText.Remove(r + "", hostile).Trim());
        }

        [Fact]
        public void Fstab_without_trailing_newline_gets_one_before_the_entry()
        {
            Assert.Equal("a b c d 0 0\n/swapfile none swap sw 0 0\n", FstabText.Ensure("a b c d 0 0", "/swapfile", null));
        }

        [Fact]
        public void Fstab_remove_drops_every_entry_for_the_path_only()
        {
            var text = "/swapfile none swap sw 0 0\n/other none swap sw 0 0\n/swapfile none swap sw 0 0\n# /swapfile none swap sw 0 0\n";
            Assert.Equal("/other none swap sw 0 0\n# /swapfile none swap sw 0 0\n", FstabText.Remove(text, "/swapfile"));
        }

        // ---------------------------------------------------------------- dphys-swapfile config

        [Fact]
        public void Dphys_config_keys_are_set_once_in_place_keeping_comments()
        {
            var text = "# where we want the swapfile to be\nCONF_SWAPFILE=/var/swap\n#CONF_SWAPSIZE=\nCONF_SWAPSIZE=100\n#CONF_MAXSWAP=2048\nCONF_SWAPSIZE=200\n";
            var r = ShellConfigText.Set(text, new[] { KV("CONF_SWAPSIZE", "4096"), KV("CONF_MAXSWAP", "4096") });
            Assert.Equal("# where we want the swapfile to be\nCONF_SWAPFILE=/var/swap\n#CONF_SWAPSIZE=\nCONF_SWAPSIZE=4096\n#CONF_MAXSWAP=2048\nCONF_MAXSWAP=4096\n", r);
            Assert.Equal(r, ShellConfigText.Set(r, new[] { KV("CONF_SWAPSIZE", "4096"), KV("CONF_MAXSWAP", "4096") }));
            Assert.Equal("4096", ShellConfigText.Get(r, "CONF_SWAPSIZE"));
            Assert.Null(ShellConfigText.Get(r, "CONF_MAXDISK_PCT"));
        }

        static KeyValuePair<string, string> KV(string k, string v) => new(k, v);

        [Theory]
        [InlineData("/var/swap")]
        [InlineData("/swap dir/it's $(touch /tmp/pwned) `id`; rm -rf /")]
        [InlineData("/x\"y'z\\$HOME")]
        public void Dphys_config_value_reads_back_the_same_when_a_real_shell_sources_it(string path)
        {
            var text = ShellConfigText.Set("CONF_SWAPSIZE=100\n", new[] { KV("CONF_SWAPFILE", path) });
            Assert.Equal(path, ShellConfigText.Get(text, "CONF_SWAPFILE"));
            var file = Path.GetTempFileName();
            try
            {
                File.WriteAllText(file, text);
                var psi = new ProcessStartInfo("/bin/sh") { RedirectStandardOutput = true };
                psi.ArgumentList.Add("-c"); psi.ArgumentList.Add(". \"$1\"; printf %s \"$CONF_SWAPFILE\""); psi.ArgumentList.Add("sh"); psi.ArgumentList.Add(file);
                using var p = Process.Start(psi)!;
                var got = p.StandardOutput.ReadToEnd();
                p.WaitForExit();
                Assert.Equal(path, got);
                Assert.False(File.Exists("/tmp/pwned"));
            }
            finally { File.Delete(file); }
        }

        // ---------------------------------------------------------------- rpi-swap config

        [Fact]
        public void Rpi_swap_merge_orders_drop_ins_by_name_and_etc_hides_vendor_files_of_the_same_name()
        {
            var main = new RpiSwapFile { Dir = "/etc/rpi", Name = "swap.conf", Text = "[Main]\n#Mechanism=auto\n[File]\n#Path=/var/swap\n" };
            var drops = new[]
            {
                new RpiSwapFile { Dir = "/usr/lib/rpi/swap.conf.d", Name = "50-vendor.conf", Text = "[Main]\nMechanism=zram\n" },
                new RpiSwapFile { Dir = "/etc/rpi/swap.conf.d", Name = "50-vendor.conf", Text = "[Main]\nMechanism=zram+file\n" },
                new RpiSwapFile { Dir = "/usr/lib/rpi/swap.conf.d", Name = "70-x.conf", Text = "[File]\nPath=/data/swap\n" },
            };
            var m = RpiSwapText.Merge(main, drops);
            Assert.Equal("zram+file", RpiSwapText.Value(m, "Main.Mechanism"));
            Assert.Equal("/data/swap", RpiSwapText.Value(m, "File.Path"));
            Assert.Equal("/usr/lib/rpi/swap.conf.d/70-x.conf", m["File.Path"].Value);
        }

        [Fact]
        public void Rpi_swap_plan_writes_a_drop_in_with_size_and_cap_and_refuses_a_later_override()
        {
            var f = Facts();
            f.RpiSwapGenerator = true;
            f.RpiMain = new RpiSwapFile { Dir = "/etc/rpi", Name = "swap.conf", Text = "[Main]\n#Mechanism=auto\n" };
            var plan = Plan(f, new SwapRequest { SizeBytes = 64 * MiB });
            Assert.Equal(SwapManagers.RpiSwap, plan.Manager);
            Assert.Equal("/var/swap", plan.Path);
            var edit = Assert.Single(plan.Edits);
            Assert.Equal("/etc/rpi/swap.conf.d/90-edgeops-swap.conf", edit.Path);
            Assert.Contains("Mechanism=swapfile\n", edit.NewText);
            Assert.Contains("Path=/var/swap\nFixedSizeMiB=64\nMaxSizeMiB=64\n", edit.NewText);
            Assert.Contains(plan.Warnings, w => w.Contains("'auto'"));

            f.RpiDropIns.Add(new RpiSwapFile { Dir = "/etc/rpi/swap.conf.d", Name = "95-mine.conf", Text = "[File]\nFixedSizeMiB=100\n" });
            var e = Refused(() => Plan(f, new SwapRequest { SizeBytes = 64 * MiB }));
            Assert.Equal("RpiSwapOverridden", e.ErrorId);
            Assert.Contains("95-mine.conf", e.Message);
        }

        // ---------------------------------------------------------------- job arithmetic

        [Fact]
        public void Reserve_is_512_MiB_or_an_eighth_of_RAM()
        {
            Assert.Equal(512 * MiB, BuildMath.SystemReserve(4 * GiB));
            Assert.Equal(1 * GiB, BuildMath.SystemReserve(8 * GiB));
        }

        [Fact]
        public void Four_jobs_of_2GB_on_a_4GB_board_need_four_and_a_half_GB_of_swap()
        {
            // 4 x 2 GiB + 512 MiB reserve - 4 GiB RAM = 4.5 GiB, plus the header page, in whole MiB
            Assert.Equal(4 * GiB + 512 * MiB + MiB, BuildMath.SwapForJobs(4, 2 * GiB, 4 * GiB, 0, 4096));
            Assert.Equal(0, BuildMath.SwapForJobs(2, 2 * GiB, 8 * GiB, 0, 4096));
            Assert.Equal(1, BuildMath.MemoryJobs(4 * GiB, 0, 2 * GiB));
            Assert.Equal(3, BuildMath.MaxJobs(BuildMath.MemoryJobs(4 * GiB, 4 * GiB, 2 * GiB), 4));
            Assert.Equal(2, BuildMath.MaxJobs(9, 2));
            Assert.Equal(1, BuildMath.MaxJobs(0, 4));
        }

        [Fact]
        public void Swap_sized_for_N_jobs_always_plans_at_least_N_jobs_with_what_the_kernel_reports()
        {
            foreach (var mem in new[] { 1 * GiB, 2 * GiB, 4 * GiB - 7 * MiB, 4 * GiB, 8 * GiB })
            foreach (var per in new[] { 300 * MiB, 1 * GiB, 1536 * MiB, 2 * GiB })
            foreach (var other in new[] { 0L, 100 * MiB })
            for (int n = 1; n <= 8; n++)
            {
                var s = BuildMath.SwapForJobs(n, per, mem, other, 4096);
                var kernelSays = s == 0 ? 0 : s - 4096; // /proc/swaps leaves out the header page
                Assert.True(BuildMath.MemoryJobs(mem, other + kernelSays, per) >= n, $"mem {mem} per {per} n {n}");
                Assert.Equal(0, s % MiB);
            }
        }

        [Fact]
        public void Profiles_have_a_figure_and_a_source_and_unknown_names_are_refused()
        {
            Assert.All(BuildProfile.All, p => { Assert.True(p.MemoryPerJobBytes >= 512 * MiB); Assert.False(string.IsNullOrWhiteSpace(p.Source)); });
            Assert.Equal(2 * GiB, BuildProfile.Get("PyTorch").MemoryPerJobBytes);
            Assert.Equal("UnknownBuildProfile", Refused(() => BuildProfile.Get("tensorflow")).ErrorId);
        }

        // ---------------------------------------------------------------- New-SwapFile plans

        [Fact]
        public void Fresh_device_plan_creates_file_and_one_fstab_entry()
        {
            var f = Facts(dirSize: 32 * GiB, dirAvail: 16 * GiB);
            var plan = Plan(f, new SwapRequest { SizeBytes = 4 * GiB - 1 });
            Assert.Equal("Created", plan.Action);
            Assert.Equal(SwapManagers.Fstab, plan.Manager);
            Assert.Equal("/swapfile", plan.Path);
            Assert.Equal(4 * GiB, plan.SizeBytes);
            Assert.True(plan.Allocate && plan.SwapOn && plan.UseFallocate && !plan.SwapOff);
            var e = Assert.Single(plan.Edits);
            Assert.Equal("/etc/fstab", e.Path);
            Assert.EndsWith("/swapfile none swap sw 0 0\n", e.NewText);
        }

        [Fact]
        public void Done_state_plans_Unchanged_with_nothing_to_do()
        {
            var f = Facts(fstab: "/swapfile none swap sw 0 0\n");
            Existing(f, "/swapfile", 64 * MiB, active: true);
            var plan = Plan(f, new SwapRequest { SizeBytes = 64 * MiB });
            Assert.Equal("Unchanged", plan.Action);
            Assert.False(plan.HasWork);
            Assert.Empty(plan.Edits);
        }

        [Fact]
        public void Other_size_resizes_with_swapoff_only_when_used_pages_fit_in_free_RAM()
        {
            var f = Facts(memAvail: 1 * GiB, fstab: "/swapfile none swap sw 0 0\n");
            Existing(f, "/swapfile", 64 * MiB, active: true, used: 800 * MiB);
            var plan = Plan(f, new SwapRequest { SizeBytes = 128 * MiB });
            Assert.Equal("Resized", plan.Action);
            Assert.True(plan.SwapOff && plan.Allocate && plan.SwapOn);

            f.Swaps[0].UsedBytes = 1 * GiB - 100 * MiB; // used + 128 MiB headroom > 1 GiB available
            var e = Refused(() => Plan(f, new SwapRequest { SizeBytes = 128 * MiB }));
            Assert.Equal("SwapInUse", e.ErrorId);
            Assert.Contains("pi1", e.Message);
            Assert.Contains("nothing was changed", e.Message);
        }

        [Fact]
        public void Not_enough_disk_is_refused_with_the_margin_named()
        {
            var f = Facts(dirSize: 512 * MiB, dirAvail: 400 * MiB);
            Assert.Equal(256 * MiB, SwapPlanner.DiskMargin(512 * MiB));
            Assert.Equal(1600 * MiB, SwapPlanner.DiskMargin(32000 * MiB));
            Plan(f, new SwapRequest { SizeBytes = 144 * MiB }); // leaves exactly 256 MiB
            var e = Refused(() => Plan(f, new SwapRequest { SizeBytes = 145 * MiB }));
            Assert.Equal("SwapNotEnoughDisk", e.ErrorId);
            Assert.Contains("256 MiB or 5% of the filesystem", e.Message);
            Assert.Contains("Nothing was changed", e.Message);
        }

        [Fact]
        public void Growing_an_existing_file_counts_only_the_growth_against_the_disk()
        {
            var f = Facts(dirSize: 512 * MiB, dirAvail: 300 * MiB, fstab: "/swapfile none swap sw 0 0\n");
            Existing(f, "/swapfile", 100 * MiB, active: true);
            Assert.Equal("Resized", Plan(f, new SwapRequest { SizeBytes = 144 * MiB }).Action); // +44 MiB leaves 256
            Assert.Equal("SwapNotEnoughDisk", Refused(() => Plan(f, new SwapRequest { SizeBytes = 145 * MiB })).ErrorId);
        }

        [Fact]
        public void For_build_jobs_sizes_from_RAM_and_other_disk_swap_and_notes_when_none_is_needed()
        {
            var f = Facts(memTotal: 4 * GiB, dirAvail: 16 * GiB, dirSize: 32 * GiB);
            f.Swaps.Add(new ActiveSwap { Path = "/dev/zram0", Type = "partition", SizeBytes = 2 * GiB, Priority = 5, Busy = "na" });
            var plan = Plan(f, new SwapRequest { ForBuildJobs = 4, MemoryPerJobBytes = 2 * GiB });
            Assert.Equal(4 * GiB + 513 * MiB, plan.SizeBytes); // zram is not counted
            Assert.Equal(4, plan.Jobs);
            Assert.Contains("zram", plan.Note);

            var big = Facts(memTotal: 8 * GiB);
            var none = Plan(big, new SwapRequest { ForBuildJobs = 2, MemoryPerJobBytes = 2 * GiB });
            Assert.Equal("Unchanged", none.Action);
            Assert.Equal(0, none.SizeBytes);
            Assert.Contains("no swap file needed", none.Note);
        }

        [Fact]
        public void Priority_change_on_an_active_file_is_an_update_with_swapoff_and_swapon()
        {
            var f = Facts(fstab: "/swapfile none swap sw 0 0\n");
            Existing(f, "/swapfile", 64 * MiB, active: true, prio: -2);
            var plan = Plan(f, new SwapRequest { SizeBytes = 64 * MiB, Priority = 10 });
            Assert.Equal("Updated", plan.Action);
            Assert.True(plan.SwapOff && plan.SwapOn && !plan.Allocate);
            Assert.EndsWith("/swapfile none swap sw,pri=10 0 0\n", Assert.Single(plan.Edits).NewText);
        }

        [Fact]
        public void Swappiness_is_set_live_and_persisted_in_sysctl_d()
        {
            var f = Facts(fstab: "/swapfile none swap sw 0 0\n");
            Existing(f, "/swapfile", 64 * MiB, active: true);
            var plan = Plan(f, new SwapRequest { SizeBytes = 64 * MiB, Swappiness = 10 });
            Assert.Equal(10, plan.SetSwappiness);
            var e = Assert.Single(plan.Edits);
            Assert.Equal("/etc/sysctl.d/99-edgeops-swappiness.conf", e.Path);
            Assert.Contains("vm.swappiness = 10\n", e.NewText);
        }

        [Fact]
        public void Dphys_device_uses_its_file_raises_the_silent_cap_and_drops_a_duplicate_fstab_line()
        {
            var f = Facts(fstab: "/var/swap none swap sw 0 0\n");
            f.DphysConfig = "CONF_SWAPSIZE=100\nCONF_MAXSWAP=2048\n";
            f.DphysProgram = true;
            f.DphysUnit = "/lib/systemd/system/dphys-swapfile.service";
            f.DphysEnabledLinks.Add("/etc/systemd/system/multi-user.target.wants/dphys-swapfile.service");
            var plan = Plan(f, new SwapRequest { SizeBytes = 3 * GiB });
            Assert.Equal(SwapManagers.Dphys, plan.Manager);
            Assert.Equal("/var/swap", plan.Path);
            var conf = plan.Edits.Single(e => e.Path == "/etc/dphys-swapfile").NewText;
            Assert.Equal("3072", ShellConfigText.Get(conf, "CONF_SWAPSIZE"));
            Assert.Equal("3072", ShellConfigText.Get(conf, "CONF_MAXSWAP"));
            Assert.Equal("/var/swap", ShellConfigText.Get(conf, "CONF_SWAPFILE"));
            Assert.Equal(0, FstabText.CountEntries(plan.Edits.Single(e => e.Path == "/etc/fstab").NewText, "/var/swap"));
            Assert.Empty(plan.Links);
        }

        [Fact]
        public void Dphys_half_of_free_disk_rule_is_cleared_only_when_it_would_cut_the_size()
        {
            var f = Facts(dirSize: 16 * GiB, dirAvail: 3 * GiB);
            f.DphysConfig = "CONF_SWAPSIZE=100\n";
            f.DphysProgram = true;
            var small = Plan(f, new SwapRequest { SizeBytes = 512 * MiB });
            Assert.Null(ShellConfigText.Get(small.Edits[0].NewText, "CONF_MAXDISK_PCT"));
            var big = Plan(f, new SwapRequest { SizeBytes = 2 * GiB });
            Assert.Equal("", ShellConfigText.Get(big.Edits[0].NewText, "CONF_MAXDISK_PCT"));
        }

        [Fact]
        public void A_second_file_beside_the_managers_own_is_refused()
        {
            var f = Facts();
            f.DphysConfig = "CONF_SWAPFILE=/var/swap\n";
            f.DphysProgram = true;
            Existing(f, "/var/swap", 100 * MiB, active: true);
            var e = Refused(() => Plan(f, new SwapRequest { Path = "/swapfile", SizeBytes = 64 * MiB }));
            Assert.Equal("SwapManagerOwnsOtherFile", e.ErrorId);
            Assert.Contains("Remove-SwapFile -Path /var/swap", e.Message);
        }

        [Fact]
        public void Unsafe_targets_are_refused_before_anything_happens()
        {
            var f = Facts();
            f.Files["/swapfile"].Kind = "file"; f.Files["/swapfile"].Size = 10; f.Files["/swapfile"].SwapSignature = false;
            Assert.Equal("SwapPathNotSwap", Refused(() => Plan(f, new SwapRequest { SizeBytes = 64 * MiB })).ErrorId);
            var t = Facts(fs: "tmpfs");
            Assert.Equal("SwapFileSystemUnsupported", Refused(() => Plan(t, new SwapRequest { SizeBytes = 64 * MiB })).ErrorId);
            foreach (var bad in new[] { "swapfile", "/a/../b", "/a//b", "/x\ny", "/proc/swapfile", "/dir/" })
                Assert.Equal("InvalidSwapPath", Refused(() => SwapPlanner.ValidatePath("pi1", bad)).ErrorId);
            SwapPlanner.ValidatePath("pi1", "/swap dir/it's $(reboot) `x`;y");
        }

        [Fact]
        public void Btrfs_file_without_nocow_is_made_again_and_fallocate_is_used_only_where_it_works()
        {
            var f = Facts(fs: "btrfs", fstab: "/swapfile none swap sw 0 0\n");
            Existing(f, "/swapfile", 64 * MiB, active: false);
            var plan = Plan(f, new SwapRequest { SizeBytes = 64 * MiB });
            Assert.True(plan.Btrfs && plan.Recreate && plan.Allocate && plan.SwapOn);
            Assert.False(Plan(Facts(fs: "ext2"), new SwapRequest { SizeBytes = 64 * MiB }).UseFallocate);
            Assert.False(Plan(Facts(fs: "vfat"), new SwapRequest { SizeBytes = 64 * MiB }).UseFallocate);
        }

        [Fact]
        public void Remove_plan_refuses_busy_swap_and_removes_every_persistence()
        {
            var f = Facts(memAvail: 200 * MiB, fstab: "/swapfile none swap sw 0 0\n");
            Existing(f, "/swapfile", 64 * MiB, active: true, used: 100 * MiB);
            Assert.Equal("SwapInUse", Refused(() => SwapPlanner.PlanRemove("pi1", f, null, SwapLayout.Default)).ErrorId);
            f.MemAvailable = 2 * GiB;
            var plan = SwapPlanner.PlanRemove("pi1", f, null, SwapLayout.Default);
            Assert.True(plan.SwapOff && plan.DeleteFile);
            Assert.Equal("", Assert.Single(plan.Edits).NewText);
            Assert.Equal("SwapNotAFile", Refused(() => SwapPlanner.PlanRemove("pi1", f, "/dev/zram0", SwapLayout.Default)).ErrorId);
            Assert.Equal("NotFound", SwapPlanner.PlanRemove("pi1", Facts(), null, SwapLayout.Default).Action);
        }

        // ---------------------------------------------------------------- probe output parsing

        [Fact]
        public void Probe_output_is_parsed_and_foreign_swap_rows_are_not_taken_for_ours()
        {
            var text = string.Join("\n",
                "uid\t0", "mem\tMemTotal\t4294967296", "mem\tMemAvailable\t3000000000", "pagesize\t4096", "cpus\t4", "swappiness\t60", "tool\tfallocate",
                "swap\t/swap\\040dir/f\tfile\t65532\t10\t-2\tyes\t\t67108864",
                "swap\t/swapfile\tfile\t16380\t0\t-3\tabsent\t",
                "swap\t/swap\\040dir/f\tfile\t99996\t0\t-4\tyes\t\t67108864", // same name, another root's file: size does not fit ours
                "swap\t/swap\\040dir/f\tfile\t65532\t7\t-5\tyes\t\t67108864", // fits, but a path is ours only once
                "swap\t/dev/zram0\tpartition\t1048572\t0\t5\tna\tuuid-1",
                "file\t0\tfile\t67108864\t131072\t512\t600\t0\tSWAPSPACE2\t---------------C------\tyes\t1\tbtrfs\t536870912\t300000000",
                "fstab\t" + Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes("/swap\\040dir/f none swap sw 0 0\n")),
                "nvzram\t/etc/systemd/nvzramconfig.sh", "");
            var f = SwapFacts.Parse(text, new[] { "/swap dir/f" });
            Assert.Equal(4L * GiB, f.MemTotal);
            Assert.Equal(5, f.Swaps.Count);
            Assert.Equal(-2, f.ActiveAt("/swap dir/f")!.Priority);
            Assert.Single(f.Swaps, s => s.Mine && s.IsFile);
            Assert.Null(f.ActiveAt("/swapfile")); // another device's file of the same name (shared kernel)
            Assert.Equal(65532L * 1024, f.DiskSwapBytes());
            Assert.Equal(1048572L * 1024, f.ZramSwapBytes);
            var file = f.File("/swap dir/f")!;
            Assert.True(file.SwapSignature && file.NoCow && !file.HasHoles);
            Assert.Equal("btrfs", file.FileSystem);
            Assert.Equal(1, FstabText.CountEntries(f.Fstab, "/swap dir/f"));
            Assert.Single(f.NvZramConfig);
        }
    }
}
