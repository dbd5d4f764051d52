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
    /// The shell side of the swap cmdlets: constant scripts, every value passed as a quoted positional argument.
    /// </summary>
    static class DeviceScripts
    {
        const string Env = "export LC_ALL=C; PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin; ";

        /// <summary>
        /// One round trip: memory, /proc/swaps (with whether each file is really this device's), facts about the
        /// asked paths (kind, size, allocation, mode, swap signature, no-COW flag, busy, filesystem, free space),
        /// fstab, the swap managers present and their configuration. Args: fstab dphys-conf rpi-etc sysctl-file
        /// systemd-etc, then the paths.
        /// </summary>
        const string ProbeScript = Env + @"
fstab=$1 dconf=$2 rpietc=$3 sysctlf=$4 sysd=$5
shift 5
b64() { base64 < ""$1"" | tr -d '\n'; }
busy() {
  [ -f ""$1"" ] || { echo absent; return; }
  s=$(stat -c %s -- ""$1"" 2>/dev/null) || { echo unknown; return; }
  e=$(truncate -c -s ""$s"" -- ""$1"" 2>&1) && { echo no; return; }
  case ""$e"" in *[Bb]usy*) echo yes ;; *) echo unknown ;; esac
}
echo ""uid	$(id -u)""
awk '/^(MemTotal|MemAvailable):/ { sub("":"", """", $1); printf ""mem\t%s\t%.0f\n"", $1, $2 * 1024 }' /proc/meminfo
ps=$(getconf PAGESIZE 2>/dev/null || echo 4096)
echo ""pagesize	$ps""
echo ""cpus	$(nproc 2>/dev/null || getconf _NPROCESSORS_ONLN)""
echo ""swappiness	$(cat /proc/sys/vm/swappiness 2>/dev/null)""
for t in fallocate mkswap swapon swapoff chattr btrfs base64 sha256sum blkid; do command -v ""$t"" >/dev/null 2>&1 && printf 'tool\t%s\n' ""$t""; done
tail -n +2 /proc/swaps 2>/dev/null | while read -r name type size used prio rest; do
  b=na; u= ls=
  if [ ""$type"" = file ]; then p=$(printf '%b' ""$name""); b=$(busy ""$p""); ls=$(stat -c %s -- ""$p"" 2>/dev/null)
  else u=$(blkid -o value -s UUID -- ""$name"" 2>/dev/null); fi
  printf 'swap\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' ""$name"" ""$type"" ""$size"" ""$used"" ""$prio"" ""$b"" ""$u"" ""$ls""
done
i=0
for p in ""$@""; do
  d=$(dirname -- ""$p"")
  kind=absent st='0	0	512		-1' sig= attr= b=
  if [ -L ""$p"" ]; then kind=link
  elif [ -f ""$p"" ]; then kind=file
  elif [ -d ""$p"" ]; then kind=dir
  elif [ -e ""$p"" ]; then kind=other; fi
  if [ $kind = file ]; then
    st=$(stat -c '%s	%b	%B	%a	%u' -- ""$p"")
    sig=$(dd if=""$p"" bs=1 skip=$((ps - 10)) count=10 2>/dev/null | tr -dc 'A-Z0-9')
    attr=$(lsattr -d -- ""$p"" 2>/dev/null | awk '{ print $1 }')
    b=$(busy ""$p"")
  fi
  de=0 fs= df='0	0'
  if [ -d ""$d"" ]; then
    de=1
    fs=$(findmnt -n -o FSTYPE -T ""$d"" 2>/dev/null | head -n 1)
    [ -n ""$fs"" ] || fs=$(stat -f -c %T -- ""$d"")
    df=$(df -P -B1 -- ""$d"" | awk 'NR == 2 { print $2 ""\t"" $4 }')
  fi
  printf 'file\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' ""$i"" ""$kind"" ""$st"" ""$sig"" ""$attr"" ""$b"" ""$de"" ""$fs"" ""$df""
  i=$((i + 1))
done
[ -f ""$fstab"" ] && printf 'fstab\t%s\n' ""$(b64 ""$fstab"")""
[ -f ""$dconf"" ] && printf 'dphysconf\t%s\n' ""$(b64 ""$dconf"")""
{ command -v dphys-swapfile || [ -x /sbin/dphys-swapfile ] || [ -x /usr/sbin/dphys-swapfile ]; } >/dev/null 2>&1 && echo dphysbin
for u in ""$sysd/dphys-swapfile.service"" /lib/systemd/system/dphys-swapfile.service /usr/lib/systemd/system/dphys-swapfile.service /etc/init.d/dphys-swapfile; do
  [ -e ""$u"" ] && { printf 'dphysunit\t%s\n' ""$u""; break; }
