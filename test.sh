#!/usr/bin/env bash
# Runs the whole test suite and prints one summary line, `N passed, N failed, N skipped`, over both parts:
#   xunit (tests/EdgeOps.Tests): the engine and the fleet internals, hosting PowerShell 7.6 (Microsoft.PowerShell.SDK);
#   Pester 6.2.0 (tests/Pester) in real pwsh 7.6.10 (`dotnet pwsh`): the module's contract as users see it.
# Needs root for the simulated fleet (sshd in mount namespaces, loop devices); `.ci/run` installs the rest.
#   ./test.sh --filter "FullyQualifiedName~Swap"    extra arguments go to `dotnet test`; a --filter alone runs xunit only
#   ./test.sh --pester-filter '*completion*'        Pester tests whose full name is like the pattern (alone: Pester only)
#   ./test.sh --xunit-only | --pester-only          one part
set -uo pipefail
cd "$(dirname "$0")"
results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT
xunit=1 pester=1 pester_filter=() args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --xunit-only) pester=0 ;;
    --pester-only) xunit=0 ;;
    --pester-filter) pester_filter+=("$2"); shift ;;
    --filter|--filter=*) xunit_filter=1; args+=("$1") ;;
    *) args+=("$1") ;;
  esac
  shift
done
# a filter for one part alone means a focused run of that part
if [ -n "${xunit_filter:-}" ] && [ ${#pester_filter[@]} -eq 0 ]; then pester=0; fi
if [ -z "${xunit_filter:-}" ] && [ ${#pester_filter[@]} -gt 0 ]; then xunit=0; fi
dotnet tool restore >/dev/null || { echo "dotnet tool restore failed (the pwsh tool, .config/dotnet-tools.json)"; exit 2; }
rc=0
if [ $xunit = 1 ]; then
  dotnet test EdgeOps.sln -c Release --logger "trx;LogFileName=tests.trx" --results-directory "$results" \
    --logger "console;verbosity=normal" "${args[@]}" || rc=1
else
  # the Pester part needs the laid-out module and the restored Pester package
  dotnet build EdgeOps.sln -c Release -nologo -v q || exit 2
fi
if [ $pester = 1 ]; then
  pargs=(-CountsFile "$results/pester.counts" -ResultsFile "$results/pester.xml")
  if [ ${#pester_filter[@]} -gt 0 ]; then pargs+=(-FullNameFilter "$(IFS=,; echo "${pester_filter[*]}")"); fi
  dotnet pwsh -NoProfile -NonInteractive -File tests/Pester/Run.ps1 "${pargs[@]}" || rc=1
fi
trx=$(find "$results" -name '*.trx' | head -n1)
python3 - "${trx:-}" "$results/pester.counts" "$results/pester.xml" <<'PY'
import os, sys, xml.etree.ElementTree as ET
passed = failed = skipped = 0
# the failures again, last, where a CI log's tail shows them
if sys.argv[1]:
    root = ET.parse(sys.argv[1]).getroot()
    for r in root.findall('.//{*}UnitTestResult'):
        if r.get('outcome') == 'Failed':
            msg = r.find('.//{*}Message')
            first = (msg.text or '').strip().splitlines()[:6] if msg is not None else []
            print('FAILED (xunit)', r.get('testName'), *('    ' + l for l in first), sep='\n')
    c = root.find('.//{*}Counters')
    total, p, f = int(c.get('total')), int(c.get('passed')), int(c.get('failed'))
    passed, failed, skipped = p, f, total - p - f
if os.path.exists(sys.argv[3]):
    for case in ET.parse(sys.argv[3]).getroot().iter('test-case'):
        if case.get('result') == 'Failure':
            msg = case.find('.//message')
            first = (msg.text or '').strip().splitlines()[:6] if msg is not None else []
            print('FAILED (Pester)', case.get('name'), *('    ' + l for l in first), sep='\n')
if os.path.exists(sys.argv[2]):
    p, f, s = (int(x) for x in open(sys.argv[2]).read().split())
    passed, failed, skipped = passed + p, failed + f, skipped + s
print(f"{passed} passed, {failed} failed, {skipped} skipped")
PY
exit $rc
