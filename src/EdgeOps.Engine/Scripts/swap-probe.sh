#!/bin/sh
# Get-SwapFile / New-SwapFile / Remove-SwapFile: one round trip of facts. Memory, /proc/swaps (with whether each
# file is really this device's), facts about the asked paths (kind, size, allocation, mode, swap signature, no-COW
# flag, busy, filesystem, free space), fstab, the swap managers present and their configuration (files as base64).
# Arguments: fstab dphys-conf rpi-etc sysctl-file systemd-etc, then the paths.
export LC_ALL=C; PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
fstab=$1 dconf=$2 rpietc=$3 sysctlf=$4 sysd=$5
shift 5
b64() { base64 < "$1" | tr -d '\n'; }
busy() {
  [ -f "$1" ] || { echo absent; return; }
  s=$(stat -c %s -- "$1" 2>/dev/null) || { echo unknown; return; }
  e=$(truncate -c -s "$s" -- "$1" 2>&1) && { echo no; return; }
  case "$e" in *[Bb]usy*) echo yes ;; *) echo unknown ;; esac
}
echo "uid	$(id -u)"
awk '/^(MemTotal|MemAvailable):/ { sub(":", "", $1); printf "mem\t%s\t%.0f\n", $1, $2 * 1024 }' /proc/meminfo
ps=$(getconf PAGESIZE 2>/dev/null || echo 4096)
echo "pagesize	$ps"
echo "cpus	$(nproc 2>/dev/null || getconf _NPROCESSORS_ONLN)"
echo "swappiness	$(cat /proc/sys/vm/swappiness 2>/dev/null)"
for t in fallocate mkswap swapon swapoff chattr btrfs base64 sha256sum blkid; do command -v "$t" >/dev/null 2>&1 && printf 'tool\t%s\n' "$t"; done
tail -n +2 /proc/swaps 2>/dev/null | while read -r name type size used prio rest; do
  b=na; u='' ls=''
  if [ "$type" = file ]; then p=$(printf '%b' "$name"); b=$(busy "$p"); ls=$(stat -c %s -- "$p" 2>/dev/null)
  else u=$(blkid -o value -s UUID -- "$name" 2>/dev/null); fi
  printf 'swap\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$type" "$size" "$used" "$prio" "$b" "$u" "$ls"
done
i=0
for p in "$@"; do
  d=$(dirname -- "$p")
  kind='absent' st='0	0	512		-1' sig='' attr='' b=''
  if [ -L "$p" ]; then kind='link'
  elif [ -f "$p" ]; then kind='file'
  elif [ -d "$p" ]; then kind='dir'
  elif [ -e "$p" ]; then kind='other'; fi
  if [ $kind = file ]; then
    st=$(stat -c '%s	%b	%B	%a	%u' -- "$p")
    sig=$(dd if="$p" bs=1 skip=$((ps - 10)) count=10 2>/dev/null | tr -dc 'A-Z0-9')
    attr=$(lsattr -d -- "$p" 2>/dev/null | awk '{ print $1 }')
    b=$(busy "$p")
  fi
  de=0 fs='' df='0	0'
  if [ -d "$d" ]; then
    de=1
    fs=$(findmnt -n -o FSTYPE -T "$d" 2>/dev/null | head -n 1)
    [ -n "$fs" ] || fs=$(stat -f -c %T -- "$d")
    df=$(df -P -B1 -- "$d" | awk 'NR == 2 { print $2 "\t" $4 }')
  fi
  printf 'file\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$i" "$kind" "$st" "$sig" "$attr" "$b" "$de" "$fs" "$df"
  i=$((i + 1))
done
[ -f "$fstab" ] && printf 'fstab\t%s\n' "$(b64 "$fstab")"
[ -f "$dconf" ] && printf 'dphysconf\t%s\n' "$(b64 "$dconf")"
{ command -v dphys-swapfile || [ -x /sbin/dphys-swapfile ] || [ -x /usr/sbin/dphys-swapfile ]; } >/dev/null 2>&1 && echo dphysbin
for u in "$sysd/dphys-swapfile.service" /lib/systemd/system/dphys-swapfile.service /usr/lib/systemd/system/dphys-swapfile.service /etc/init.d/dphys-swapfile; do
  [ -e "$u" ] && { printf 'dphysunit\t%s\n' "$u"; break; }
done
for l in "$sysd"/*.wants/dphys-swapfile.service; do { [ -L "$l" ] || [ -e "$l" ]; } && printf 'dphyslink\t%s\n' "$l"; done
for g in /usr/lib/systemd/system-generators/rpi-swap-generator /lib/systemd/system-generators/rpi-swap-generator; do [ -e "$g" ] && { echo rpigen; break; }; done
for m in "$rpietc/swap.conf" /run/rpi/swap.conf /usr/local/lib/rpi/swap.conf /usr/lib/rpi/swap.conf; do
  [ -f "$m" ] && { printf 'rpimain\t%s\t%s\n' "${m%/*}" "$(b64 "$m")"; break; }
done
for dir in /usr/lib/rpi/swap.conf.d /usr/local/lib/rpi/swap.conf.d /run/rpi/swap.conf.d "$rpietc/swap.conf.d"; do
  for c in "$dir"/*.conf; do [ -f "$c" ] && printf 'rpidrop\t%s\t%s\t%s\n' "$dir" "${c##*/}" "$(b64 "$c")"; done
done
for n in "${sysd%/system}/nvzramconfig.sh" "$sysd/nvzramconfig.service" /lib/systemd/system/nvzramconfig.service /usr/lib/systemd/system/nvzramconfig.service; do
  [ -e "$n" ] && printf 'nvzram\t%s\n' "$n"
done
[ -f "$sysctlf" ] && printf 'sysctl\t%s\n' "$(b64 "$sysctlf")"
exit 0
