#!/usr/bin/env bash
# Benchmark report: the test that renders the HTML report's inline SVG charts in headless Chromium (Debian's chromium),
# reads the screenshot back with ImageMagick (identify, stream) and needs fonts for non-ASCII model names (CJK). Idempotent.
set -euo pipefail
need=()
for p in chromium imagemagick fonts-dejavu-core fonts-noto-cjk; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null || { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null; }
fi
