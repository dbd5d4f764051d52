#!/usr/bin/env bash
# The boards' own platforms in the simulated fleet (tests/fleet/tree.sh, device.sh): arm64 and armhf Debian
# userlands built with mmdebstrap from this machine's apt sources, run under qemu-user-static via binfmt_misc.
# Idempotent; run as root.
#  - binfmt_misc mounted, qemu-aarch64 and qemu-arm registered with flags POCF: F (the interpreter is opened
#    now, so it works inside the devices' roots), C (a setuid ARM program such as sudo runs with its owner's
#    rights, as on a board; without it sudo says "effective uid is not 0"), O (needed by C), P (argv[0] kept).
#  - the root trees are built now, both at once, unless cached (/var/cache/edgeops-trees, by package-list hash).
set -euo pipefail
cd "$(dirname "$0")/../.."
need=()
for p in qemu-user-static binfmt-support mmdebstrap arch-test debian-archive-keyring util-linux; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null || { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null; }
fi
B=/proc/sys/fs/binfmt_misc
[ -e "$B/register" ] || mount -t binfmt_misc binfmt_misc "$B"
for q in qemu-aarch64 qemu-arm; do
  fmt=/usr/share/binfmts/$q
  [ -f "$fmt" ] || { echo "platforms.sh: $fmt missing (qemu-user-static)" >&2; exit 1; }
  if [ -e "$B/$q" ] && grep -q '^enabled' "$B/$q" && grep -q '^flags: .*C' "$B/$q" && grep -q '^flags: .*F' "$B/$q"; then continue; fi
  [ -e "$B/$q" ] && echo -1 > "$B/$q"
  interp=$(sed -n 's/^interpreter //p' "$fmt"); magic=$(sed -n 's/^magic //p' "$fmt"); mask=$(sed -n 's/^mask //p' "$fmt")
  printf ':%s:M::%s:%s:%s:POCF' "$q" "$magic" "$mask" "$interp" > "$B/register"
done
# The trees (a few minutes each the first time on 2 cores; nothing when cached).
pids=()
for a in arm64 armhf; do bash tests/fleet/tree.sh ensure "$a" >/dev/null & pids+=($!); done
rc=0
for p in "${pids[@]}"; do wait "$p" || rc=1; done
exit $rc
