#!/bin/sh
# Invoke-EdgeBenchmark, before each use of the runner on a device: the runner's folder, its parent and its files belong
# to the login user (or root) and only they can write them; then the files' sha256, compared with EdgeOps' own copy.
# A folder named by the right hash proves nothing. Arguments: folder, then the files. Exit 3: unsafe=<why>.
cd -- "$1" || exit 2
shift
me=$(id -u)
for p in .. . "$@"; do
  o=$(stat -c '%u %a' -- "$p") || exit 2
  u=${o%% *} m=${o#* }
  if [ "$u" != "$me" ] && [ "$u" != 0 ]; then printf 'unsafe=%s belongs to uid %s\n' "$p" "$u"; exit 3; fi
  if [ $((0$m & 18)) -ne 0 ]; then printf 'unsafe=%s is writable by group or others (mode %s)\n' "$p" "$m"; exit 3; fi
done
sha256sum -- "$@"
