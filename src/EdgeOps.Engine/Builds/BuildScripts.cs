using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using EdgeOps.Transport;

namespace EdgeOps.Builds
{
    /// <summary>
    /// The build host's side: shell scripts kept as files in the repository (Builds/Scripts/*.sh, shellcheck-clean),
    /// embedded in the engine and sent as `sh -c script name args...`, every value a quoted positional argument.
    /// </summary>
    static class BuildScripts
    {
        static readonly Lazy<string> s_start = new Lazy<string>(() => Load("start.sh"));
        static readonly Lazy<string> s_runner = new Lazy<string>(() => Load("runner.sh"));
        static readonly Lazy<string> s_status = new Lazy<string>(() => Load("status.sh"));
        static readonly Lazy<string> s_stop = new Lazy<string>(() => Load("stop.sh"));

        public static string StartScript => s_start.Value;
        /// <summary>The detached runner: written into each build folder by start.sh.</summary>
        public static string Runner => s_runner.Value;
        public static string StatusScript => s_status.Value;
        public static string StopScript => s_stop.Value;

        internal static string Load(string name)
        {
            var asm = typeof(BuildScripts).Assembly;
            using (var s = asm.GetManifestResourceStream("EdgeOps.Builds.Scripts." + name)
                ?? throw new InvalidOperationException("EdgeOps.Engine lacks its embedded script " + name))
            using (var r = new StreamReader(s))
                return r.ReadToEnd().Replace("\r\n", "\n");
        }

        public static ShellCommand Command(string script, string name, IEnumerable<string> args) =>
            Sh.Cmd("/bin/sh", new[] { "-c", script, name }.Concat(args).ToArray());
    }
}
