#!/bin/sh
# The detached build (started by start.sh): runs the build command of a build folder and keeps its state
# there (state, exit, started/ended times, peak memory and swap, out-of-memory kills), the output in log.
# Args: dir
dir=$1
cd -- "$dir" || exit 1
export LC_ALL=C
now() { date +%s; }
# Each write is whole (a file of its own, renamed over the state); Stop-WheelBuild writes through another name.
state() { printf '%s\n' "$1" > "state.$$" && mv -f "state.$$" state && printf '%s %s %s\n' "$(date +%s)" "$$" "$1" >> states; }
printf '%s %s\n' "$$" "$(cut -d ' ' -f 22 "/proc/$$/stat")" > pid.tmp && mv -f pid.tmp pid
run=$(( $(cat runs 2>/dev/null || echo 0) + 1 ))
printf '%s\n' "$run" > runs
[ -f started ] || now > started
now > runstarted
rm -f -- oomkills

# The environment the recipe chose (KEY=VALUE lines, never evaluated).
while IFS= read -r line; do
  [ -n "$line" ] && export "${line?}"
done < environment
EDGEOPS_BUILD_ID=${dir##*/}
export EDGEOPS_BUILD_ID
py=${EDGEOPS_PYTHON:-python3}
src=$(cat srcdir)

# ccache, when the host has it: compilers CMake runs go through it, its cache kept beside the builds. Paths under
# the builds' folder are hashed relative to it (base_dir), so a new build of the same sources hits what an earlier
# build of another folder compiled.
if command -v ccache >/dev/null 2>&1 && [ "${EDGEOPS_CCACHE:-1}" = 1 ]; then
  CCACHE_DIR=${CCACHE_DIR:-${dir%/*}/.ccache}
  CCACHE_BASEDIR=${CCACHE_BASEDIR:-${dir%/*}}
  export CCACHE_DIR CCACHE_BASEDIR CMAKE_C_COMPILER_LAUNCHER=ccache CMAKE_CXX_COMPILER_LAUNCHER=ccache
  printf '%s\n' "$CCACHE_DIR" > ccache
fi

# The memory cgroup the build runs in: its limit, usage now, and its out-of-memory kill counter.
mcg="" limitf="" usef="" oomf=""
v1=$(awk -F: '$2 ~ /(^|,)memory(,|$)/ { print $3 }' /proc/self/cgroup)
v2=$(awk -F: '$1 == "0" { print $3 }' /proc/self/cgroup)
if [ -n "$v1" ] && [ -f "/sys/fs/cgroup/memory$v1/memory.limit_in_bytes" ]; then
  mcg=/sys/fs/cgroup/memory$v1 limitf=memory.limit_in_bytes usef=memory.usage_in_bytes oomf=memory.oom_control
  printf '%s\n' "$v1" > cgroup
elif [ -n "$v2" ] && [ -f "/sys/fs/cgroup$v2/memory.max" ]; then
  mcg=/sys/fs/cgroup$v2 limitf=memory.max usef=memory.current oomf=memory.events
  printf '%s\n' "$v2" > cgroup
fi
oomcount() { if [ -n "$mcg" ]; then awk '$1 == "oom_kill" { print $2; f = 1 } END { if (!f) print 0 }' "$mcg/$oomf" 2>/dev/null || echo 0; else echo 0; fi; }
if [ -n "$mcg" ]; then
  printf '%s\n' "$(cat "$mcg/$limitf" 2>/dev/null)" > memlimit
  printf '%s\n' "$(cat "$mcg/$usef" 2>/dev/null)" > memstart
fi
oom0=$(oomcount)
awk '{ print $1 }' /proc/uptime > uptime0

stopped() { [ -e stop-requested ]; }
trap 'stopped && exit 143' TERM INT
# Detached: a hang-up or a broken pipe is no reason to end; say so in the log.
trap 'printf "== edgeops runner ignored SIGHUP\n" >> log' HUP
trap 'printf "== edgeops runner ignored SIGPIPE\n" >> log' PIPE

state Running
rm -f -- dist/*.whl wheels.sha256
printf '== edgeops run %s: %s, %s jobs, %s\n' "$run" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "${EDGEOPS_JOBS:-?}" "$src" >> log
"$py" -m pip wheel -v --no-build-isolation --no-deps --wheel-dir "$dir/dist" "$src" >> log 2>&1 &
child=$!

# Sample the session's memory while the build runs: total (peak) and the largest single process (one job).
sid=$(cut -d ' ' -f 6 "/proc/$$/stat")
peak=$(cat peak 2>/dev/null || echo 0) job=$(cat jobpeak 2>/dev/null || echo 0) swap=$(cat swappeak 2>/dev/null || echo 0)
swap0=$(awk '/^SwapTotal:/ { t = $2 } /^SwapFree:/ { f = $2 } END { print (t - f) * 1024 }' /proc/meminfo)
while kill -0 "$child" 2>/dev/null; do
  # shellcheck disable=SC2046
  set -- $(ps -o rss= -s "$sid" 2>/dev/null | awk '{ s += $1; if ($1 > m) m = $1 } END { print s * 1024, m * 1024 }')
  if [ "${1:-0}" -gt "$peak" ]; then peak=$1; printf '%s\n' "$peak" > peak; fi
  if [ "${2:-0}" -gt "$job" ]; then job=$2; printf '%s\n' "$job" > jobpeak; fi
  s=$(awk -v s0="$swap0" '/^SwapTotal:/ { t = $2 } /^SwapFree:/ { f = $2 } END { u = (t - f) * 1024 - s0; print (u > 0 ? u : 0) }' /proc/meminfo)
  if [ "$s" -gt "$swap" ]; then swap=$s; printf '%s\n' "$swap" > swappeak; fi
  sleep 0.5
done
wait "$child"
rc=$?

now > ended
printf '%s\n' "$rc" > exitcode
oom1=$(oomcount)
[ "$oom1" -gt "$oom0" ] && printf '%s\n' $((oom1 - oom0)) > oomkills
if stopped; then
  state Stopped
elif [ "$rc" = 0 ] && set -- dist/*.whl && [ -f "$1" ]; then
  (cd dist && sha256sum -- *.whl > ../wheels.sha256.tmp) && mv -f wheels.sha256.tmp wheels.sha256
  state Succeeded
else
  state Failed
fi
printf '== edgeops run %s ended: exit %s\n' "$run" "$rc" >> log
