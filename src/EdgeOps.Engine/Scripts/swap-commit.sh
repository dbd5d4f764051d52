#!/bin/sh
# Second half of an atomic edit: still as read and the staged copy intact, rename over the target (atomic), fsync
# the folder. With new-sha = delete, removes the target (a backup is kept).
# Arguments: target old-sha new-sha|delete backup. Exit 3: changed since read; exit 4: staged copy missing or damaged.
export LC_ALL=C; PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
set -e
t=$1 want=$2 new=$3 bak=$4
d=$(dirname -- "$t"); tmp="$d/.${t##*/}.edgeops-new"
cur=absent
if [ -e "$t" ]; then cur=$(sha256sum < "$t" | cut -d ' ' -f 1); fi
if [ "$cur" != "$want" ]; then echo "$t changed since EdgeOps read it: run the command again" >&2; exit 3; fi
if [ "$new" = delete ]; then
  if [ -e "$t" ]; then cp -p -- "$t" "$bak"; rm -f -- "$t"; fi
else
  if [ ! -f "$tmp" ] || [ "$(sha256sum < "$tmp" | cut -d ' ' -f 1)" != "$new" ]; then echo "the staged copy of $t is missing or damaged: run the command again" >&2; exit 4; fi
  mv -f -- "$tmp" "$t"
fi
sync -- "$d" 2>/dev/null || sync
