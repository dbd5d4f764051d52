#!/usr/bin/env bash
# Fleet foundation benchmark (root: it starts a simulated fleet).
#   bench/fleet/run.sh [devices=16] [runs=5]
# Prints module import time (median over fresh runspaces) and Test-EdgeDevice over N devices
# (-ThrottleLimit N) vs over 1 device, with the ratio (goal: N devices <= 2 x one device).
set -euo pipefail
cd "$(dirname "$0")/../.."
dotnet build bench/fleet/FleetBench -c Release -nologo -v q >&2
exec dotnet bench/fleet/FleetBench/bin/Release/net10.0/FleetBench.dll "$@"
