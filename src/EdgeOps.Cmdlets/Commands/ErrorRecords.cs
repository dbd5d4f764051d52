using System;
using System.Management.Automation;

namespace EdgeOps.Commands
{
    /// <summary>
    /// The one way an engine exception becomes an ErrorRecord: the error ID as the engine gave it (PowerShell
    /// appends the cmdlet's type to make the FullyQualifiedErrorId), the category parsed from its name, the
    /// device named once at the front of the message and set as the target.
    /// </summary>
    static class ErrorRecords
    {
        public static ErrorCategory Category(string name) =>
            Enum.TryParse(name, out ErrorCategory c) ? c : ErrorCategory.NotSpecified;

        /// <summary>A failure on one device: non-terminating, the rest of the fleet goes on.</summary>
        public static ErrorRecord ForDevice(Exception ex, EdgeDevice device)
        {
            var name = device?.ComputerName;
            var e = ex as EdgeOpsException ?? Translate(ex, name);
            if (e.Device == null) e.Device = name;
            var record = new ErrorRecord(e, e.ErrorId, Category(e.Category), device);
            record.ErrorDetails = new ErrorDetails(WithDevice(e.Message, name));
            return record;
        }

        /// <summary>A failure that belongs to a parameter or a stored object rather than a device.</summary>
        public static ErrorRecord For(EdgeOpsException e, object target)
        {
            var record = new ErrorRecord(e, e.ErrorId, Category(e.Category), target);
            record.ErrorDetails = new ErrorDetails(WithDevice(e.Message, e.Device));
            return record;
        }

        /// <summary>An error the cmdlet layer finds itself (a parameter, a file on the controller).</summary>
        public static ErrorRecord New(string id, string category, string message, object target, Exception inner = null) =>
            For(new EdgeOpsException(id, category, message, inner), target);

        /// <summary>Pipeline input (or -ComputerName) that names no device.</summary>
        public static ErrorRecord NoDeviceNamed(bool piped) => For(new EdgeOpsException("NoDeviceNamed", "InvalidArgument", piped
            ? "A pipeline object has neither ComputerName nor HostName, so it names no device. Pipe devices from Get-EdgeDevice " +
              "(or objects with a ComputerName property), or give -ComputerName."
            : "-ComputerName is empty. Give one or more device names, or leave -ComputerName out to work on this machine."), null);

        static string WithDevice(string message, string device)
        {
            if (string.IsNullOrEmpty(device) || message.StartsWith(device + ":", StringComparison.Ordinal)) return message;
            return message.IndexOf(device, StringComparison.Ordinal) >= 0 ? message : $"{device}: {message}";
        }

        /// <summary>
        /// An exception the engine did not turn into an EdgeOpsException. Timeouts and permission errors get a
        /// next step; anything else is a bug in EdgeOps, said as such.
        /// </summary>
        static EdgeOpsException Translate(Exception ex, string device)
        {
            var who = string.IsNullOrEmpty(device) ? "" : device + ": ";
            if (ex is TimeoutException)
                return new EdgeOpsException("EdgeOpsTimeout", "OperationTimeout",
                    $"{who}the operation timed out ({ex.Message.TrimEnd('.')}). Check that the device responds, or raise -CommandTimeout / -ConnectTimeout.", ex);
            if (ex is UnauthorizedAccessException)
                return new EdgeOpsException("EdgeOpsAccessDenied", "PermissionDenied",
                    $"{who}access was denied on the controller ({ex.Message.TrimEnd('.')}). Run as a user who may do this, or choose another path.", ex);
            return new EdgeOpsException("EdgeOpsUnexpected", "NotSpecified",
                $"{who}an unexpected {ex.GetType().Name} stopped the work on this device: {ex.Message.TrimEnd('.')}. " +
                "Nothing after that step ran. Report this as a bug in EdgeOps with the output of -Verbose.", ex);
        }
    }
}
