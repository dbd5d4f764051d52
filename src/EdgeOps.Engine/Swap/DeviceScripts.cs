using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Text;
using EdgeOps.Fleet;
using EdgeOps.Transport;

namespace EdgeOps.Swap
{
    /// <summary>
    /// The shell side of the swap cmdlets: scripts from files (Scripts/swap-*.sh), every value passed as a quoted positional argument.
    /// </summary>
    static class DeviceScripts
    {
        // The scripts are files in src/EdgeOps.Engine/Scripts/ (linted by DeviceScriptTests), each taking its values as
        // positional arguments; what each does and takes is said at its top.
        static string ProbeScript => EmbeddedScripts.Text("swap-probe.sh");
        static string ApplyScript => EmbeddedScripts.Text("swap-apply.sh");
        static string StageScript => EmbeddedScripts.Text("swap-stage.sh");
        static string CommitScript => EmbeddedScripts.Text("swap-commit.sh");
        static string LinkScript => EmbeddedScripts.Text("swap-link.sh");

        const string SwappinessScript = "echo {0} > /proc/sys/vm/swappiness";

        // ------------------------------------------------------------------ runners

        static CommandOptions RootOrUser(IDeviceContext ctx) =>
            string.Equals(ctx.Device.SudoMode, "none", StringComparison.OrdinalIgnoreCase) ? CommandOptions.Default : CommandOptions.Root;

        static ShellCommand Script(string script, IEnumerable<string> args) =>
            Sh.Cmd("/bin/sh", new[] { "-c", script, "edgeops-swap" }.Concat(args).ToArray());

        public static SwapFacts Probe(IDeviceContext ctx, SwapLayout layout, IReadOnlyList<string> paths)
        {
            var args = new[] { layout.Fstab, layout.DphysConfig, layout.RpiEtc, layout.SysctlFile, layout.SystemdEtc }.Concat(paths);
            var r = ctx.Transport.Run(Script(ProbeScript, args), RootOrUser(ctx), ctx.Cancellation);
            r.EnsureSuccess(ctx.Device.ComputerName, "reading swap facts");
            return SwapFacts.Parse(r.Stdout, paths);
        }

        public static List<string> Apply(IDeviceContext ctx, SwapPlan p)
        {
            string B(bool b) => b ? "1" : "0";
            var args = new[]
            {
                p.Path, p.SizeBytes.ToString(System.Globalization.CultureInfo.InvariantCulture), B(p.SwapOff), B(p.Recreate), B(p.Allocate),
                B(p.SwapOn), B(p.Btrfs), B(p.UseFallocate), p.Priority?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "",
            };
            var r = ctx.Transport.Run(Script(ApplyScript, args), CommandOptions.Root, ctx.Cancellation);
            if (r.ExitCode == 4)
                throw new EdgeOpsException("SwapPathUnsafe", "SecurityError",
                    $"{ctx.Device.ComputerName}: -Path '{p.Path}' is refused: {r.Stderr.Trim()} Nothing was changed.") { Device = ctx.Device.ComputerName };
            r.EnsureSuccess(ctx.Device.ComputerName, "making the swap file " + p.Path);
            return r.Stdout.Split('\n').Where(l => l.StartsWith("step ", StringComparison.Ordinal)).Select(l => l.Substring(5)).ToList();
        }

        public static void SwapOff(IDeviceContext ctx, string path) =>
            ctx.Transport.Run(Sh.Cmd("swapoff", "--", path), CommandOptions.Root, ctx.Cancellation)
               .EnsureSuccess(ctx.Device.ComputerName, "swapoff " + path);

        public static void DeleteFile(IDeviceContext ctx, string path) =>
            ctx.Transport.Run(Sh.Cmd("rm", "-f", "--", path), CommandOptions.Root, ctx.Cancellation)
               .EnsureSuccess(ctx.Device.ComputerName, "deleting " + path);

        public static void SetSwappiness(IDeviceContext ctx, int value) =>
            ctx.Transport.Run(Sh.Script(SwappinessScript, value), CommandOptions.Root, ctx.Cancellation)
               .EnsureSuccess(ctx.Device.ComputerName, "setting vm.swappiness");

        public static void Link(IDeviceContext ctx, LinkEdit l) =>
            ctx.Transport.Run(Script(LinkScript, new[] { l.Link, l.Target ?? "" }), CommandOptions.Root, ctx.Cancellation)
               .EnsureSuccess(ctx.Device.ComputerName, (l.Target == null ? "removing " : "making ") + l.Link);

        /// <summary>Test hook: called between the steps of a change ("staged:/etc/fstab", "committed:/etc/fstab", "applied").</summary>
        internal static Action<string, string> StepHook;

        internal static void Step(IDeviceContext ctx, string step) => StepHook?.Invoke(ctx.Device.ComputerName, step);

        /// <summary>Replaces (or deletes) a configuration file atomically: stage + fsync + backup, then rename.</summary>
        public static void Edit(IDeviceContext ctx, FileEdit e)
        {
            string oldSha = e.OldText == null ? "absent" : Sha(e.OldText);
            string dev = ctx.Device.ComputerName;
            if (e.NewText != null)
            {
                var bytes = Encoding.UTF8.GetBytes(e.NewText);
                using (var stdin = new MemoryStream(bytes))
                {
                    var r = ctx.Transport.RunStreaming(Script(StageScript, new[] { e.Path, oldSha, Sha(e.NewText), e.Backup }), stdin, null, CommandOptions.Root, ctx.Cancellation);
                    ThrowEdit(r, dev, e, "writing the new");
                }
                Step(ctx, "staged:" + e.Path);
            }
            var c = ctx.Transport.Run(Script(CommitScript, new[] { e.Path, oldSha, e.NewText == null ? "delete" : Sha(e.NewText), e.Backup }), CommandOptions.Root, ctx.Cancellation);
            ThrowEdit(c, dev, e, "renaming the new");
            Step(ctx, "committed:" + e.Path);
        }

        static void ThrowEdit(CommandResult r, string dev, FileEdit e, string what)
        {
            if (r.ExitCode == 3)
                throw new EdgeOpsException("SwapConfigChanged", "ResourceUnavailable",
                    $"{dev}: {e.Path} was changed by someone else while EdgeOps worked; it was left as it is now. Run the command again.");
            r.EnsureSuccess(dev, what + " " + e.Path);
        }

        public static string Sha(string text)
        {
            using (var sha = SHA256.Create())
                return Hex.Lower(sha.ComputeHash(Encoding.UTF8.GetBytes(text)));
        }
    }
}
