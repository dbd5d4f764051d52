namespace EdgeOps
{
    /// <summary>
    /// New-SwapFile's result: one object per device, flat primitives (Export-Csv gives clean columns).
    /// Action is Created, Resized, Updated (same size; activation, priority, persistence or swappiness fixed)
    /// or Unchanged. Nothing is written under -WhatIf (the plan is in the WhatIf message).
    /// </summary>
    public sealed class SwapFileResult
    {
        public string ComputerName { get; set; }
        public string Path { get; set; }
        public long SizeBytes { get; set; }
        /// <summary>fstab, dphys-swapfile or rpi-swap.</summary>
        public string Manager { get; set; }
        public int Priority { get; set; }
        public int Swappiness { get; set; }
        public string Action { get; set; }
        /// <summary>Where the swap file is made permanent (a file on the device).</summary>
        public string PersistedIn { get; set; }
        public long MemTotalBytes { get; set; }
        public long MemAvailableBytes { get; set; }
        /// <summary>File and partition swap on the device after the change (zram not counted).</summary>
        public long DiskSwapBytes { get; set; }
        /// <summary>zram swap left in place (nvzramconfig on a Jetson, rpi-swap's zram).</summary>
        public long ZramBytes { get; set; }
        /// <summary>Memory kept for the system when sizing for build jobs: max(512 MiB, RAM/8).</summary>
        public long SystemReserveBytes { get; set; }
        public int BuildJobs { get; set; }
        public long MemoryPerJobBytes { get; set; }
        /// <summary>Free space left on the swap file's filesystem (after the change).</summary>
        public long FreeDiskBytes { get; set; }
        /// <summary>The free space that must stay: max(256 MiB, 5% of the filesystem).</summary>
        public long DiskMarginBytes { get; set; }
        public string FileSystem { get; set; }
        public string Note { get; set; }
    }

    /// <summary>Get-SwapFile: one active or configured swap area (file, partition, zram) of a device.</summary>
    public sealed class SwapArea
    {
        public string ComputerName { get; set; }
        public string Path { get; set; }
        /// <summary>file, partition or zram.</summary>
        public string Type { get; set; }
        public bool Active { get; set; }
        public long SizeBytes { get; set; }
        public long UsedBytes { get; set; }
        public int Priority { get; set; }
        /// <summary>fstab, dphys-swapfile, rpi-swap, nvzramconfig or none.</summary>
        public string Manager { get; set; }
        /// <summary>The file that makes it permanent, empty when nothing does (gone at reboot).</summary>
        public string PersistedIn { get; set; }
    }

    /// <summary>Remove-SwapFile's result. Action: Removed or NotFound; nothing under -WhatIf.</summary>
    public sealed class SwapFileRemoval
    {
        public string ComputerName { get; set; }
        public string Path { get; set; }
        public string Manager { get; set; }
        public string Action { get; set; }
        public bool WasActive { get; set; }
        public long UsedBytes { get; set; }
        public long FreedBytes { get; set; }
        public long MemAvailableBytes { get; set; }
        public string Note { get; set; }
    }

    /// <summary>Get-EdgeBuildPlan: how many parallel compile jobs a device can take, and the swap N jobs need.</summary>
    public sealed class EdgeBuildPlan
    {
        public string ComputerName { get; set; }
        public string Profile { get; set; }
        public long MemoryPerJobBytes { get; set; }
        public string MemoryPerJobSource { get; set; }
        public int CpuCount { get; set; }
        public long MemTotalBytes { get; set; }
        public long MemAvailableBytes { get; set; }
        /// <summary>File and partition swap active now (zram is not counted: it lives in RAM).</summary>
        public long DiskSwapBytes { get; set; }
        public long ZramBytes { get; set; }
        public long SystemReserveBytes { get; set; }
        /// <summary>How many jobs fit in RAM plus today's swap, before the CPU cap.</summary>
        public int MemoryJobs { get; set; }
        /// <summary>The safe MAX_JOBS: memory jobs capped at the CPU count, at least 1.</summary>
        public int MaxJobs { get; set; }
        /// <summary>The job count the swap figures below are for (-Jobs, default the CPU count).</summary>
        public int Jobs { get; set; }
        /// <summary>The total file swap <see cref="Jobs"/> jobs need (what New-SwapFile -ForBuildJobs creates).</summary>
        public long SwapForJobsBytes { get; set; }
        /// <summary>Swap to add to today's for <see cref="Jobs"/> jobs (0 when enough).</summary>
        public long AdditionalSwapBytes { get; set; }
    }
}
