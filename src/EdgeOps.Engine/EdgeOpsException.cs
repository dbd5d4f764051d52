using System;

namespace EdgeOps
{
    /// <summary>
    /// A failure that belongs to one device. ErrorId is stable (scripts match on it);
    /// Category names a PowerShell ErrorCategory by its name (the engine does not reference PowerShell).
    /// </summary>
    public class EdgeOpsException : Exception
    {
        public EdgeOpsException(string errorId, string category, string message, Exception inner = null)
            : base(message, inner) { ErrorId = errorId; Category = category; }
        public string ErrorId { get; }
        public string Category { get; }
        public string Device { get; set; }
    }
}
