#!/bin/sh
# Harness overhead benchmark: Invoke-EdgeBenchmark's median latency on the sample models against a bare
# ONNX Runtime loop with the same session settings, in the same process and run.
#   bench/benchmark/run.sh [--rounds 6] [--runs 150] [--threads 1]
set -e
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
dotnet build "$root/src/EdgeOps.Cmdlets" -c Release -nologo -v q >/dev/null
exec dotnet run --project "$here/HarnessOverhead.csproj" -c Release -- "$@"
