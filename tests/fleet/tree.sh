#!/usr/bin/env bash
# Root trees of the simulated ARM devices: a Debian userland of another architecture (arm64, armhf) built with
# mmdebstrap from this machine's apt sources (no mirror is named: mmdebstrap reads them), run under
# qemu-user-static through binfmt_misc (tests/setup/platforms.sh registers it). Cached by the hash of what
# goes into the tree (architecture, suite, package list, this script's build steps), so a machine builds each
# tree once; CI builds them from nothing. Run as root.
#
#   tree.sh path   ARCH    prints the tree's folder (whether or not it is built yet)
#   tree.sh ensure ARCH    builds the tree unless cached (one builder at a time per tree: flock), prints its folder
#   tree.sh list           the cached trees
#   tree.sh prune          removes cached trees that no current package list makes (and unfinished builds)
#
# ARCH: arm64 | armhf. EDGEOPS_TREE_CACHE overrides /var/cache/edgeops-trees. The tree and every folder above it
# are root-owned and not group/world-writable: sshd's ChrootDirectory demands that of the device roots made on it.
set -euo pipefail
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C
CACHE=${EDGEOPS_TREE_CACHE:-/var/cache/edgeops-trees}
cmd=${1:-}; arch=${2:-}

# What a device's commands need: the cmdlets' device scripts (coreutils, util-linux, mount, e2fsprogs, fdisk,
# procps, perl, zstd, sudo), Python with pip and venv (wheels), ssh-keygen (host keys made in the device).
PACKAGES="python3 python3-venv python3-pip perl zstd procps util-linux mount sudo e2fsprogs fdisk openssh-client"
# arm64 only: a native compiler and Python's headers, so Start-WheelBuild builds a C extension on the aarch64 devices
# (issue 14). The armhf tree goes without (no test builds there; its cached tree stays valid).
packages() {
  case "$1" in
    arm64) echo "$PACKAGES gcc libc6-dev python3-dev python3-setuptools python3-wheel" ;;
    *) echo "$PACKAGES" ;;
  esac
}
# Debian release: the machine's own, so its apt sources serve it.
suite() { . /etc/os-release; echo "${VERSION_CODENAME:?no VERSION_CODENAME in /etc/os-release}"; }
# Bumped when the build steps below change what a tree holds.
RECIPE=1

spec() { printf 'recipe=%s\narch=%s\nsuite=%s\nvariant=minbase\npackages=%s\n' "$RECIPE" "$1" "$(suite)" "$(packages "$1")"; }
hash_of() { spec "$1" | sha256sum | cut -c1-16; }
dir_of() { echo "$CACHE/$1-$(hash_of "$1")"; }

check_arch() {
  case "$arch" in arm64|armhf) ;; *) echo "tree.sh: ARCH must be arm64 or armhf, not '$arch'" >&2; exit 2 ;; esac
}

# qemu-user-static registered with the fix-binary flag (F), so chrooted processes find the interpreter.
check_binfmt() {
  local q
  case "$1" in arm64) q=qemu-aarch64 ;; armhf) q=qemu-arm ;; esac
  if ! grep -qs '^enabled' "/proc/sys/fs/binfmt_misc/$q"; then
    echo "tree.sh: binfmt_misc has no enabled $q entry: run tests/setup/platforms.sh (installs qemu-user-static, registers it)" >&2
    exit 3
  fi
}

build() {
  local d=$1 tmp
  check_binfmt "$arch"
  command -v mmdebstrap >/dev/null || { echo "tree.sh: mmdebstrap missing: run tests/setup/platforms.sh" >&2; exit 3; }
  install -d -m 0755 -o root -g root "$CACHE"
  tmp="$d.build-$$"
  rm -rf --one-file-system "$tmp"
  echo "tree.sh: building the $arch tree in $d (mmdebstrap, emulated: a few minutes)" >&2
  local t0=$SECONDS
  mmdebstrap --quiet --variant=minbase --architectures="$arch" --mode=root \
    --aptopt='Apt::Install-Recommends "false"' \
    --include="$(packages "$arch" | tr ' ' ,)" \
    --customize-hook='rm -f "$1"/etc/ssh/ssh_host_*' \
    --customize-hook='chroot "$1" python3 -m pip --version >/dev/null' \
    "$(suite)" "$tmp" >&2
  spec "$arch" > "$tmp/.edgeops-tree"
  chmod 0755 "$tmp"
  mv -T "$tmp" "$d"
  echo "tree.sh: $arch tree built in $((SECONDS - t0)) s" >&2
}

case "$cmd" in
  path) check_arch; dir_of "$arch" ;;
  ensure)
    check_arch
    d=$(dir_of "$arch")
    if [ ! -f "$d/.edgeops-tree" ]; then
      install -d -m 0755 -o root -g root "$CACHE"
      exec 9>"$CACHE/.$arch.lock"
      flock 9
      [ -f "$d/.edgeops-tree" ] || build "$d"
    fi
    echo "$d" ;;
  list) ls -1d "$CACHE"/*-*/ 2>/dev/null || true ;;
  prune)
    keep=" $(arch=arm64; dir_of arm64) $(dir_of armhf) "
    for t in "$CACHE"/*; do
      [ -d "$t" ] || continue
      case "$keep" in *" $t "*) ;; *) echo "removing $t" >&2; rm -rf --one-file-system "$t" ;; esac
    done ;;
  *) echo "usage: $0 path|ensure ARCH | list | prune" >&2; exit 2 ;;
esac
