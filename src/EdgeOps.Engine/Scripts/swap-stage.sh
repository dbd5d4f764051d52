#!/bin/sh
# First half of an atomic edit of a configuration file: checks the file is as read (sha256), writes stdin to a
# temp file in the same folder, checks its sha256, copies owner and mode, keeps a backup, fsyncs both.
# Arguments: target old-sha|absent new-sha backup. Exit 3: changed since read; exit 4: arrived incomplete.
export LC_ALL=C; PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
set -e
t=$1 want=$2 new=$3 bak=$4
d=$(dirname -- "$t"); tmp="$d/.${t##*/}.edgeops-new"
mkdir -p -- "$d"
cur=absent
if [ -e "$t" ]; then cur=$(sha256sum < "$t" | cut -d ' ' -f 1); fi
if [ "$cur" != "$want" ]; then echo "$t changed since EdgeOps read it: run the command again" >&2; exit 3; fi
rm -f -- "$tmp"
(umask 022 && cat > "$tmp")
if [ "$(sha256sum < "$tmp" | cut -d ' ' -f 1)" != "$new" ]; then rm -f -- "$tmp"; echo "the new $t arrived incomplete" >&2; exit 4; fi
if [ -e "$t" ]; then
  chown --reference="$t" -- "$tmp"; chmod --reference="$t" -- "$tmp"
  cp -p -- "$t" "$bak.edgeops-new"; sync -- "$bak.edgeops-new" 2>/dev/null || sync; mv -f -- "$bak.edgeops-new" "$bak"
fi
sync -- "$tmp" 2>/dev/null || sync
