#!/usr/bin/env bash
# Wheels benchmark: one ~100 MB wheel from S3 (s3rver on loopback) to 8 simulated devices, as one fleet run and as
# 8 runs one after another. Needs root (the simulated fleet) and tests/setup/wheels.sh (s3rver, azurite).
# Knobs: EDGEOPS_BENCH_DEVICES (8), EDGEOPS_BENCH_MB (100). Figures go to stdout and bench/wheels/last-run.txt.
set -euo pipefail
cd "$(dirname "$0")/../.."
dotnet build EdgeOps.sln -c Release -v q -nologo >/dev/null
EDGEOPS_BENCH=1 dotnet test tests/EdgeOps.Tests -c Release --no-build --filter "FullyQualifiedName~WheelsBenchmark" \
  --logger "console;verbosity=detailed" 2>&1 | grep -E "^\s*(fleet|wheel|sequential|  |Passed|Failed|Total|\[xUnit)" || true
cat bench/wheels/last-run.txt 2>/dev/null || true
