using System.Management.Automation;
using System.Text.RegularExpressions;

namespace EdgeOps.Tests.Infrastructure
{
    /// <summary>
    /// What every error EdgeOps writes must say, checked on every error record any test produces (PowerShellSession.Run
    /// calls it): an EdgeOps exception (no raw .NET exception reaches the user), a message that names the device when a
    /// device is the target, a next step (what to do), and no raw exception text.
    /// </summary>
    public static class ErrorContract
    {
        // PowerShell appends the cmdlet's type to the error ID: this is how an EdgeOps error is recognised.
        const string FromEdgeOps = ",EdgeOps.Commands.";

        static readonly Regex s_nextStep = new(
            @"(^|[.:;,(—-]\s*|\bor\s+|\bthen\s+|\band\s+|\bto\s+)(use|give|run|check|install|set|add|remove|free|pass|try|ask|wait|fix|choose|read|pick|make|connect|" +
            @"restore|re-run|rerun|start|stop|name|enable|edit|delete|copy|publish|upload|create|look|see|raise|lower|mount|unmount|put|leave|" +
            @"replace|rename|reinstall|update|upgrade|open|close|allow|accept|verify|record|report|move|increase|reduce|turn|insert|point|retry|" +
            @"log|enter|grant|provide|supply|specify|select|drop|keep|back up|power|reboot|download|build|write|format|resize|attach|detach|" +
            @"rebuild|pipe|save|load|import|export|clear|lift|shorten|split|reserve|release|confirm|compare|trust|inspect|investigate|plug|" +
            @"contact|query|unlock|sign|regenerate|resubmit|refresh|apply|correct|define|list|shrink|extend|relax|restart|disable|re-?create|re-?publish|re-?try)\b",
            RegexOptions.IgnoreCase | RegexOptions.Compiled);

        static readonly string[] s_raw =
        {
            "Exception", "Could not find", "Object reference", "Value cannot be null", "Parameter name:", "   at ",
            "Sequence contains", "Index was outside", "Input string was not", "was not in a correct format",
        };

        /// <summary>The problems of one record from EdgeOps (empty: none, or not an EdgeOps record).</summary>
        public static List<string> Problems(ErrorRecord r)
        {
            var problems = new List<string>();
            if (r.FullyQualifiedErrorId == null || !r.FullyQualifiedErrorId.Contains(FromEdgeOps, StringComparison.Ordinal)) return problems;
            // PowerShell's own parameter binding and validation: not EdgeOps' text.
            if (r.Exception is ParameterBindingException || r.Exception is ValidationMetadataException || r.Exception is PSArgumentException)
                return problems;
            var message = r.ErrorDetails?.Message ?? r.Exception.Message;
            // by name: the module's types live in its own load context, not the test's
            if (!IsA(r.Exception.GetType(), "EdgeOps.EdgeOpsException"))
                problems.Add($"a raw {r.Exception.GetType().Name} reached the user (turn it into an EdgeOpsException with a next step)");
            foreach (var raw in s_raw)
                if (message.Contains(raw, StringComparison.Ordinal)) problems.Add($"raw exception text '{raw}'");
            var target = r.TargetObject is PSObject po ? po.BaseObject : r.TargetObject;
            if (target != null && target.GetType().FullName == "EdgeOps.EdgeDevice")
            {
                var name = (string?)target.GetType().GetProperty("ComputerName")!.GetValue(target) ?? "";
                if (!message.Contains(name, StringComparison.Ordinal)) problems.Add($"the target device '{name}' is not named");
            }
            if (!s_nextStep.IsMatch(message)) problems.Add("no next step (what the user should do)");
            return problems;
        }

        static bool IsA(Type? t, string fullName)
        {
            for (; t != null; t = t.BaseType) if (t.FullName == fullName) return true;
            return false;
        }

        public static void Check(ErrorRecord r)
        {
            var p = Problems(r);
            if (p.Count > 0)
                throw new Xunit.Sdk.XunitException(
                    $"Error record {r.FullyQualifiedErrorId} breaks the error contract ({string.Join("; ", p)}):\n{r.ErrorDetails?.Message ?? r.Exception.Message}");
        }
    }
}
