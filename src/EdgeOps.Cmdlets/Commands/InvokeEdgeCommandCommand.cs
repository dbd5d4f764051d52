using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using EdgeOps.Fleet;

namespace EdgeOps.Commands
{
    [Cmdlet(VerbsLifecycle.Invoke, "EdgeCommand", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
    [OutputType(typeof(CommandOutput))]
    public sealed class InvokeEdgeCommandCommand : EdgeDeviceCmdlet
    {
        [Parameter(Mandatory = true)]
        [ValidateNotNullOrEmpty]
        public string Command { get; set; }

        [Parameter]
        public SwitchParameter Sudo { get; set; }

        [Parameter]
        public SwitchParameter PassThru { get; set; }

        protected override IEnumerable<object> ProcessDevice(IDeviceContext context)
        {
            if (!context.ShouldProcess(Command, Sudo ? "Run as root" : "Run")) yield break;
            var r = context.Transport.Run(EdgeOps.Transport.ShellCommand.UserSupplied(Command),
                Sudo ? EdgeOps.Transport.CommandOptions.Root : EdgeOps.Transport.CommandOptions.Default, context.Cancellation);
            var result = new CommandOutput
            {
                ComputerName = context.Device.ComputerName, ExitCode = r.ExitCode,
                Stdout = r.Stdout, Stderr = r.Stderr, Seconds = Math.Round(r.Elapsed.TotalSeconds, 3),
            };
            context.Verbose($"exit code {r.ExitCode} after {result.Seconds} s");
            if (r.ExitCode != 0 && !PassThru)
                throw new EdgeOpsException("EdgeCommandFailed", "InvalidResult",
                    $"{context.Device.ComputerName}: the command exited with code {r.ExitCode}" +
                    (string.IsNullOrWhiteSpace(r.Stderr) ? "" : $"; it said: \"{r.Stderr.Trim()}\"") +
                    ". Fix the command, or add -PassThru to get its result (ExitCode, Stdout, Stderr) without an error.");
            yield return result;
        }
    }
}
