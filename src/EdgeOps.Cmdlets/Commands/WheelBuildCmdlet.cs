using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Threading;
using EdgeOps.Fleet;

namespace EdgeOps.Commands
{
    /// <summary>
    /// Build ids as the fleet base's work items: a WheelBuild record carries its Id and ComputerName (both bound by
    /// property name), so each record's ids are captured with that record's own device (-Id on the command line goes
    /// with every device). Equal ids for one device are one work item.
    /// </summary>
    static class BuildIds
    {
        /// <summary>The work item for a record's ids: null when it has none.</summary>
        public static object Capture(IEnumerable<string> ids)
        {
            var list = (ids ?? Enumerable.Empty<string>()).Where(i => !string.IsNullOrEmpty(i)).Distinct(StringComparer.Ordinal).ToList();
            return list.Count == 0 ? null : string.Join("\n", list);
        }

        /// <summary>The ids of a work item (empty: none were given).</summary>
        public static List<string> Of(object item) =>
            (item as string ?? "").Split(new[] { '\n' }, StringSplitOptions.RemoveEmptyEntries).ToList();
    }

    /// <summary>The base of Start-, Get-, Wait- and Stop-WheelBuild: the build folder's root and the ids from the pipeline.</summary>
    public abstract class WheelBuildCmdlet : EdgeDeviceCmdlet
    {
        /// <summary>Where builds live on the build host; default ~/.local/state/edgeops/builds.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string BuildRoot { get; set; }

        /// <summary>The -Id value of the current pipeline record (null when the cmdlet has none or it was not given).</summary>
        protected abstract string[] RecordIds { get; }

        protected override object CaptureItem() => BuildIds.Capture(RecordIds);

        /// <summary>The build ids of the work item being processed (empty when its record gave none).</summary>
        internal static List<string> IdsOf(IDeviceContext context) => BuildIds.Of(ItemOf(context));

        static int s_activity = 1000;
        internal static int NextActivityId() => Interlocked.Increment(ref s_activity);
    }
}
