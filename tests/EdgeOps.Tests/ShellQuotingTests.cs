using System.Diagnostics;
using EdgeOps.Transport;
using Xunit;

namespace EdgeOps.Tests
{
    /// <summary>The one quoting function, proven against a real /bin/sh: hostile strings come back verbatim and run nothing.</summary>
    public class ShellQuotingTests : IDisposable
    {
        readonly string _dir = Directory.CreateTempSubdirectory("edgeops-quote-").FullName;
        public void Dispose() => Directory.Delete(_dir, true);

        public static IEnumerable<object[]> Hostile() => new[]
        {
            "plain", "with space", "it's", "\"double\"", "a;touch CANARY", "$(touch CANARY)", "`touch CANARY`",
            "x\ntouch CANARY", "a && touch CANARY", "a | touch CANARY", "*", "~", "$HOME", "${IFS}", "-n", "--", "'", "''", "\\", "back\\slash'quote",
            "tab\there", "ünïcödé ✓", "a'$(touch CANARY)'b", "#comment", "!bang", "%s%n", "",
        }.Select(s => new object[] { s });

        static string RunSh(string command)
        {
            var psi = new ProcessStartInfo("/bin/sh") { RedirectStandardOutput = true, RedirectStandardError = true };
            psi.ArgumentList.Add("-c"); psi.ArgumentList.Add(command);
            using var p = Process.Start(psi)!;
            var o = p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            return o;
        }

        [Theory]
        [MemberData(nameof(Hostile))]
        public void Quoted_argument_round_trips_and_runs_nothing(string value)
        {
            var cmd = Sh.Script("cd {0} && printf '%s' {1}", _dir, value);
            Assert.Equal(value, RunSh(cmd.Text));
            // the same through a second level of sh -c (as sudo and the transports wrap it)
            Assert.Equal(value, RunSh(cmd.AsShArgument().Text));
            Assert.False(File.Exists(Path.Combine(_dir, "CANARY")), "a hostile string ran a command");
        }

        [Fact]
        public void Cmd_quotes_program_and_every_argument()
        {
            var c = Sh.Cmd("printf", "%s|", "a b", "c'd", "$(x)");
            Assert.Equal("'printf' '%s|' 'a b' 'c'\"'\"'d' '$(x)'", c.Text);
            Assert.Equal("a b|c'd|$(x)|", RunSh(c.Text));
        }

        [Fact]
        public void Nul_is_rejected_with_a_clear_error()
        {
            var e = Assert.Throws<ArgumentException>(() => Sh.Quote("a\0b"));
            Assert.Contains("NUL", e.Message);
        }

        [Fact]
        public void Template_braces_and_placeholders()
        {
            Assert.Equal("echo {x} 'y'", Sh.Script("echo {{x}} {0}", "y").Text);
            Assert.Throws<FormatException>(() => Sh.Script("echo {0", "y"));
        }
    }
}
