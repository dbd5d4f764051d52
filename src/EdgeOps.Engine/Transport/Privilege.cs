using System;
using System.Net;
using System.Text;

namespace EdgeOps.Transport
{
    /// <summary>
    /// Builds the line a transport actually runs: a preamble that reports the process group (so a
    /// cancelled command can be killed on the device, children included), and sudo where asked.
    /// The sudo password never appears on a command line: it is the first line of stdin for `sudo -S`.
    /// </summary>
    static class Privilege
    {
        public const string PidMarker = "edgeops-pgid:";

        /// <param name="sudoWithoutPassword">The transport found that `sudo -n` works for this login: the password,
        /// even when given, is then not sent (sudo -S would leave it unread on the command's stdin).</param>
        /// <param name="inputHasBytes">The caller sends the command input that surely holds bytes: with it, or with a sudo
        /// password, the command reads its input to the end before it ends (<see cref="WaitForInputEnd"/>).</param>
        public static string Build(ShellCommand command, CommandOptions options, EdgeDevice device, bool isRoot,
                                   NetworkCredential sudoCredential, out byte[] stdinPrefix, bool sudoWithoutPassword = false,
                                   bool inputHasBytes = false)
        {
            stdinPrefix = null;
            string inner;
            if (!options.Sudo || isRoot)
                inner = command.AsShArgument().Text;
            else if (sudoWithoutPassword)
                inner = "sudo -n -- " + command.AsShArgument().Text;
            else if (sudoCredential != null && sudoCredential.Password.Length > 0)
            {
                inner = "sudo -S -p '' -- " + command.AsShArgument().Text;
                stdinPrefix = Encoding.UTF8.GetBytes(sudoCredential.Password + "\n");
            }
            else if (string.Equals(device.SudoMode, "none", StringComparison.OrdinalIgnoreCase))
                throw new EdgeOpsException("SudoNotAllowed", "PermissionDenied",
                    $"{device.ComputerName}: this step needs root, but the inventory says 'sudo: none' for user '{device.UserName}'. Connect as root or allow sudo.");
            else if (string.Equals(device.SudoMode, "password", StringComparison.OrdinalIgnoreCase))
                throw new EdgeOpsException("SudoPasswordRequired", "PermissionDenied",
                    $"{device.ComputerName}: sudo needs a password for '{device.UserName}': give -SudoCredential.");
            else
                inner = "sudo -n -- " + command.AsShArgument().Text;
            var marker = "echo \"" + PidMarker + "$$\" >&2; ";
            if (inputHasBytes || stdinPrefix != null) return marker + WaitForInputEnd(inner);
            return marker + "exec " + inner;
        }

        /// <summary>
        /// The command line for a command the controller sends input to (a sudo password, a plan): when it succeeds, its
        /// shell reads what it left unread up to the input's end before ending, with its exit code. So the controller's
        /// SSH EOF always reaches sshd while the command's channel is open: sent after the channel is gone (the input
        /// thread late, on a starved controller), OpenSSH drops the whole connection and every command on it
        /// ("ieof packet referred to nonexistent channel"). A failing command ends at once, as before.
        /// </summary>
        public static string WaitForInputEnd(string inner) =>
            inner + "; edgeops_rc=$?; [ $edgeops_rc -ne 0 ] || cat >/dev/null; exit $edgeops_rc";

        /// <summary>The cancel command: kills the process group of a cancelled command (with sudo when it ran with sudo).</summary>
        public static string KillGroup(int pgid, bool sudo, bool isRoot, NetworkCredential sudoCredential, out byte[] stdinPrefix)
        {
            stdinPrefix = null;
            // `env kill`: the external kill (procps). With sudo this runs under `sh -c`, and dash's builtin kill
            // rejects both `--` and a negative (process group) operand, so the group would survive.
            var kill = Sh.Script("env kill -TERM -- {0} 2>/dev/null; sleep 0.3; env kill -KILL -- {0} 2>/dev/null; true", "-" + pgid).Text;
            if (!sudo || isRoot) return kill;
            if (sudoCredential != null && sudoCredential.Password.Length > 0)
            {
                stdinPrefix = Encoding.UTF8.GetBytes(sudoCredential.Password + "\n");
                return "sudo -S -p '' -- sh -c " + Sh.Quote(kill);
            }
            return "sudo -n -- sh -c " + Sh.Quote(kill);
        }

        /// <summary>
        /// Whether to leave the sudo password out: with a -SudoCredential, the transport asks once (probe: runs
        /// `sudo -n true` as the login user, true when it succeeds) and then sends no password where none is needed.
        /// </summary>
        public static bool SudoWithoutPassword(ref bool? cache, CommandOptions options, bool isRoot, NetworkCredential sudoCredential, Func<bool> probe)
        {
            if (!options.Sudo || isRoot || sudoCredential == null || string.IsNullOrEmpty(sudoCredential.Password)) return false;
            if (cache == null) cache = probe();
            return cache.Value;
        }

        /// <summary>Splits off the preamble line; returns the process group id, or 0.</summary>
        public static int TakePid(ref string stderr)
        {
            if (stderr == null || !stderr.StartsWith(PidMarker, StringComparison.Ordinal)) return 0;
            int nl = stderr.IndexOf('\n');
            var num = nl < 0 ? stderr.Substring(PidMarker.Length) : stderr.Substring(PidMarker.Length, nl - PidMarker.Length);
            stderr = nl < 0 ? "" : stderr.Substring(nl + 1);
            return int.TryParse(num.Trim(), out var p) ? p : 0;
        }

        /// <summary>Turns sudo's own failures into errors that say what to do.</summary>
        public static void ThrowOnSudoFailure(EdgeDevice device, CommandOptions options, int exitCode, string stderr)
        {
            if (!options.Sudo || exitCode == 0 || stderr == null) return;
            if (stderr.IndexOf("sudo: a password is required", StringComparison.Ordinal) >= 0
                || stderr.IndexOf("sudo: a terminal is required", StringComparison.Ordinal) >= 0)
                throw new EdgeOpsException("SudoPasswordRequired", "PermissionDenied",
                    $"{device.ComputerName}: sudo needs a password for '{device.UserName}': give -SudoCredential, or allow NOPASSWD sudo.");
            if (stderr.IndexOf("incorrect password", StringComparison.Ordinal) >= 0 || stderr.IndexOf("Sorry, try again", StringComparison.Ordinal) >= 0)
                throw new EdgeOpsException("SudoPasswordIncorrect", "PermissionDenied",
                    $"{device.ComputerName}: sudo rejected the password given with -SudoCredential for '{device.UserName}': give that user's own password in -SudoCredential.");
            if (stderr.IndexOf("is not in the sudoers file", StringComparison.Ordinal) >= 0 || stderr.IndexOf("not allowed to execute", StringComparison.Ordinal) >= 0)
                throw new EdgeOpsException("SudoNotAllowed", "PermissionDenied",
                    $"{device.ComputerName}: '{device.UserName}' may not use sudo on this device: add the user to the sudo group there, or log in as a user who may.");
        }
    }
}
