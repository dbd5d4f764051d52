#!/usr/bin/env bash
# Backup benchmark: a 4 GiB simulated card holding about 1 GiB of files (40% incompressible, the rest tar
# archives of /usr/share; a third as much deleted, so free blocks hold old data), backed up in the same run by
#   ssh <device> 'sudo dd if=<card> bs=4M' | gzip -1 > card.img.gz
#   ssh <device> 'sudo dd if=<card> bs=4M' | zstd -1 -T0 > card.img.zst
#   Backup-SdCard (zstd level 3, the default, and level 1)
# Needs root (the simulated fleet). Knobs: EDGEOPS_BENCH_CARD_MIB (4096), EDGEOPS_BENCH_FILES_MIB (1024).
# Figures go to stdout and bench/backup/last-run.txt.
set -euo pipefail
cd "$(dirname "$0")/../.."
dotnet build EdgeOps.sln -c Release -v q -nologo >/dev/null
dotnet build tests/EdgeOps.Tests -c Release -v q -nologo >/dev/null
EDGEOPS_BENCH=1 dotnet test tests/EdgeOps.Tests -c Release --no-build --filter "FullyQualifiedName~BackupBenchmark" \
  --logger "console;verbosity=detailed" 2>&1 | grep -E "^\s*(card|dd|round|best|Backup|\[|Passed|Failed|Total|  )" || true
cat bench/backup/last-run.txt 2>/dev/null || true