done
for l in ""$sysd""/*.wants/dphys-swapfile.service; do { [ -L ""$l"" ] || [ -e ""$l"" ]; } && printf 'dphyslink\t%s\n' ""$l""; done
for g in /usr/lib/systemd/system-generators/rpi-swap-generator /lib/systemd/system-generators/rpi-swap-generator; do [ -e ""$g"" ] && { echo rpigen; break; }; done
for m in ""$rpietc/swap.conf"" /run/rpi/swap.conf /usr/local/lib/rpi/swap.conf /usr/lib/rpi/swap.conf; do
  [ -f ""$m"" ] && { printf 'rpimain\t%s\t%s\n' ""${m%/*}"" ""$(b64 ""$m"")""; break; }
done
for dir in /usr/lib/rpi/swap.conf.d /usr/local/lib/rpi/swap.conf.d /run/rpi/swap.conf.d ""$rpietc/swap.conf.d""; do
  for c in ""$dir""/*.conf; do [ -f ""$c"" ] && printf 'rpidrop\t%s\t%s\t%s\n' ""$dir"" ""${c##*/}"" ""$(b64 ""$c"")""; done
done
for n in ""${sysd%/system}/nvzramconfig.sh"" ""$sysd/nvzramconfig.service"" /lib/systemd/system/nvzramconfig.service /usr/lib/systemd/system/nvzramconfig.service; do
  [ -e ""$n"" ] && printf 'nvzram\t%s\n' ""$n""
done
[ -f ""$sysctlf"" ] && printf 'sysctl\t%s\n' ""$(b64 ""$sysctlf"")""
exit 0
";

        /// <summary>
        /// Makes the swap file: swapoff (resize), remove (btrfs file that must be re-made), create (umask 077),
        /// root:root 600, on btrfs no copy-on-write and no compression before any data, size by fallocate or dd,
        /// mkswap, swapon; when swapon rejects a fallocated file (holes, unwritten extents) it writes it out and
        /// tries again. Args: path size off recreate alloc on btrfs fallocate priority.
        /// </summary>
        const string ApplyScript = Env + @"
