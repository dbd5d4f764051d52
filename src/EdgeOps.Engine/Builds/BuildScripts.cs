using System;
using System.Collections.Generic;
using System.Linq;
using EdgeOps.Transport;

namespace EdgeOps.Builds
{
    /// <summary>
    /// The build host's side: shell scripts kept as files with the other device scripts (Scripts/build-*.sh, linted by
    /// DeviceScriptTests), embedded in the engine and sent as `sh -c script name args...`, every value a quoted
    /// positional argument.
    /// </summary>
    static class BuildScripts
    {
        public static string StartScript => EmbeddedScripts.Text("build-start.sh");
        /// <summary>The detached runner: written into each build folder by build-start.sh.</summary>
        public static string Runner => EmbeddedScripts.Text("build-runner.sh");
        public static string StatusScript => EmbeddedScripts.Text("build-status.sh");
        public static string StopScript => EmbeddedScripts.Text("build-stop.sh");

        public static ShellCommand Command(string script, string name, IEnumerable<string> args) =>
            Sh.Cmd("/bin/sh", new[] { "-c", script, name }.Concat(args).ToArray());
    }
}
