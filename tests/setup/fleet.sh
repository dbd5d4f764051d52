#!/usr/bin/env bash
# Simulated fleet (tests/fleet/device.sh): packages beyond .ci/run's list. Idempotent; run as root.
#  fusefat + mtools: the card's FAT32 boot partition (this kernel may have no vfat driver: the boot
#  partition is written with mtools and mounted in the device with FUSE); openssl: pi's password hash.
set -euo pipefail
need=()
for p in fusefat mtools openssl openssh-server openssh-client sudo fdisk dosfstools e2fsprogs util-linux python3 procps iproute2; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null || { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null; }
fi
# sshd's privilege separation dir (each device also has its own, on its /run tmpfs)
mkdir -p /run/sshd && chmod 0755 /run/sshd
# FUSE needs its device node
[ -e /dev/fuse ] || modprobe fuse 2>/dev/null || true
