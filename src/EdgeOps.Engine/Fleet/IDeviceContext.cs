using System;
using System.Threading;
using EdgeOps.Transport;

namespace EdgeOps.Fleet
{
    /// <summary>
    /// What a domain service gets for one device: the device, its transport (connected on first use),
    /// cancellation (Ctrl+C), and thread-safe ways to talk to the user. The cmdlet layer implements it
    /// and delivers everything on the pipeline thread; tests implement it directly.
    /// </summary>
    public interface IDeviceContext
    {
        EdgeDevice Device { get; }
        IDeviceTransport Transport { get; }
        CancellationToken Cancellation { get; }
        void Verbose(string message);
        void Warning(string message);
        /// <summary>Progress of a byte or step count; the host adds rate and ETA.</summary>
        void Progress(string activity, string status, long done, long total);
        void ProgressDone(string activity);
        /// <summary>ShouldProcess on the pipeline thread (-WhatIf, -Confirm). False means: describe, don't change.</summary>
        bool ShouldProcess(string target, string action);
        /// <summary>True when -WhatIf was given (a plan is wanted, nothing changes).</summary>
        bool WhatIf { get; }
        bool Force { get; }
    }

}
