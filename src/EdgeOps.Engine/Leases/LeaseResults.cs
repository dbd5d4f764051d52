using System;

namespace EdgeOps
{
    /// <summary>
    /// One free reservation window (Get-LeaseWindow). Times are UTC, and the same instants in TimeZone.
    /// For -AllOf windows, Device and DeviceUid list every device of the group, comma-separated.
    /// </summary>
    public sealed class LeaseWindow
    {
        /// <summary>The device (or comma-separated devices) the window is free on; same as Device.</summary>
        public string ComputerName { get; set; }
        public string Device { get; set; }
        public string DeviceUid { get; set; }
        public string MachineName { get; set; }
        public int DeviceCount { get; set; }
        public DateTimeOffset StartUtc { get; set; }
        public DateTimeOffset EndUtc { get; set; }
        public DateTimeOffset StartLocal { get; set; }
        public DateTimeOffset EndLocal { get; set; }
        /// <summary>The zone of StartLocal/EndLocal, as given to -TimeZone (or the local zone's id).</summary>
        public string TimeZone { get; set; }
        /// <summary>EndUtc - StartUtc in TimeSpan's invariant format ("01:55:00"); [TimeSpan] converts it back.</summary>
        public string Duration { get; set; }
        public double DurationMinutes { get; set; }
        /// <summary>Where the calendar came from (Blazar endpoint, .ics path or URL, CSV path, "pipeline").</summary>
        public string Calendar { get; set; }
    }

    /// <summary>A Blazar lease created (or found, by name) by New-EdgeLease.</summary>
    public sealed class EdgeLease
    {
        public string ComputerName { get; set; }
        public string Name { get; set; }
        public string Id { get; set; }
        public string Status { get; set; }
        public DateTimeOffset StartUtc { get; set; }
        public DateTimeOffset EndUtc { get; set; }
        public string Device { get; set; }
        public string DeviceUid { get; set; }
        public string ResourceProperties { get; set; }
        public string ProjectId { get; set; }
        /// <summary>True when this call created the lease; false when a lease of the same name already existed.</summary>
        public bool Created { get; set; }
        public string Endpoint { get; set; }
    }
}
