#!/bin/sh
# Get-WheelBuild on the build host: the state of the builds in root (all, or the ids given), one block each.
# A build whose state says Running but whose runner is gone was interrupted (killed, host rebooted).
# Args: root full wait [id...]
#   full: 1 = read the whole log for the progress (else its last 256 KiB)
#   wait: with one id, up to that many seconds for the build to end first (checked every 0.2 s on the host, so
#         Wait-WheelBuild sees the end at once without polling over SSH more often)
export LC_ALL=C
root=$1 full=$2 wait=${3:-0}
shift 3
case $root in /*) ;; *) root=$HOME/$root ;; esac
# A live process with that start time (a zombie is not alive: the runner may wait to be reaped).
alive() { s=$(cut -d ' ' -f 3,22 "/proc/$1/stat" 2>/dev/null) && [ "${s#* }" = "$2" ] && [ "${s%% *}" != Z ]; }
[ -d "$root" ] || exit 0
cd -- "$root" || exit 1
running() {   # the build's state says it runs, and its runner is there (or is being started)
  case $(head -n 1 "$1/state" 2>/dev/null) in
    Running) read -r p t < "$1/pid" 2>/dev/null && alive "$p" "$t" ;;
    Starting) true ;;
    *) false ;;
  esac
}
if [ "$wait" -gt 0 ] && [ $# = 1 ] && [ -f "$1/state" ]; then
  i=$((wait * 5))
  while [ $i -gt 0 ] && running "$1"; do sleep 0.2; i=$((i - 1)); done
fi
[ $# -gt 0 ] || set -- */
for b in "$@"; do
  b=${b%/}
  [ -f "$b/state" ] || { [ "$b" = "*" ] || printf 'missing\t%s\n' "$b"; continue; }
  # The runner's liveness first, its files after: a runner gone at the check wrote its last state before it went, so
  # the state read after the check is final. (Read the other way round, a run ending between the two reads looked
  # Running with its runner gone: Interrupted, though it had exited 0.)
  alive=0 p="" t=""
  if [ -f "$b/pid" ]; then
    read -r p t < "$b/pid" || true
    [ -n "$p" ] && alive "$p" "$t" && alive=1
  elif [ "$(head -n 1 "$b/state")" = Starting ] && [ $(( $(date +%s) - $(stat -c %Y -- "$b/state") )) -lt 15 ]; then
    alive=1   # start.sh launched the runner, which has not written its pid yet (start.sh gives it 10 s)
  fi
  printf 'build\t%s\n' "$b"
  printf 'dir\t%s/%s\n' "$root" "$b"
  printf 'now\t%s\n' "$(date +%s)"
  for f in state exitcode started ended runstarted runs peak jobpeak swappeak memlimit memstart oomkills uptime0 srcdir launcher ccache cgroup; do
    [ -f "$b/$f" ] && printf '%s\t%s\n' "$f" "$(head -n 1 "$b/$f")"
  done
  [ -f "$b/meta" ] && sed 's/^/meta\t/' "$b/meta"
  printf 'alive\t%s\n' "$alive"
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
