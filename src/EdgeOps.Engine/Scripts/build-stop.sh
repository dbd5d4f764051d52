#!/bin/sh
# Stop-WheelBuild on the build host: ends a build's whole process group (the runner's session) and every
# process that carries the build's id in its environment, TERM first and KILL after the grace period;
# the state becomes Stopped. Prints how many processes were signalled and how many are left (0).
# Args: root id grace
export LC_ALL=C
root=$1 id=$2 grace=$3
case $root in /*) ;; *) root=$HOME/$root ;; esac
dir=$root/$id
[ -f "$dir/state" ] || { printf 'there is no build %s in %s\n' "$id" "$root" >&2; exit 4; }
cd -- "$dir" || exit 1
# A live process with that start time (a zombie is not alive: the runner may wait to be reaped).
alive() { s=$(cut -d ' ' -f 3,22 "/proc/$1/stat" 2>/dev/null) && [ "${s#* }" = "$2" ] && [ "${s%% *}" != Z ]; }
: > stop-requested
members() {
  grep -lzxF "EDGEOPS_BUILD_ID=$id" /proc/[0-9]*/environ 2>/dev/null | sed 's|^/proc/||; s|/environ$||'
  if [ -f pid ]; then
    read -r p t < pid || true
    [ -n "${p:-}" ] && alive "$p" "${t:-}" && printf '%s\n' "$p"
  fi
}
if read -r unit_kind unit < launcher 2>/dev/null && [ "$unit_kind" = systemd ]; then
  sudo -n systemctl stop "$unit" >/dev/null 2>&1 || true
fi
signalled=0
if [ -f pid ]; then
  read -r p t < pid || true
  if [ -n "${p:-}" ] && alive "$p" "${t:-}"; then
    kill -s TERM -- "-$p" 2>/dev/null && signalled=1
  fi
fi
for q in $(members); do kill -TERM "$q" 2>/dev/null && signalled=$((signalled + 1)); done
i=0
while [ -n "$(members)" ] && [ $i -lt $((grace * 10)) ]; do sleep 0.1; i=$((i + 1)); done
for q in $(members); do kill -KILL "$q" 2>/dev/null; done
i=0
while [ -n "$(members)" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
left=$(members | wc -l)
state=$(cat state)
case $state in Succeeded|Failed) ;; *)
  printf 'Stopped\n' > "state.stop.$$" && mv -f "state.stop.$$" state
  [ -f ended ] || date +%s > ended
  [ -f exitcode ] || printf '143\n' > exitcode ;;
esac
printf 'signalled\t%s\nleft\t%s\nstate\t%s\n' "$signalled" "$left" "$(cat state)"
