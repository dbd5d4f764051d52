#!/bin/sh
# Install-TorchWheel as root: a fresh 0700 folder (mktemp -d under /var/tmp: root's own, sticky parent), each wheel
# copied into it from the login user's folder and hashed there; any difference refuses the install before pip runs.
# Arguments: source-folder, then pairs of wheel-file-name sha256. Prints stage=<folder>, or mismatch=<name> <sha256>
# and exit 3.
umask 077
src=$1
shift
d=$(mktemp -d /var/tmp/edgeops-stage.XXXXXXXX) || exit 1
while [ $# -gt 1 ]; do
  n=$1 h=$2
  shift 2
  cat -- "$src/$n" > "$d/$n" || { rm -rf -- "$d"; exit 1; }
  got=$(sha256sum -- "$d/$n" | cut -d' ' -f1)
  if [ "$got" != "$h" ]; then rm -rf -- "$d"; printf 'mismatch=%s %s\n' "$n" "$got"; exit 3; fi
done
printf 'stage=%s\n' "$d"
