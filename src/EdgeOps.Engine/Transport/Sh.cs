using System;
using System.Collections.Generic;
using System.Text;

namespace EdgeOps.Transport
{
    /// <summary>
    /// The one place where shell command lines for a device are built. Every argument is
    /// quoted with POSIX single quotes, so no name or path can run anything.
    /// Templates are constant text written in code; {0}, {1}... are replaced by quoted arguments.
    /// </summary>
    public static class Sh
    {
        /// <summary>Quotes one argument: 'it'"'"'s' style, always quoted.</summary>
        public static string Quote(string arg)
        {
            if (arg == null) throw new ArgumentNullException(nameof(arg));
            if (arg.IndexOf('\0') >= 0) throw new ArgumentException("A shell argument cannot contain a NUL character.", nameof(arg));
            return "'" + arg.Replace("'", "'\"'\"'") + "'";
        }

        /// <summary>A command from a program name and arguments, every word quoted.</summary>
        public static ShellCommand Cmd(string program, params string[] args)
        {
            var sb = new StringBuilder(Quote(program));
            foreach (var a in args) sb.Append(' ').Append(Quote(a));
            return new ShellCommand(sb.ToString());
        }

        /// <summary>
        /// A script from a constant template; each {n} becomes the quoted n-th argument.
        /// "{{" and "}}" are literal braces. Only code constants may be templates.
        /// </summary>
        public static ShellCommand Script(string template, params object[] args)
        {
            var sb = new StringBuilder(template.Length + 32);
            for (int i = 0; i < template.Length; i++)
            {
                char c = template[i];
                if (c == '{')
                {
                    if (i + 1 < template.Length && template[i + 1] == '{') { sb.Append('{'); i++; continue; }
                    int close = template.IndexOf('}', i);
                    if (close < 0) throw new FormatException("Unclosed placeholder in shell template.");
                    int n = int.Parse(template.Substring(i + 1, close - i - 1), System.Globalization.CultureInfo.InvariantCulture);
                    sb.Append(Quote(Convert.ToString(args[n], System.Globalization.CultureInfo.InvariantCulture)));
                    i = close;
                }
                else if (c == '}')
                {
                    if (i + 1 < template.Length && template[i + 1] == '}') i++;
                    sb.Append('}');
                }
                else sb.Append(c);
            }
            return new ShellCommand(sb.ToString());
        }
    }

    /// <summary>A command line made by <see cref="Sh"/>; cannot be built from a raw string elsewhere.</summary>
    public sealed class ShellCommand
    {
        internal ShellCommand(string text) { Text = text; }
        public string Text { get; }

        /// <summary>A command the user typed themselves (Invoke-EdgeCommand): passed as is, on purpose.</summary>
        public static ShellCommand UserSupplied(string text) => new ShellCommand(text);

        /// <summary>This command wrapped to run as `sh -c '...'` (quoted as one argument).</summary>
        public ShellCommand AsShArgument() => new ShellCommand("sh -c " + Sh.Quote(Text));

        public override string ToString() => Text;
    }
}
