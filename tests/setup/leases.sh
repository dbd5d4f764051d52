#!/usr/bin/env bash
# Leases: the daylight-saving tests need the IANA zone database (America/New_York, Europe/Berlin, ...).
set -euo pipefail
if [ ! -e /usr/share/zoneinfo/America/New_York ]; then
  apt-get install -y -qq --no-install-recommends tzdata >/dev/null
fi
