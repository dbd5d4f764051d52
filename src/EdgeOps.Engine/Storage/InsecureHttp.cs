using System;

namespace EdgeOps.Storage
{
    /// <summary>
    /// Plain http:// to another machine is refused where what comes back is code that gets installed (wheel sources and
    /// catalogs) or where a token or password goes (Keystone, Blazar), unless the user allows it (-AllowInsecureHttp).
    /// Loopback (localhost, 127.0.0.0/8, ::1) never leaves the machine and is allowed.
    /// </summary>
    public static class InsecureHttp
    {
        public static bool IsPlainToAnotherMachine(string url)
        {
            if (string.IsNullOrWhiteSpace(url) || !url.Trim().StartsWith("http://", StringComparison.OrdinalIgnoreCase)) return false;
            return !Uri.TryCreate(url.Trim(), UriKind.Absolute, out var u) || !u.IsLoopback;
        }

        /// <summary>Throws InsecureHttpRefused naming the parameter, unless allowed or not plain http to another machine.</summary>
        public static void Check(string url, bool allowed, string parameter, string what)
        {
            if (allowed || !IsPlainToAnotherMachine(url)) return;
            throw new EdgeOpsException("InsecureHttpRefused", "SecurityError",
                $"{parameter} '{HttpStore.Redact(url)}' uses plain http://: anyone on the network path could change {what}. " +
                "Use an https:// URL, or add -AllowInsecureHttp if you trust every network in between.");
        }
    }
}
