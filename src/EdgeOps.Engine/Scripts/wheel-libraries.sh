#!/bin/sh
# Install-TorchWheel: which of the shared libraries named as arguments are on the device (ldconfig's cache, then the
# usual library folders). Prints missing=<name> for each one that is not.
PATH="$PATH:/sbin:/usr/sbin"
cache=$(ldconfig -p 2>/dev/null)
for l in "$@"; do
  printf '%s\n' "$cache" | awk '{print $1}' | grep -qxF -- "$l" && continue
  for d in /lib /usr/lib /usr/local/lib /lib/*-linux-gnu* /usr/lib/*-linux-gnu* /usr/lib/aarch64-linux-gnu/tegra; do [ -e "$d/$l" ] && continue 2; done
  printf 'missing=%s\n' "$l"
done
exit 0
