using System.Collections.Generic;
using System.Globalization;
using System.Text;
using EdgeOps.Transport;

namespace EdgeOps.Backup
{
    /// <summary>
    /// The small helpers that run on the device. Perl (perl-base is part of every Debian, Raspberry Pi OS
    /// and Ubuntu/L4T system) reads only the requested ranges in one process, so a card with ten thousand
    /// used ranges costs no ten thousand dd processes. Plans travel on standard input, never on a command line.
    /// </summary>
    static class DeviceScripts
    {
        /// <summary>
        /// Reads chunks of ranges from a disk. Plan on stdin: "c" starts a chunk, "r OFFSET LENGTH" adds a range,
        /// "e" ends. The gaps inside a chunk are written as zeros (never read). Mode "raw" writes bytes as they are;
        /// mode "zstd" pipes each chunk through its own `zstd` process, so each chunk is one Zstandard frame.
        /// </summary>
        static string Reader => EmbeddedScripts.Text("backup-reader.pl");

        /// <summary>
        /// Writes ranges to a disk from stdin: lines "W OFFSET LENGTH" followed by LENGTH bytes, "Z OFFSET LENGTH"
        /// (write zeros), "E" (end: flush to the card, print "ok"). A stream that ends before "E" fails.
        /// </summary>
        static string Writer => EmbeddedScripts.Text("backup-writer.pl");

        /// <summary>
        /// Facts about the card: the disk holding "/" (found from the mount table, not assumed), or the given path;
        /// its size; whether it or its partitions are mounted; the tools present. One key=value per line.
        /// </summary>
        static string Probe => EmbeddedScripts.Text("backup-probe.sh");

        /// <param name="hashRanges">the device writes each range's sha256 to stderr (<see cref="RangeHashes"/>); it needs Digest::SHA.</param>
        public static ShellCommand ReaderCommand(string device, bool zstd, int level, int threads, bool hashRanges = false) =>
            Sh.Script("exec perl -e {0} {1} {2} {3} {4} {5}", Reader, device, zstd ? "zstd" : "raw",
                level.ToString(CultureInfo.InvariantCulture), threads.ToString(CultureInfo.InvariantCulture), hashRanges ? "sha256" : "none");

        const string HashLine = "sha256 ";

        /// <summary>The reader's stderr split into the ranges' sha256 lines ("sha256 OFFSET LENGTH HEX") and everything else.</summary>
        public static (List<(ByteRange range, string sha256)> hashes, string rest) RangeHashes(string stderr)
        {
            var hashes = new List<(ByteRange, string)>();
            var rest = new StringBuilder();
            foreach (var line in (stderr ?? "").Split('\n'))
            {
                var f = line.Split(' ');
                if (line.StartsWith(HashLine, System.StringComparison.Ordinal) && f.Length == 4 && f[3].Length == 64
                    && long.TryParse(f[1], NumberStyles.None, CultureInfo.InvariantCulture, out var o)
                    && long.TryParse(f[2], NumberStyles.None, CultureInfo.InvariantCulture, out var n))
                    hashes.Add((new ByteRange(o, n), f[3].ToLowerInvariant()));
                else if (line.Length > 0) rest.Append(line).Append('\n');
            }
            return (hashes, rest.ToString());
        }

        public static ShellCommand WriterCommand(string device) => Sh.Script("exec perl -e {0} {1}", Writer, device);

        /// <param name="flush">sync first, and drop the card's cached blocks after looking (a block device only).</param>
        public static ShellCommand ProbeCommand(string devicePath, bool flush = false) =>
            Sh.Script("sh -c {0} probe {1} {2}", Probe, devicePath ?? "", flush ? "flush" : "");

        /// <summary>
        /// Stops or starts a service: systemctl where systemd runs, else the `service` wrapper (sysvinit, OpenRC),
        /// else the init script itself.
        /// </summary>
        public static ShellCommand Service(string verb, string name) => Sh.Script(
            "if [ -d /run/systemd/system ]; then exec systemctl {0} -- {1}; " +
            "elif command -v service >/dev/null 2>&1; then exec service {1} {0}; " +
            "elif [ -x /etc/init.d/{1} ]; then exec /etc/init.d/{1} {0}; " +
            "else echo 'no service manager (systemctl, service, /etc/init.d) found' >&2; exit 1; fi", verb, name);

        /// <summary>After writing a card: flush, drop its cached blocks (so a read-back reads the card) and re-read its partitions.</summary>
        public static ShellCommand FlushAndRescan(string device) =>
            Sh.Script("sync; blockdev --flushbufs {0} 2>/dev/null; partx -u {0} 2>/dev/null || blockdev --rereadpt {0} 2>/dev/null; true", device);

        public static ShellCommand FlushBuffers(string device) =>
            Sh.Script("sync; blockdev --flushbufs {0} 2>/dev/null; true", device);

        /// <summary>The plan text: one chunk per list, ranges in order.</summary>
        public static byte[] Plan(IEnumerable<IReadOnlyList<ByteRange>> chunks)
        {
            var sb = new StringBuilder();
            var ci = CultureInfo.InvariantCulture;
            foreach (var c in chunks)
            {
                sb.Append("c\n");
                foreach (var r in c) sb.Append("r ").Append(r.Start.ToString(ci)).Append(' ').Append(r.Length.ToString(ci)).Append('\n');
            }
            sb.Append("e\n");
            return Encoding.ASCII.GetBytes(sb.ToString());
        }

        public static Dictionary<string, List<string>> ParseKeyValues(string text)
        {
            var map = new Dictionary<string, List<string>>();
            foreach (var line in text.Split('\n'))
            {
                int eq = line.IndexOf('=');
                if (eq <= 0) continue;
                var k = line.Substring(0, eq);
                if (!map.TryGetValue(k, out var l)) map[k] = l = new List<string>();
                l.Add(line.Substring(eq + 1).Trim());
            }
            return map;
        }
    }
}
