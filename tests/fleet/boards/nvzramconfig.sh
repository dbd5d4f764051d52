#!/bin/bash
# A simulated device's stand-in for L4T's /etc/systemd/nvzramconfig.sh: one zram swap device per CPU, together
# half of the RAM, lzo, priority 5 (what the Jetson's script sets up). `start` makes them, `stop` removes them.
# zram is kernel-wide on the machine that simulates the device: tests start it only where they need it.
# Env: ZRAM_TOTAL_KB (default: MemTotal / 2).
set -eu
ctl=/sys/class/zram-control
case "${1:-start}" in
  start)
    cpus=$(nproc)
    total=${ZRAM_TOTAL_KB:-$(awk '/^MemTotal:/ { print int($2 / 2) }' /proc/meminfo)}
    each=$((total / cpus * 1024))
    for _ in $(seq "$cpus"); do
      n=$(cat "$ctl/hot_add")
      echo lzo > "/sys/block/zram$n/comp_algorithm" 2>/dev/null || true
      echo "$each" > "/sys/block/zram$n/disksize"
      mkswap "/dev/zram$n" >/dev/null
      swapon -p 5 "/dev/zram$n"
      echo "$n" >> /run/nvzramconfig.devices
    done ;;
  stop)
    [ -f /run/nvzramconfig.devices ] || exit 0
    while read -r n; do
      swapoff "/dev/zram$n" 2>/dev/null || true
      echo "$n" > "$ctl/hot_remove" 2>/dev/null || true
    done < /run/nvzramconfig.devices
    rm -f /run/nvzramconfig.devices ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