f=$1 size=$2 off=$3 recreate=$4 alloc=$5 on=$6 btrfs=$7 falloc=$8 prio=$9
mib=$((size / 1048576)) how=
die() { echo ""$*"" >&2; exit 1; }
# Checked here, as root, right before use (not only in the probe): the swap file is not a link, every folder above it
# is root's and writable by root alone (else its owner could swap the file for a link or keep a handle on it), and an
# existing file is root's own with one name (a user's file is never chowned into swap: its owner may hold it open).
refuse() { echo ""$*"" >&2; exit 4; }
[ -L ""$f"" ] && refuse ""$f is a symbolic link: a swap file must be a regular file (the link is not followed).""
d=$(dirname -- ""$f"")
[ -d ""$d"" ] || die ""the folder $d does not exist""
d=$(cd -P -- ""$d"" && pwd) || die ""cannot enter $d""
f=""${d%/}/${f##*/}""
p=$d
while :; do
  o=$(stat -c '%u %a' -- ""$p"") || die ""cannot stat $p""
  u=${o%% *} m=${o#* }
  [ ""$u"" = 0 ] || refuse ""the folder $p belongs to uid $u, not root: its owner could replace $f. Choose a path whose every folder is root's (/swapfile, /var/swap).""
  [ $((0$m & 18)) -eq 0 ] || refuse ""the folder $p (mode $m) is writable by group or others: they could replace $f. Choose a path whose every folder only root can write (/swapfile, /var/swap).""
  [ ""$p"" = / ] && break
  p=$(dirname -- ""$p"")
done
[ -L ""$f"" ] && refuse ""$f is a symbolic link: a swap file must be a regular file (the link is not followed).""
if [ -e ""$f"" ]; then
  o=$(stat -c '%u %h' -- ""$f"") || die ""cannot stat $f""
  [ ""${o%% *}"" = 0 ] || refuse ""$f belongs to uid ${o%% *}: an existing user's file is never made into swap (its owner could keep it open and read swapped memory). Remove it or choose another path.""
  [ ""${o#* }"" = 1 ] || refuse ""$f has ${o#* } hard links: another name could keep reading it. Remove it or choose another path.""
fi
# mkswap through a descriptor: its own guard looks for the path in /proc/swaps, where another root's file of
# the same name may be listed (one kernel, many roots); this file is known not to be active (the kernel would
# also refuse the writes: ETXTBSY).
mk() { mkswap /dev/fd/3 3<>""$f"" >/dev/null; }
if [ ""$off"" = 1 ]; then swapoff -- ""$f"" || die ""swapoff $f failed""; echo step swapoff; fi
if [ ""$recreate"" = 1 ]; then rm -f -- ""$f"" || die ""could not remove $f to make it again""; fi
if [ ! -e ""$f"" ]; then (umask 077 && : > ""$f"") || die ""could not create $f""; echo step created; fi
chown 0:0 -- ""$f"" && chmod 600 -- ""$f"" || die ""could not make $f owned by root with mode 600""
if [ ""$alloc"" = 1 ]; then
  if [ ""$btrfs"" = 1 ]; then
    if [ ! -s ""$f"" ]; then chattr +C -- ""$f"" || die ""chattr +C (no copy-on-write) failed on $f""; fi
    btrfs property set -- ""$f"" compression none >/dev/null 2>&1 || btrfs property set -- ""$f"" compression '' >/dev/null 2>&1 || true
  fi
  cur=$(stat -c %s -- ""$f"")
  if [ ""$cur"" -gt ""$size"" ]; then truncate -s ""$size"" -- ""$f"" || die ""could not shrink $f""; fi
  if [ ""$falloc"" = 1 ] && fallocate -l ""$size"" -- ""$f"" 2>/dev/null; then how=fallocate
  else
    how=dd
    dd if=/dev/zero of=""$f"" bs=1048576 count=""$mib"" conv=notrunc status=none || die ""writing $f failed""
  fi
  echo step allocated $how
  mk || die ""mkswap $f failed""
fi
if [ ""$on"" = 1 ]; then
  if [ -n ""$prio"" ]; then set -- -p ""$prio""; else set --; fi
  if ! err=$(swapon ""$@"" -- ""$f"" 2>&1); then
    [ ""$how"" = fallocate ] || die ""swapon $f failed: $err""
    echo step rewritten ""$err""
    dd if=/dev/zero of=""$f"" bs=1048576 count=""$mib"" conv=notrunc status=none && mk || die ""writing $f out failed""
    err=$(swapon ""$@"" -- ""$f"" 2>&1) || die ""swapon $f failed: $err""
  fi
  echo step swapon
fi
exit 0
";

        /// <summary>
        /// First half of an atomic edit: checks the file is as read (sha256), writes stdin to a temp file in the
        /// same folder, checks its sha256, copies owner and mode, keeps a backup, fsyncs both.
        /// Args: target old-sha|absent new-sha backup.
        /// </summary>
        const string StageScript = Env + @"
set -e
t=$1 want=$2 new=$3 bak=$4
d=$(dirname -- ""$t""); tmp=""$d/.${t##*/}.edgeops-new""
mkdir -p -- ""$d""
cur=absent
if [ -e ""$t"" ]; then cur=$(sha256sum < ""$t"" | cut -d ' ' -f 1); fi
if [ ""$cur"" != ""$want"" ]; then echo ""$t changed since EdgeOps read it: run the command again"" >&2; exit 3; fi
rm -f -- ""$tmp""
(umask 022 && cat > ""$tmp"")
if [ ""$(sha256sum < ""$tmp"" | cut -d ' ' -f 1)"" != ""$new"" ]; then rm -f -- ""$tmp""; echo ""the new $t arrived incomplete"" >&2; exit 4; fi
if [ -e ""$t"" ]; then
  chown --reference=""$t"" -- ""$tmp""; chmod --reference=""$t"" -- ""$tmp""
  cp -p -- ""$t"" ""$bak.edgeops-new""; sync -- ""$bak.edgeops-new"" 2>/dev/null || sync; mv -f -- ""$bak.edgeops-new"" ""$bak""
fi
sync -- ""$tmp"" 2>/dev/null || sync
";

        /// <summary>
        /// Second half: still as read and the staged copy intact, rename over the target (atomic), fsync the folder.
        /// With new = 'delete', removes the target (a backup was kept). Args: target old-sha new-sha|delete backup.
        /// </summary>
        const string CommitScript = Env + @"
set -e
t=$1 want=$2 new=$3 bak=$4
d=$(dirname -- ""$t""); tmp=""$d/.${t##*/}.edgeops-new""
cur=absent
if [ -e ""$t"" ]; then cur=$(sha256sum < ""$t"" | cut -d ' ' -f 1); fi
if [ ""$cur"" != ""$want"" ]; then echo ""$t changed since EdgeOps read it: run the command again"" >&2; exit 3; fi
if [ ""$new"" = delete ]; then
  if [ -e ""$t"" ]; then cp -p -- ""$t"" ""$bak""; rm -f -- ""$t""; fi
else
  if [ ! -f ""$tmp"" ] || [ ""$(sha256sum < ""$tmp"" | cut -d ' ' -f 1)"" != ""$new"" ]; then echo ""the staged copy of $t is missing or damaged: run the command again"" >&2; exit 4; fi
  mv -f -- ""$tmp"" ""$t""
fi
sync -- ""$d"" 2>/dev/null || sync
";

        const string LinkScript = Env + @"
set -e
link=$1 target=$2
if [ -n ""$target"" ]; then mkdir -p -- ""$(dirname -- ""$link"")""; ln -sfn -- ""$target"" ""$link""; else rm -f -- ""$link""; fi
if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then systemctl daemon-reload >/dev/null 2>&1 || true; fi
";

        const string SwappinessScript = Env + "echo {0} > /proc/sys/vm/swappiness";

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
                return string.Concat(sha.ComputeHash(Encoding.UTF8.GetBytes(text)).Select(b => b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture)));
        }
    }
}
