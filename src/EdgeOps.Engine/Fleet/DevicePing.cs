using System;
using System.Diagnostics;
using System.Threading;
using EdgeOps.Transport;

namespace EdgeOps.Fleet
{
    public static class DevicePing
    {
        /// <summary>Connects, authenticates, times a round trip and tries sudo. Connection failures throw (device error).</summary>
        public static DeviceStatus Test(IDeviceContext ctx)
        {
            var d = ctx.Device;
            var status = new DeviceStatus { ComputerName = d.ComputerName, HostName = d.IsLocal ? "(local)" : d.HostName };
            var t = ctx.Transport; // connects: throws on unreachable / auth / host key
            status.Reachable = true;
            status.Authenticated = true;
            if (t is SshTransport ssh)
            {
                status.HostKeyFingerprint = ssh.HostKeyFingerprint;
                status.KeyExchange = ssh.KeyExchangeAlgorithm;
                status.Cipher = ssh.Cipher;
                status.HostKey = ssh.HostKeyStatusAtConnect == HostKeyStatus.Unknown ? "Accepted" : ssh.HostKeyStatusAtConnect.ToString();
            }
            else status.HostKey = "Local";
            // Round trip: the best of three `id -un` (which also tells who we are): one process per round trip.
            double best = double.MaxValue;
            for (int i = 0; i < 3; i++)
            {
                var sw = Stopwatch.StartNew();
                var r = t.Run(Sh.Script("id -un"), CommandOptions.Default, ctx.Cancellation);
                sw.Stop();
                if (r.ExitCode == 0) { best = Math.Min(best, sw.Elapsed.TotalMilliseconds); status.User = r.Stdout.Trim(); }
            }
            status.RoundTripMs = Math.Round(best, 2);
            if (status.User == "root") status.Sudo = "Root";
            else if (string.Equals(d.SudoMode, "none", StringComparison.OrdinalIgnoreCase)) status.Sudo = "NotTested";
            else
            {
                try
                {
                    var r = t.Run(Sh.Script("id -u"), CommandOptions.Root, ctx.Cancellation);
                    status.Sudo = r.ExitCode == 0 && r.Stdout.Trim() == "0" ? "Ok" : "Failed";
                    if (status.Sudo == "Failed") status.Message = r.Stderr.Trim();
                }
                catch (EdgeOpsException e) when (e.Category == "PermissionDenied")
                {
                    status.Sudo = "Failed";
                    status.Message = e.Message;
                }
            }
            return status;
        }
    }
}
