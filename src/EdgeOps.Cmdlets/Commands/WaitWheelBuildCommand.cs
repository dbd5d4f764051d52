using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Management.Automation;
using EdgeOps.Builds;
using EdgeOps.Fleet;

namespace EdgeOps.Commands
{
    /// <summary>
    /// Wait-WheelBuild: waits for builds to end, with progress (percent from Ninja's [n/m] or make's [ nn%], the step,
    /// elapsed time, ETA); a dropped connection is opened again while the build goes on. Returns the ended builds.
    /// </summary>
    [Cmdlet(VerbsLifecycle.Wait, "WheelBuild")]
    [OutputType(typeof(WheelBuild))]
    public sealed class WaitWheelBuildCommand : WheelBuildCmdlet
    {
        [Parameter(ValueFromPipelineByPropertyName = true)]
        [ValidateNotNullOrEmpty]
        public string[] Id { get; set; }

        /// <summary>Seconds to wait at most (default: until the build ends).</summary>
        [Parameter]
        [ValidateRange(1, int.MaxValue)]
        public int Timeout { get; set; }

        protected override string[] RecordIds => Id;

        protected override IEnumerable<object> ProcessDevice(IDeviceContext context)
        {
            var ids = IdsOf(context);
            var service = new WheelBuildService(context, BuildRoot);
            if (ids.Count == 0)
            {
                ids = service.Get(null).Where(b => b.State == "Running").Select(b => b.Id).ToList();
                if (ids.Count == 0) context.Verbose("No build is running there.");
            }
            var timeout = MyInvocation.BoundParameters.ContainsKey(nameof(Timeout)) ? TimeSpan.FromSeconds(Timeout) : (TimeSpan?)null;
            foreach (var id in ids)
            {
                int activity = NextActivityId();
                var title = $"{context.Device.ComputerName}: build {id}";
                WheelBuild done;
                try
                {
                    done = service.Wait(id, timeout, TimeSpan.FromSeconds(1), b => Post(() => WriteProgress(Record(activity, title, b))));
                }
                finally
                {
                    Post(() => WriteProgress(new ProgressRecord(activity, title, "Done") { RecordType = ProgressRecordType.Completed }));
                }
                yield return done;
                if (done.State == "Failed" || done.State == "Interrupted" || done.State == "Stopped")
                {
                    var oom = done.SuggestedJobs > 0;
                    var e = new EdgeOpsException(oom ? "WheelBuildOutOfMemory" : "WheelBuild" + done.State, oom ? "LimitsExceeded" : "InvalidResult",
                        $"{context.Device.ComputerName}: build {id} {done.State.ToLowerInvariant()}" + (string.IsNullOrEmpty(done.Diagnosis) ? "." : ": " + done.Diagnosis));
                    var record = ErrorRecords.ForDevice(e, context.Device);
                    Post(() => WriteError(record));
                }
            }
        }

        static ProgressRecord Record(int activity, string title, WheelBuild b)
        {
            var status = new List<string> { b.State };
            if (b.StepsTotal > 0) status.Add($"[{b.StepsDone}/{b.StepsTotal}]");
            if (b.Percent >= 0) status.Add(b.Percent.ToString(CultureInfo.InvariantCulture) + "%");
            status.Add("elapsed " + Clock(b.Elapsed));
            if (b.EtaSeconds >= 0) status.Add("ETA " + Clock(TimeSpan.FromSeconds(b.EtaSeconds)));
            var r = new ProgressRecord(activity, title, string.Join(", ", status))
            {
                CurrentOperation = string.IsNullOrEmpty(b.CurrentStep) ? null : b.CurrentStep,
                PercentComplete = b.Percent >= 0 ? Math.Min(100, b.Percent) : -1,
                SecondsRemaining = b.EtaSeconds,
            };
            return r;
        }

        static string Clock(TimeSpan t) => ((int)t.TotalHours).ToString(CultureInfo.InvariantCulture) + t.ToString(@"\:mm\:ss", CultureInfo.InvariantCulture);
    }
}
