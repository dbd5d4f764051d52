using System;

namespace EdgeOps
{
    /// <summary>
    /// One native wheel build on a build host (Start-/Get-/Wait-/Receive-/Stop-WheelBuild). Flat and primitive:
    /// Id and ComputerName are all another cmdlet needs to find the build again (bound by property name).
    /// </summary>
    public sealed class WheelBuild
    {
        public string Id { get; set; }
        public string ComputerName { get; set; }
        public string Project { get; set; }
        /// <summary>The version of the wheel once built (from its file name), else "".</summary>
        public string Version { get; set; } = "";
        public string Recipe { get; set; }
        /// <summary>Running, Succeeded, Failed, Interrupted (its processes are gone without an end), Stopped.</summary>
        public string State { get; set; }
        public int Jobs { get; set; }
        /// <summary>0-100 from the last Ninja [n/m] or make [ nn%] line of the current run; -1 when the build prints none.</summary>
        public int Percent { get; set; } = -1;
        public string CurrentStep { get; set; } = "";
        /// <summary>Steps done and total of the last Ninja line ([n/m]) of the current run; 0 when unknown.</summary>
        public int StepsDone { get; set; }
        public int StepsTotal { get; set; }
        /// <summary>Compile steps (C, C++, CUDA objects) the current run has run: a resumed run compiles only what was left.</summary>
        public int Compiled { get; set; }
        /// <summary>How many times the build was started in its folder (1, then +1 per -Resume).</summary>
        public int Runs { get; set; }
        public DateTime StartedUtc { get; set; }
        /// <summary>Seconds left at the current run's pace (steps or percent so far); -1 when unknown.</summary>
        public int EtaSeconds { get; set; } = -1;
        public TimeSpan Elapsed { get; set; }
        /// <summary>Largest memory the build's processes held together (sampled every half second).</summary>
        public long PeakMemoryBytes { get; set; }
        /// <summary>Largest single process of the build (one compile job).</summary>
        public long PeakJobMemoryBytes { get; set; }
        public long SwapUsedBytes { get; set; }
        /// <summary>The memory cgroup's limit the build runs under; 0 when none.</summary>
        public long MemoryLimitBytes { get; set; }
        /// <summary>The build command's exit code; null while it runs.</summary>
        public int? ExitCode { get; set; }
        public string LogPath { get; set; }
        /// <summary>The build folder on the build host.</summary>
        public string Directory { get; set; }
        /// <summary>Wheel file names, comma-separated.</summary>
        public string Wheels { get; set; } = "";
        /// <summary>Why a build failed, in words: the step, the kernel's out-of-memory message, a plan that fits.</summary>
        public string Diagnosis { get; set; } = "";
        /// <summary>After an out-of-memory failure: the jobs that fit (0 otherwise).</summary>
        public int SuggestedJobs { get; set; }
        /// <summary>After an out-of-memory failure without a memory cgroup: swap to add for the original jobs (0 otherwise).</summary>
        public long SuggestedSwapBytes { get; set; }
        public bool Ccache { get; set; }
        /// <summary>How the build was detached: systemd (a transient unit) or setsid (own session and process group).</summary>
        public string Launcher { get; set; } = "";

        /// <summary>Processes of the build still on the build host (0 when it ended or was stopped).</summary>
        public int Processes { get; set; }

        // ---- read from the build folder, for the engine's own use (not shown) ----
        internal long RunStartedUnix { get; set; }
        internal int OomKills { get; set; }
        internal string KilledLine { get; set; }
        internal string Uptime0 { get; set; }
        internal long MemStartBytes { get; set; }
        internal string Cgroup { get; set; }
        internal string LogTail { get; set; }
        internal System.Collections.Generic.List<Builds.BuiltWheel> WheelFiles { get; } = new System.Collections.Generic.List<Builds.BuiltWheel>();

        public bool IsFinished => State == "Succeeded" || State == "Failed" || State == "Stopped" || State == "Interrupted";

        public override string ToString() => $"{ComputerName}/{Id} {State}";
    }
}
