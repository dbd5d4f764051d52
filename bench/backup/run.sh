#!/usr/bin/env bash
# Backup benchmark (issue 16): simulated devices whose 1 GiB cards are laid out like Raspberry Pi OS (MBR: FAT32 boot
# 256 MiB + ext4 root), 310 MiB in use (some incompressible, most compressible like /usr), 100 MiB of deleted data in
# free blocks, and read at 40 MiB/s like a Raspberry Pi 4's card (a cgroup v1 blkio throttle on each device's
# processes; tests/fleet/device.sh) with the board's own CPU approximated by a cpu cgroup of high weight for the same
# processes (EDGEOPS_BENCH_DEVICE_CPU_SHARES, 10240; 0: off), so the controller's work does not keep the card waiting.
# The card's cache is flushed before each method. Measured, throttled and not (no cpu weight unthrottled, nor for the
# devices backed up at once):
#   ssh <device> 'sudo dd if=<card> bs=4M' | zstd -1 -T0 > file
#   Backup-SdCard in a new PowerShell host (its start, the stream and the read-back check)
#   Backup-SdCard 6 times in a row in a pwsh process of its own, with this code and with main before issue 16, in the
#   PowerShell .NET tool and in a copy of it with ReadyToRun-compiled PowerShell assemblies
# with the physical limit (used blocks / card speed), the controller's CPU seconds per GiB of card, and 8 devices
# backed up at once by one controller: in the test host, then twice in a row in a pwsh process of its own with this
# code and with main before issue 16 (EDGEOPS_BENCH_FLEET_RUNS, 2). Needs root. Knobs: EDGEOPS_BENCH_CARD_MIB (1024), EDGEOPS_BENCH_USED_MIB (310),
# EDGEOPS_BENCH_DELETED_MIB (100), EDGEOPS_BENCH_CARD_MIBPS (40), EDGEOPS_BENCH_DEVICES (8), EDGEOPS_BENCH_DEVICE_CPU_SHARES (10240).
# Figures go to stdout and bench/backup/last-run.txt.
set -euo pipefail
cd "$(dirname "$0")/../.."
dotnet build EdgeOps.sln -c Release -v q -nologo >/dev/null
dotnet build tests/EdgeOps.Tests -c Release -v q -nologo >/dev/null
# "Today's" code, the issue's baseline (main before issue 16, 9b33069), built beside this tree from git, so one run
# measures both the same way: a pwsh process backing up the card several times in a row (EDGEOPS_BENCH_OWN_RUNS, 6).
# EDGEOPS_BENCH_BASELINE=<commit> picks another, =none skips it.
bt="" pd=""
cleanup() {
  if [ -n "$bt" ]; then git worktree remove --force "$bt" >/dev/null 2>&1 || rm -rf "$bt"; git worktree prune; fi
  if [ -n "$pd" ]; then rm -rf "$pd"; fi
}
trap cleanup EXIT
base=${EDGEOPS_BENCH_BASELINE:-9b33069}
if [ "$base" != none ]; then
  bt=$(mktemp -d /var/tmp/edgeops-bench-baseline.XXXXXX)
  git worktree add --detach -q "$bt" "$base"
  dotnet build "$bt/EdgeOps.sln" -c Release -v q -nologo >/dev/null
  export EDGEOPS_BENCH_BASELINE_MODULE="$bt/out/module/EdgeOps/EdgeOps.psd1" EDGEOPS_BENCH_BASELINE_LABEL="main before issue 16 ($(git rev-parse --short "$base"))"
fi
# The row runs in the repository's pwsh (the PowerShell .NET tool, whose own assemblies are IL only: each new process
# JIT-compiles PowerShell itself) and again in a copy of it whose five main assemblies are ReadyToRun-compiled with the
# SDK's crossgen2 (restored by the Release build), as PowerShell's own packages ship them. EDGEOPS_BENCH_PWSH=none skips
# it; EDGEOPS_BENCH_PWSH=<a pwsh.dll> uses that one instead.
if [ -z "${EDGEOPS_BENCH_PWSH:-}" ]; then
  tool=$(dirname "$(dotnet pwsh -NoProfile -Command '[psobject].Assembly.Location')")
  fw=$(dirname "$(dotnet pwsh -NoProfile -Command '[object].Assembly.Location')")
  cg=$(ls -d "${NUGET_PACKAGES:-$HOME/.nuget/packages}/microsoft.netcore.app.crossgen2.linux-x64/$(basename "$fw" | cut -d. -f1)."*/tools/crossgen2 | sort -V | tail -n1)
  pd=$(mktemp -d /var/tmp/edgeops-bench-pwsh.XXXXXX)
  cp -r "$tool/." "$pd/"
  for a in System.Management.Automation Microsoft.PowerShell.ConsoleHost Microsoft.PowerShell.Commands.Utility Microsoft.PowerShell.Commands.Management Microsoft.PowerShell.Security; do
    "$cg" -r "$fw/" -r "$tool/*.dll" --targetos linux --targetarch x64 -O "$tool/$a.dll" -o "$pd/$a.dll" >/dev/null
  done
  export EDGEOPS_BENCH_PWSH="$pd/pwsh.dll"
fi
echo "uptime before: $(uptime)"
EDGEOPS_BENCH=1 dotnet test tests/EdgeOps.Tests -c Release --no-build --filter "FullyQualifiedName~BackupBenchmark" \
  --logger "console;verbosity=detailed" 2>&1 | grep -E "^\s*(card|test host|[0-9]+ devices|\[|Passed|Failed|Total|  |Error|Assert)" || true
echo "uptime after: $(uptime)"
cat bench/backup/last-run.txt 2>/dev/null || true
