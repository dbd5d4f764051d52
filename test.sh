#!/usr/bin/env bash
# Runs the whole test suite (xunit hosting the real PowerShell 7.6 engine) and prints one summary line.
# Needs root for the simulated fleet (sshd in mount namespaces, loop devices); `.ci/run` installs the rest.
# Extra arguments go to `dotnet test`, e.g. ./test.sh --filter "FullyQualifiedName~Swap"
set -uo pipefail
cd "$(dirname "$0")"
results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT
dotnet test EdgeOps.sln -c Release --logger "trx;LogFileName=tests.trx" --results-directory "$results" \
  --logger "console;verbosity=normal" "$@"
rc=$?
trx=$(find "$results" -name '*.trx' | head -n1)
if [ -n "$trx" ]; then
  python3 - "$trx" <<'PY'
import sys, xml.etree.ElementTree as ET
c = ET.parse(sys.argv[1]).getroot().find('.//{*}Counters')
total, passed, failed = int(c.get('total')), int(c.get('passed')), int(c.get('failed'))
skipped = total - passed - failed
print(f"{passed} passed, {failed} failed, {skipped} skipped")
PY
fi
exit $rc
