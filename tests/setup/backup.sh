#!/usr/bin/env bash
# Backup tests: real partitioning and filesystem tools, mtools (FAT without a kernel vfat driver),
# zstd (device-side compression and the plain `zstd -dc | dd` restore), bmap-tools (block map compatibility), perl with
# its XS modules (Digest::SHA: the simulated devices hash the ranges they read, as Raspberry Pi OS's perl can; perl-base
# alone lacks it), e2fsprogs' debugfs (journal transactions written by the tests) and util-linux's fsfreeze.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -qq --no-install-recommends fdisk dosfstools e2fsprogs mtools zstd bmap-tools perl-base perl util-linux >/dev/null
