#!/usr/bin/env bash
# Builds benchmark: Start-WheelBuild | Wait-WheelBuild | Receive-WheelBuild of a CMake + Ninja project against the same
# build by hand over ssh (tar | ssh 'pip wheel', then the wheel copied back), same jobs, on one simulated device.
# Needs root (the simulated fleet) and tests/setup/builds.sh (compilers, CMake, Ninja).
# Knobs: EDGEOPS_BENCH_KERNELS (24 C files + 1), EDGEOPS_BENCH_JOBS (2), EDGEOPS_BENCH_ROUNDS (3).
# Figures go to stdout and bench/builds/last-run.txt.
set -euo pipefail
cd "$(dirname "$0")/../.."
dotnet build EdgeOps.sln -c Release -v q -nologo >/dev/null
EDGEOPS_BENCH=1 dotnet test tests/EdgeOps.Tests -c Release --no-build --filter "FullyQualifiedName~BuildsBenchmark" \
  --logger "console;verbosity=detailed" 2>&1 | grep -E "^\s*(project|round|median|Passed|Failed|Total|\[xUnit)" || true
cat bench/builds/last-run.txt 2>/dev/null || true
