#!/bin/sh
# Get-WheelBuild on the build host: the state of the builds in root (all, or the ids given), one block each.
# A build whose state says Running but whose runner is gone was interrupted (killed, host rebooted).
# Args: root [full] [id...]
export LC_ALL=C
root=$1 full=$2
shift 2
case $root in /*) ;; *) root=$HOME/$root ;; esac
# A live process with that start time (a zombie is not alive: the runner may wait to be reaped).
alive() { s=$(cut -d ' ' -f 3,22 "/proc/$1/stat" 2>/dev/null) && [ "${s#* }" = "$2" ] && [ "${s%% *}" != Z ]; }
[ -d "$root" ] || exit 0
cd -- "$root" || exit 1
[ $# -gt 0 ] || set -- */
for b in "$@"; do
  b=${b%/}
  [ -f "$b/state" ] || { [ "$b" = "*" ] || printf 'missing\t%s\n' "$b"; continue; }
  printf 'build\t%s\n' "$b"
  printf 'dir\t%s/%s\n' "$root" "$b"
  printf 'now\t%s\n' "$(date +%s)"
  for f in state exitcode started ended runstarted runs peak jobpeak swappeak memlimit memstart oomkills uptime0 srcdir launcher ccache cgroup; do
    [ -f "$b/$f" ] && printf '%s\t%s\n' "$f" "$(head -n 1 "$b/$f")"
  done
  [ -f "$b/meta" ] && sed 's/^/meta\t/' "$b/meta"
  alive=0
  if [ -f "$b/pid" ]; then
    read -r p t < "$b/pid" || true
    [ -n "${p:-}" ] && alive "$p" "${t:-}" && alive=1
  fi
  printf 'alive\t%s\n' "$alive"
  if [ $alive = 0 ] && [ -f "$b/pid" ]; then
    printf 'pidcheck\t%s | %s | %s\n' "$(cat "$b/pid")" "$(cut -d ' ' -f 1-5,22 "/proc/${p:-0}/stat" 2>&1)" "$(tr '\n' ' ' < "$b/states" 2>/dev/null)"
  fi
  [ -f "$b/wheels.sha256" ] && while read -r sha name; do
    printf 'wheel\t%s\t%s\t%s\n' "$sha" "$(stat -c %s -- "$b/dist/$name")" "$name"
  done < "$b/wheels.sha256"
  if [ -f "$b/log" ]; then
    # Progress of the last run: Ninja's [n/m] and make's [ nn%] lines; the failed step; the run's step count.
    if [ "$full" = 1 ]; then cat -- "$b/log"; else tail -c 262144 -- "$b/log"; fi | awk '
      /^== edgeops run [0-9]+:/ { last = ""; failed = ""; steps = 0; compiled = 0; next }
      /^[[:space:]]*\[[0-9]+\/[0-9]+\]/ { last = $0; steps++; if ($0 ~ /Building (C|CXX|CUDA) object|Compiling|\.(c|cc|cpp|cxx|cu)\.o/) compiled++; next }
      /^[[:space:]]*\[[[:space:]]*[0-9]+%\]/ { last = $0; steps++; if ($0 ~ /Building (C|CXX|CUDA) object/) compiled++; next }
      /^[[:space:]]*FAILED: / { failed = $0 }
      /(Killed signal terminated program|fatal error: Killed|internal compiler error: Killed)/ { killed = $0 }
      END {
        if (last != "") print "progress\t" substr(last, 1, 300)
        if (failed != "") print "failed\t" substr(failed, 1, 300)
        if (killed != "") print "killed\t" substr(killed, 1, 300)
        print "steps\t" steps; print "compiled\t" compiled
      }'
    printf 'logbytes\t%s\n' "$(stat -c %s -- "$b/log")"
    tail -n 12 -- "$b/log" | sed 's/^/tail\t/'
  fi
  # One grep over every process's environment (NUL-separated): the build's processes, wherever they are.
  printf 'procs\t%s\n' "$(grep -lzxF "EDGEOPS_BUILD_ID=$b" /proc/[0-9]*/environ 2>/dev/null | wc -l)"
  printf 'end\n'
done
exit 0
