#!/usr/bin/env bash
# Backup tests: real partitioning and filesystem tools, mtools (FAT without a kernel vfat driver),
# zstd (device-side compression and the plain `zstd -dc | dd` restore), bmap-tools (block map compatibility).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -qq --no-install-recommends fdisk dosfstools e2fsprogs mtools zstd bmap-tools perl-base util-linux >/dev/null
