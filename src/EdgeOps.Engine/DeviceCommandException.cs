namespace EdgeOps
{
    /// <summary>
    /// A command on a device that exited non-zero: what EdgeOps was doing, the exit code, and what the device said,
    /// quoted (never glued into the sentence), with a next step.
    /// </summary>
    public sealed class DeviceCommandException : EdgeOpsException
    {
        public DeviceCommandException(string device, string what, int exitCode, string stderr)
            : base("DeviceCommandFailed", "InvalidResult",
                   $"{device}: {what} failed with exit code {exitCode}" +
                   (string.IsNullOrWhiteSpace(stderr) ? " and printed no error. " : $"; the device said: \"{Trim(stderr)}\". ") +
                   "Check the device (free space, missing tools, permissions) and run the command again with -Verbose to see each step.")
        { Device = device; ExitCode = exitCode; Stderr = stderr; }
        public int ExitCode { get; }
        public string Stderr { get; }
        static string Trim(string s)
        {
            s = (s ?? "").Trim().Replace("\r", "").Replace("\n", " | ");
            return s.Length > 800 ? s.Substring(0, 800) + "..." : s;
        }
    }
}
