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
        const string Reader = @"use strict;
my ($dev, $mode, $level, $threads) = @ARGV;
open(my $in, '<', $dev) or die ""cannot open $dev: $!\n"";
binmode $in; binmode STDOUT;
my (@chunks, $cur);
while (my $l = <STDIN>) {
  chomp $l;
  last if $l eq 'e';
  if ($l eq 'c') { $cur = []; push @chunks, $cur; next; }
  my (undef, $o, $n) = split / /, $l;
  push @$cur, [$o, $n];
}
my $zero = ""\0"" x 1048576;
sub put { my ($fh, $d) = @_; my $len = length $d; my $off = 0;
  while ($off < $len) { my $w = syswrite($fh, $d, $len - $off, $off); die ""write failed: $!\n"" unless defined $w; $off += $w; } }
for my $c (@chunks) {
  my $out = \*STDOUT; my $z;
  if ($mode eq 'zstd') {
    open($z, '|-', 'zstd', '-q', '-c', ""-$level"", ""-T$threads"") or die ""cannot start zstd: $!\n"";
    binmode $z; $out = $z;
  }
  my $pos = $c->[0][0];
  for my $r (@$c) {
    my ($o, $n) = @$r;
    my $gap = $o - $pos;
    while ($gap > 0) { my $k = $gap > 1048576 ? 1048576 : $gap; put($out, substr($zero, 0, $k)); $gap -= $k; }
    sysseek($in, $o, 0) or die ""cannot seek to $o: $!\n"";
    my $left = $n;
    while ($left > 0) {
      my $k = $left > 1048576 ? 1048576 : $left; my $buf;
      my $got = sysread($in, $buf, $k);
      die ""read error at byte "" . ($o + $n - $left) . "": $!\n"" unless defined $got;
      die ""the disk ended at byte "" . ($o + $n - $left) . ""\n"" if $got == 0;
      put($out, $buf); $left -= $got;
    }
    $pos = $o + $n;
  }
  if ($z) { close($z) or die ""zstd failed\n""; }
}
";

        /// <summary>
        /// Writes ranges to a disk from stdin: lines "W OFFSET LENGTH" followed by LENGTH bytes, "Z OFFSET LENGTH"
        /// (write zeros), "E" (end: flush to the card, print "ok"). A stream that ends before "E" fails.
        /// </summary>
        const string Writer = @"use strict; use IO::Handle;
my ($dev) = @ARGV;
open(my $out, '+<', $dev) or die ""cannot open $dev for writing: $!\n"";
binmode $out; binmode STDIN;
my $zero = ""\0"" x 1048576; my $ended = 0;
sub put { my ($d) = @_; my $len = length $d; my $off = 0;
  while ($off < $len) { my $w = syswrite($out, $d, $len - $off, $off); die ""write failed: $!\n"" unless defined $w; $off += $w; } }
while (defined(my $l = <STDIN>)) {
  chomp $l;
  my ($op, $o, $n) = split / /, $l;
  if ($op eq 'E') { $ended = 1; last; }
  sysseek($out, $o, 0) or die ""cannot seek to $o: $!\n"";
  while ($n > 0) {
    my $k = $n > 1048576 ? 1048576 : $n; my $buf;
    if ($op eq 'W') { my $got = read(STDIN, $buf, $k); die ""the image stream ended early\n"" unless $got; $k = $got; }
    elsif ($op eq 'Z') { $buf = substr($zero, 0, $k); }
    else { die ""bad plan line\n""; }
    put($buf); $n -= $k;
  }
}
die ""the image stream ended early\n"" unless $ended;
$out->sync or die ""cannot flush $dev: $!\n"";
close($out) or die ""cannot close $dev: $!\n"";
print ""ok\n"";
";

        /// <summary>
        /// Facts about the card: the disk holding "/" (found from the mount table, not assumed), or the given path;
        /// its size; whether it or its partitions are mounted; the tools present. One key=value per line.
        /// </summary>
        const string Probe = @"dev={0}
