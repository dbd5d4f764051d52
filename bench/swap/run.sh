#!/usr/bin/env bash
# Swap benchmark: what making a swap file costs on the device side, by the two ways New-SwapFile allocates it
# (fallocate where the filesystem supports it, dd writing it out elsewhere), on loop-mounted ext4 and btrfs
# images, plus mkswap and swapon. Needs root. Usage: bench/swap/run.sh [SIZE_MIB]   (default 1024)
set -euo pipefail
size=${1:-1024}
work=$(mktemp -d /tmp/edgeops-swap-bench.XXXXXX)
cleanup() {
  for f in "$work"/m-*/swap; do swapoff "$f" 2>/dev/null || true; done
  for m in "$work"/m-*; do umount "$m" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
ms() { local s=$(date +%s%N); "$@" >/dev/null 2>&1; echo $(( ($(date +%s%N) - s) / 1000000 )); }
printf '%-6s %-10s %8s %8s %8s %8s\n' fs method alloc_ms mkswap_ms swapon_ms MiB
for fs in ext4 btrfs; do
  for method in fallocate dd; do
    img="$work/$fs-$method.img"; m="$work/m-$fs-$method"; mkdir -p "$m"
    truncate -s $((size * 2 + 512))M "$img"
    if [ $fs = btrfs ]; then mkfs.btrfs -q "$img" 2>/dev/null; else mkfs.ext4 -q -F "$img"; fi
    mount -o loop "$img" "$m"
    f="$m/swap"; (umask 077; : > "$f")
    [ $fs = btrfs ] && chattr +C "$f"
    if [ $method = fallocate ]; then a=$(ms fallocate -l ${size}M "$f"); else a=$(ms dd if=/dev/zero of="$f" bs=1M count=$size conv=fsync status=none); fi
    k=$(ms mkswap "$f"); o=$(ms swapon "$f")
    printf '%-6s %-10s %8s %8s %8s %8s\n' $fs $method "$a" "$k" "$o" "$size"
    swapoff "$f"
  done
done
