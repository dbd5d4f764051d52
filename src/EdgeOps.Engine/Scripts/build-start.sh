#!/bin/sh
# Start-WheelBuild on the build host: makes (or, with resume=1, reuses) a build folder, puts the source in it
# and starts the build detached: a transient systemd unit where systemd runs and sudo needs no password,
# else a new session with its own process group (setsid). Prints the folder's status when the build runs.
# Args: root id mode source ref resume runner envtext metatext
#   mode: upload (a .tar.gz on stdin), git (clone source at ref), resume (the folder's own source)
set -eu
export LC_ALL=C
root=$1 id=$2 mode=$3 source=$4 ref=$5 resume=$6 runner=$7 envtext=$8 metatext=$9
die() { printf '%s\n' "$*" >&2; exit "${code:-1}"; }
case $root in /*) ;; *) root=$HOME/$root ;; esac
dir=$root/$id

if [ "$resume" = 1 ]; then
  [ -d "$dir" ] || { code=4; die "there is no build $id in $root"; }
else
  [ ! -e "$dir" ] || { code=5; die "a build $id already exists in $root"; }
  mkdir -p -- "$root"
  mkdir -m 700 -- "$dir"
  mkdir -- "$dir/src" "$dir/dist"
  case $mode in
    upload)
      tar -xzf - -C "$dir/src" || { rm -rf -- "$dir"; code=6; die "the source archive could not be unpacked (tar -xz)"; } ;;
    git)
      command -v git >/dev/null 2>&1 || { rm -rf -- "$dir"; code=7; die "git is not installed on the build host (apt install git)"; }
      git clone --quiet --recursive -- "$source" "$dir/src/checkout" >"$dir/clone.log" 2>&1 ||
        { tail -n 5 "$dir/clone.log" >&2; rm -rf -- "$dir"; code=8; die "git clone of the source failed"; }
      if [ -n "$ref" ]; then
        (cd "$dir/src/checkout" && git checkout --quiet "$ref" -- && git submodule update --quiet --init --recursive) >>"$dir/clone.log" 2>&1 ||
          { tail -n 5 "$dir/clone.log" >&2; rm -rf -- "$dir"; code=9; die "git checkout of $ref failed"; }
      fi ;;
    *) rm -rf -- "$dir"; die "unknown source mode $mode" ;;
  esac
  # One top-level folder (an archive of a project folder): build in it.
  set -- "$dir/src"/*
  if [ $# = 1 ] && [ -d "$1" ]; then printf '%s\n' "$1" > "$dir/srcdir"; else printf '%s\n' "$dir/src" > "$dir/srcdir"; fi
fi

# A live process with that start time (a zombie is not alive: the runner may wait to be reaped).
alive() { s=$(cut -d ' ' -f 3,22 "/proc/$1/stat" 2>/dev/null) && [ "${s#* }" = "$2" ] && [ "${s%% *}" != Z ]; }
cd -- "$dir"
if [ -f pid ] && [ -f state ] && [ "$(cat state)" = Running ]; then
  read -r p t < pid || true
  if [ -n "${p:-}" ] && alive "$p" "${t:-}"; then code=10; die "build $id is still running (pid $p)"; fi
fi
printf '%s' "$runner" > runner.sh
printf '%s' "$envtext" > environment
printf '%s' "$metatext" > meta
rm -f -- stop-requested exitcode ended pid
printf 'Starting\n' > state
printf '%s %s Starting\n' "$(date +%s)" "$$" >> states

if [ -d /run/systemd/system ] && command -v systemd-run >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  unit=edgeops-build-$id
  printf 'systemd %s\n' "$unit" > launcher
  sudo -n systemd-run --quiet --collect --unit="$unit" --uid="$(id -u)" --gid="$(id -g)" \
    --property=KillMode=control-group --setenv=HOME="$HOME" --working-directory="$dir" \
    /bin/sh "$dir/runner.sh" "$dir" >/dev/null
else
  printf 'setsid\n' > launcher
  setsid /bin/sh "$dir/runner.sh" "$dir" </dev/null >/dev/null 2>&1 &
fi
i=0
while [ ! -s pid ] && [ "$(cat state)" = Starting ]; do
  i=$((i + 1))
  [ $i -le 200 ] || { code=11; die "the build did not start within 10 s (see $dir/log)"; }
  sleep 0.05
done
printf 'dir\t%s\n' "$dir"
