#!/bin/sh
# New-SwapFile: makes the swap file. swapoff (resize), remove (btrfs file that must be re-made), create (umask 077),
# root:root 600, on btrfs no copy-on-write and no compression before any data, size by fallocate or dd, mkswap,
# swapon; when swapon rejects a fallocated file (holes, unwritten extents) it writes it out and tries again.
# Arguments: path size off recreate alloc on btrfs fallocate priority. Exit 4: the path is refused (unsafe).
export LC_ALL=C; PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
f=$1 size=$2 off=$3 recreate=$4 alloc=$5 on=$6 btrfs=$7 falloc=$8 prio=$9
mib=$((size / 1048576)) how=
die() { echo "$*" >&2; exit 1; }
# Checked here, as root, right before use (not only in the probe): the swap file is not a link, every folder above it
# is root's and writable by root alone (else its owner could swap the file for a link or keep a handle on it), and an
# existing file is root's own with one name (a user's file is never chowned into swap: its owner may hold it open).
refuse() { echo "$*" >&2; exit 4; }
[ -L "$f" ] && refuse "$f is a symbolic link: a swap file must be a regular file (the link is not followed)."
d=$(dirname -- "$f")
[ -d "$d" ] || die "the folder $d does not exist"
d=$(cd -P -- "$d" && pwd) || die "cannot enter $d"
f="${d%/}/${f##*/}"
p=$d
while :; do
  o=$(stat -c '%u %a' -- "$p") || die "cannot stat $p"
  u=${o%% *} m=${o#* }
  [ "$u" = 0 ] || refuse "the folder $p belongs to uid $u, not root: its owner could replace $f. Choose a path whose every folder is root's (/swapfile, /var/swap)."
  [ $((0$m & 18)) -eq 0 ] || refuse "the folder $p (mode $m) is writable by group or others: they could replace $f. Choose a path whose every folder only root can write (/swapfile, /var/swap)."
  [ "$p" = / ] && break
  p=$(dirname -- "$p")
done
[ -L "$f" ] && refuse "$f is a symbolic link: a swap file must be a regular file (the link is not followed)."
if [ -e "$f" ]; then
  o=$(stat -c '%u %h' -- "$f") || die "cannot stat $f"
  [ "${o%% *}" = 0 ] || refuse "$f belongs to uid ${o%% *}: an existing user's file is never made into swap (its owner could keep it open and read swapped memory). Remove it or choose another path."
  [ "${o#* }" = 1 ] || refuse "$f has ${o#* } hard links: another name could keep reading it. Remove it or choose another path."
fi
# mkswap through a descriptor: its own guard looks for the path in /proc/swaps, where another root's file of
# the same name may be listed (one kernel, many roots); this file is known not to be active (the kernel would
# also refuse the writes: ETXTBSY).
mk() { mkswap /dev/fd/3 3<>"$f" >/dev/null; }
if [ "$off" = 1 ]; then swapoff -- "$f" || die "swapoff $f failed"; echo step swapoff; fi
if [ "$recreate" = 1 ]; then rm -f -- "$f" || die "could not remove $f to make it again"; fi
if [ ! -e "$f" ]; then (umask 077 && : > "$f") || die "could not create $f"; echo step created; fi
chown 0:0 -- "$f" || die "could not make $f owned by root with mode 600"
chmod 600 -- "$f" || die "could not make $f owned by root with mode 600"
if [ "$alloc" = 1 ]; then
  if [ "$btrfs" = 1 ]; then
    if [ ! -s "$f" ]; then chattr +C -- "$f" || die "chattr +C (no copy-on-write) failed on $f"; fi
    btrfs property set -- "$f" compression none >/dev/null 2>&1 || btrfs property set -- "$f" compression '' >/dev/null 2>&1 || true
  fi
  cur=$(stat -c %s -- "$f")
  if [ "$cur" -gt "$size" ]; then truncate -s "$size" -- "$f" || die "could not shrink $f"; fi
  if [ "$falloc" = 1 ] && fallocate -l "$size" -- "$f" 2>/dev/null; then how=fallocate
  else
    how='dd'
    dd if=/dev/zero of="$f" bs=1048576 count="$mib" conv=notrunc status=none || die "writing $f failed"
  fi
  echo step allocated $how
  mk || die "mkswap $f failed"
fi
if [ "$on" = 1 ]; then
  if [ -n "$prio" ]; then set -- -p "$prio"; else set --; fi
  if ! err=$(swapon "$@" -- "$f" 2>&1); then
    [ "$how" = fallocate ] || die "swapon $f failed: $err"
    echo step rewritten "$err"
    dd if=/dev/zero of="$f" bs=1048576 count="$mib" conv=notrunc status=none || die "writing $f out failed"
    mk || die "writing $f out failed"
    err=$(swapon "$@" -- "$f" 2>&1) || die "swapon $f failed: $err"
  fi
  echo step swapon
fi
exit 0