rootsrc=$(findmnt -n -o SOURCE / 2>/dev/null | head -n1)
rootdisk=
if [ -n ""$rootsrc"" ] && [ ! -b ""$rootsrc"" ]; then
  # /dev/root and the like: the root's device numbers name it in sysfs
  mm=$(findmnt -n -o MAJ:MIN / 2>/dev/null | head -n1 | tr -d ' ')
  sp=$(readlink -f ""/sys/dev/block/$mm"" 2>/dev/null || true)
  if [ -n ""$mm"" ] && [ -n ""$sp"" ] && [ -e ""$sp/dev"" ]; then rootsrc=/dev/$(basename ""$sp""); fi
fi
if [ -n ""$rootsrc"" ] && [ -b ""$rootsrc"" ]; then
  pk=$(lsblk -ndo PKNAME ""$rootsrc"" 2>/dev/null | head -n1)
  if [ -n ""$pk"" ]; then rootdisk=/dev/$pk; else rootdisk=$(readlink -f ""$rootsrc""); fi
  # A partition exposed as a loop device at an offset (kernels without partition tables support):
  # the card is the loop device over the same file at offset 0.
  b=$(basename ""$rootdisk"")
  off=$(cat ""/sys/block/$b/loop/offset"" 2>/dev/null || echo 0)
  bf=$(cat ""/sys/block/$b/loop/backing_file"" 2>/dev/null || true)
  if [ -n ""$bf"" ] && [ ""$off"" != 0 ]; then
    for l in /sys/block/loop*; do
      if [ ""$(cat ""$l/loop/backing_file"" 2>/dev/null)"" = ""$bf"" ] && [ ""$(cat ""$l/loop/offset"" 2>/dev/null)"" = 0 ] && [ ""$(cat ""$l/loop/sizelimit"" 2>/dev/null)"" = 0 ]; then
        rootdisk=/dev/$(basename ""$l""); break
      fi
    done
  fi
fi
echo ""rootsrc=$rootsrc""
echo ""rootdisk=$rootdisk""
[ -n ""$dev"" ] || dev=$rootdisk
echo ""dev=$dev""
if [ -z ""$dev"" ]; then echo 'error=nodisk'; exit 0; fi
if [ -b ""$dev"" ]; then echo 'kind=block'; echo ""size=$(blockdev --getsize64 ""$dev"")"";
  real=$(readlink -f ""$dev""); echo ""real=$real""
  for n in $(lsblk -nrpo NAME ""$dev"" 2>/dev/null); do
    m=$(findmnt -n -o TARGET --source ""$n"" 2>/dev/null | head -n1)
    [ -n ""$m"" ] && echo ""mounted=$n $m""
    grep -q ""^$n "" /proc/swaps 2>/dev/null && echo ""mounted=$n [swap]""
  done
elif [ -f ""$dev"" ]; then echo 'kind=file'; echo ""size=$(stat -c %s ""$dev"")""; echo ""real=$(readlink -f ""$dev"")"";
else echo 'error=missing'; fi
command -v zstd >/dev/null 2>&1 && echo ""zstd=$(zstd -V 2>/dev/null | head -n1)""
command -v perl >/dev/null 2>&1 && echo 'perl=1'
echo ""cpus=$(nproc 2>/dev/null || echo 1)""
model=; [ -r /sys/firmware/devicetree/base/model ] && model=$(tr -d '\000' 2>/dev/null < /sys/firmware/devicetree/base/model)
echo ""model=$model""
echo ""arch=$(uname -m)""
echo ""kernel=$(uname -r)""
echo ""os=$(. /etc/os-release 2>/dev/null; echo ""$PRETTY_NAME"")""
";

        public static ShellCommand ReaderCommand(string device, bool zstd, int level, int threads) =>
            Sh.Script("exec perl -e {0} {1} {2} {3} {4}", Reader, device, zstd ? "zstd" : "raw",
                level.ToString(CultureInfo.InvariantCulture), threads.ToString(CultureInfo.InvariantCulture));

        public static ShellCommand WriterCommand(string device) => Sh.Script("exec perl -e {0} {1}", Writer, device);

        public static ShellCommand ProbeCommand(string devicePath) => Sh.Script(Probe, devicePath ?? "");

        public static ShellCommand Sync() => Sh.Cmd("sync");

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
