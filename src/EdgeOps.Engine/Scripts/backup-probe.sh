#!/bin/sh
# Backup-SdCard / Restore-SdCard: facts about the card, one key=value per line. Arguments: the card path (empty: the
# disk holding /), and "flush" to write out cached data first, checkpoint the journals of its mounted ext filesystems
# and drop the card's cached blocks after (one round trip instead of several before a backup).
dev=$1
[ "${2:-}" = flush ] && sync
rootsrc=$(findmnt -n -o SOURCE / 2>/dev/null | head -n1)
rootdisk=
if [ -n "$rootsrc" ] && [ ! -b "$rootsrc" ]; then
  # /dev/root and the like: the root's device numbers name it in sysfs
  mm=$(findmnt -n -o MAJ:MIN / 2>/dev/null | head -n1 | tr -d ' ')
  sp=$(readlink -f "/sys/dev/block/$mm" 2>/dev/null || true)
  if [ -n "$mm" ] && [ -n "$sp" ] && [ -e "$sp/dev" ]; then rootsrc=/dev/$(basename "$sp"); fi
fi
if [ -n "$rootsrc" ] && [ -b "$rootsrc" ]; then
  pk=$(lsblk -ndo PKNAME "$rootsrc" 2>/dev/null | head -n1)
  if [ -n "$pk" ]; then rootdisk=/dev/$pk; else rootdisk=$(readlink -f "$rootsrc"); fi
  # A partition exposed as a loop device at an offset (kernels without partition tables support):
  # the card is the loop device over the same file at offset 0.
  b=$(basename "$rootdisk")
  off=$(cat "/sys/block/$b/loop/offset" 2>/dev/null || echo 0)
  bf=$(cat "/sys/block/$b/loop/backing_file" 2>/dev/null || true)
  if [ -n "$bf" ] && [ "$off" != 0 ]; then
    for l in /sys/block/loop*; do
      if [ "$(cat "$l/loop/backing_file" 2>/dev/null)" = "$bf" ] && [ "$(cat "$l/loop/offset" 2>/dev/null)" = 0 ] && [ "$(cat "$l/loop/sizelimit" 2>/dev/null)" = 0 ]; then
        rootdisk=/dev/$(basename "$l"); break
      fi
    done
  fi
fi
echo "rootsrc=$rootsrc"
echo "rootdisk=$rootdisk"
[ -n "$dev" ] || dev=$rootdisk
echo "dev=$dev"
if [ -z "$dev" ]; then echo 'error=nodisk'; exit 0; fi
if [ -b "$dev" ]; then echo 'kind=block'; echo "size=$(blockdev --getsize64 "$dev")";
  real=$(readlink -f "$dev"); echo "real=$real"
  parts=$(lsblk -nrpo NAME "$dev" 2>/dev/null)
  for n in $parts; do
    m=$(findmnt -n -o TARGET --source "$n" 2>/dev/null | head -n1)
    [ -n "$m" ] && echo "mounted=$n $m"
    grep -q "^$n " /proc/swaps 2>/dev/null && echo "mounted=$n [swap]"
  done
  if [ "${2:-}" = flush ]; then
    # A mounted ext3/ext4 keeps its newest metadata (bitmaps among it) in its journal until the kernel writes it in
    # place. Freezing writes it in place (a checkpoint), so the bitmaps read next are current; it is thawed at once,
    # and a dropped session cannot leave it frozen (hangups ignored). The card's partitions, and the root when the card
    # holds it (also a partition exposed as a loop device at an offset).
    done_mounts=
    extra=; [ "$real" = "$(readlink -f "$rootdisk" 2>/dev/null)" ] && extra=$rootsrc
    for n in $parts $extra; do
      m=$(findmnt -n -o TARGET --source "$n" 2>/dev/null | head -n1)
      fstype=$(findmnt -n -o FSTYPE --source "$n" 2>/dev/null | head -n1)
      case "$fstype" in ext3|ext4) ;; *) continue ;; esac
      case "$done_mounts" in *"|$m|"*) continue ;; esac
      done_mounts="$done_mounts|$m|"
      if (trap '' HUP INT TERM PIPE; fsfreeze -f "$m" && { fsfreeze -u "$m" || fsfreeze -u "$m"; }) >/dev/null 2>&1; then
        echo "checkpointed=$m"
      fi
    done
    blockdev --flushbufs "$dev" 2>/dev/null && echo 'flushed=1'
  fi
elif [ -f "$dev" ]; then echo 'kind=file'; echo "size=$(stat -c %s "$dev")"; echo "real=$(readlink -f "$dev")";
else echo 'error=missing'; fi
command -v zstd >/dev/null 2>&1 && echo "zstd=$(zstd -V 2>/dev/null | head -n1)"
command -v perl >/dev/null 2>&1 && echo 'perl=1' && perl -MDigest::SHA -e 1 2>/dev/null && echo 'digest=1'
echo "cpus=$(nproc 2>/dev/null || echo 1)"
model=; [ -r /sys/firmware/devicetree/base/model ] && model=$(tr -d '\000' 2>/dev/null < /sys/firmware/devicetree/base/model)
echo "model=$model"
echo "arch=$(uname -m)"
echo "kernel=$(uname -r)"
# shellcheck source=/dev/null
echo "os=$(. /etc/os-release 2>/dev/null; echo "$PRETTY_NAME")"
