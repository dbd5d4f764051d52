#!/bin/sh
# Get-EdgeDevice -Probe (and the checks that need the same facts): one key=value per line. Sizes stay in kB on the
# device: mawk (Debian's awk) prints products above 2^31 in exponent form.
echo "model=$(tr -d '\0' 2>/dev/null < /sys/firmware/devicetree/base/model || tr -d '\0' 2>/dev/null < /proc/device-tree/model)"
echo "arch=$(uname -m)"
echo "kernel=$(uname -r)"
awk '/^MemTotal:/{print "memkb=" $2} /^SwapTotal:/{print "swapkb=" $2} /^MemAvailable:/{print "memavailkb=" $2} /^SwapFree:/{print "swapfreekb=" $2}' /proc/meminfo
echo "rootfreekb=$(df -Pk / | awk 'NR==2{print $4}')"
# shellcheck disable=SC1091 # the device's own file, read there
( . /etc/os-release 2>/dev/null; echo "os=$PRETTY_NAME" )
echo "python=$(python3 -c 'import platform;print(platform.python_version())' 2>/dev/null)"
echo "l4t=$(head -n1 /etc/nv_tegra_release 2>/dev/null)"
echo "uid=$(id -u)"
