#!/usr/bin/env bash
# Swap tests: the real dphys-swapfile script (unpacked only: installing the package would start it on this
# machine and make a swap file here), and dc, which that script uses. Idempotent.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
command -v dc >/dev/null 2>&1 || apt-get install -y -qq --no-install-recommends dc >/dev/null
dest=/opt/edgeops-test/dphys-swapfile
if [ ! -x "$dest/sbin/dphys-swapfile" ]; then
  tmp=$(mktemp -d)
  chmod 755 "$tmp"
  mkdir -p "$dest"
  (cd "$tmp" && apt-get download -qq dphys-swapfile >/dev/null 2>&1 && dpkg-deb -x dphys-swapfile_*.deb "$dest")
  rm -rf "$tmp"
fi
test -x "$dest/sbin/dphys-swapfile"
