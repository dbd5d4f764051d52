#!/bin/sh
# Enables or disables a unit: makes (target given) or removes the symbolic link, then reloads systemd.
# Arguments: link target|"".
export LC_ALL=C; PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
set -e
link=$1 target=$2
if [ -n "$target" ]; then mkdir -p -- "$(dirname -- "$link")"; ln -sfn -- "$target" "$link"; else rm -f -- "$link"; fi
if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then systemctl daemon-reload >/dev/null 2>&1 || true; fi
