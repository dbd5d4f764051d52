#!/usr/bin/env bash
# One simulated single-board computer: an SD card image (MBR: FAT32 boot + ext4 root) on a loop device,
# mounted as the device's "/", entered in private mount/UTS/PID namespaces, running sshd on its own
# loopback address. Run as root. Used by tests/EdgeOps.Tests/Fleet/SimulatedFleet.cs and bench/fleet.
#
#   device.sh create  DIR       make card image, partition, mkfs, mount on DIR/root, populate (env: see below)
#   device.sh start   DIR       enter the namespaces, start sshd; prints the keeper's host pid; waits for port
#   device.sh stop    DIR       kill the device (its whole PID namespace)
#   device.sh sshd    DIR       start sshd again in a running device
#   device.sh destroy DIR       stop, unmount, detach the loop device, remove DIR
#   device.sh init    DIR       (internal) runs as PID 1 of the device's namespaces
#
# create reads: DEV_NAME DEV_ADDR DEV_PORT DEV_KIND DEV_SUDO DEV_SIZE DEV_PWHASH DEV_AUTHKEYS (file) DEV_DATA_MB
#   DEV_BOOT_MIB (optional, 64): size of the FAT32 boot partition (Raspberry Pi OS makes 256 or 512).
#   DEV_READ_BPS (optional, 0 = no limit): the card reads at most this many bytes/s, as a real SD card does: the
#   device's processes (init, sshd, everything run through it) live in a cgroup v1 blkio group,
#   /sys/fs/cgroup/blkio/edgeops-<fleet>-<device>, with blkio.throttle.read_bps_device on the card's loop devices
#   (buffered and O_DIRECT reads alike; start makes it, stop and destroy remove it).
#   DEV_TREE (optional): the root tree of another architecture (tests/fleet/tree.sh ensure arm64|armhf). Such a
#   device's /usr is the tree's, its /etc a copy of the tree's; commands run under qemu-user-static (binfmt_misc).
#   sshd stays this machine's: it runs in the device's namespaces with the host's /usr and ChrootDirectory
#   into the device's root (so logins land in the ARM userland); the board's own /proc/cpuinfo is bound in.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
cmd=$1; DIR=$2
R="$DIR/root"          # the card's root partition, as the host sees it
H="$DIR/host"          # host-side files of the device (meminfo, firmware dir, logs)
# An emulated device's root inside its mount namespace: sshd's ChrootDirectory needs every folder on the way
# root-owned and not group/world-writable, which /var/tmp is not; /run there is the device's own tmpfs.
C=/run/edgeops-device/root
BLKIO=/sys/fs/cgroup/blkio

log() { printf '%s\n' "$*" >&2; }

meminfo() {   # $1 = MemTotal in kB; fixed-width lines so the keeper can rewrite in place
  local t=$1
  printf 'MemTotal:       %10d kB\nMemFree:        %10d kB\nMemAvailable:   %10d kB\nBuffers:        %10d kB\nCached:         %10d kB\nSwapCached:     %10d kB\nSwapTotal:      %10d kB\nSwapFree:       %10d kB\n' \
    "$t" $((t * 6 / 10)) $((t * 8 / 10)) $((t / 50)) $((t / 8)) 0 0 0
}

# user pi (uid 1000, a login password, member of sudo) in the account files of the etc folder $1; whatever
# had uid/gid 1000 or the name pi there is dropped first.
add_pi() {
  local E=$1
  awk -F: '$3==1000{print $1}' "$E/passwd" | while read -r u; do sed -i -E "/^$u:/d" "$E/shadow" "$E/gshadow" 2>/dev/null || true; done
  sed -i -E '/^pi:/d; /^[^:]*:[^:]*:1000:/d' "$E/passwd" "$E/group"
  for f in shadow gshadow subuid subgid; do [ -f "$E/$f" ] && sed -i -E '/^pi:/d' "$E/$f"; done
  echo "pi:x:1000:1000:Raspberry Pi user,,,:/home/pi:/bin/bash" >> "$E/passwd"
  echo "pi:x:1000:" >> "$E/group"
  echo "pi:$DEV_PWHASH:19700:0:99999:7:::" >> "$E/shadow"
  [ -f "$E/gshadow" ] && echo "pi:!::" >> "$E/gshadow"
  sed -i -E 's/^(sudo:[^:]*:[^:]*:)(.*)$/\1\2,pi/; s/^(sudo:[^:]*:[^:]*:),pi$/\1pi/' "$E/group"
}

create() {
  : "${DEV_NAME:?}" "${DEV_ADDR:?}" "${DEV_PORT:?}" "${DEV_KIND:?}" "${DEV_SUDO:?}" "${DEV_SIZE:?}" "${DEV_PWHASH:?}" "${DEV_AUTHKEYS:?}"
  mkdir -p "$DIR" "$R" "$H"
  local img="$DIR/card.img"
  truncate -s "$DEV_SIZE" "$img"
  # MBR like Raspberry Pi OS: p1 FAT32 (LBA) boot at 4 MiB, 64 MiB (DEV_BOOT_MIB); p2 Linux root, the rest.
  local bootsec=$(( ${DEV_BOOT_MIB:-64} * 2048 )) rootsec
  rootsec=$(( 8192 + bootsec ))
  printf 'label: dos\nlabel-id: 0x%08x\nunit: sectors\n\nstart=8192, size=%d, type=c\nstart=%d, type=83\n' \
    $(( (RANDOM << 16) | RANDOM )) "$bootsec" "$rootsec" | sfdisk -q --no-tell-kernel "$img" >/dev/null
  # Whole card, and one loop device per partition (this kernel may lack MBR partition scanning, so
  # partitions are loop devices at the partition's offset rather than loopNpM nodes).
  local card bootl rootl
  card=$(losetup --find --show "$img")
  bootl=$(losetup --find --show --offset $((8192 * 512)) --sizelimit $((bootsec * 512)) "$img")
  rootl=$(losetup --find --show --offset $((rootsec * 512)) "$img")
  echo "$card" > "$H/loop"; echo "$bootl" > "$H/bootloop"; echo "$rootl" > "$H/rootloop"
  echo "${DEV_READ_BPS:-0}" > "$H/read_bps"
  # read-ahead as an SD card's (mmcblk: 128 KiB), not a loop device's over a file (megabytes): with a read limit, every
  # small cold read would otherwise cost megabytes of the card's time
  for l in "$card" "$bootl" "$rootl"; do echo 128 > "/sys/block/${l##*/}/queue/read_ahead_kb" 2>/dev/null || true; done
  mkfs.vfat -F 32 -n BOOT "$bootl" >/dev/null
  # 4 KiB blocks on the emulated devices, as on a real card's root (mke2fs picks 1 KiB for a partition this small, where a
  # swap file's extents are not page-aligned and the kernel uses fewer pages than the file has)
  mkfs.ext4 -q -F -L rootfs ${DEV_TREE:+-b 4096} -E nodiscard,lazy_itable_init=1,lazy_journal_init=1 "$rootl"
  mount "$rootl" "$R"
  mkdir -p "$R/boot/firmware"

  # --- the root file system: /usr and friends come from the host (bind, read-only), the rest is on the card
  mkdir -p "$R"/{usr,dev,proc,sys,run,tmp,var/{log,tmp,lib,cache,backups,spool},home,root,mnt,media,opt,srv}
  chmod 1777 "$R/tmp" "$R/var/tmp"; chmod 700 "$R/root"
  ln -s usr/bin "$R/bin"; ln -s usr/sbin "$R/sbin"; ln -s usr/lib "$R/lib"
  local T=${DEV_TREE:-}   # "" = this machine's own userland
  [ -e "$T/lib64" ] && ln -s usr/lib64 "$R/lib64"
  cp -a "$T/etc" "$R/etc"
  if [ -n "$T" ]; then
    echo "$T" > "$H/tree"
    # dpkg's database, so the device knows its packages and architecture (dpkg --print-architecture)
    mkdir -p "$R/var/lib/dpkg" && cp -a "$T/var/lib/dpkg/." "$R/var/lib/dpkg/"
  fi
  local E="$R/etc"
  rm -f "$E"/ssh/ssh_host_* "$E"/machine-id "$E"/sudoers.d/* "$E"/mtab
  ln -s ../proc/self/mounts "$E/mtab"
  head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$E/machine-id"; echo >> "$E/machine-id"
  echo "$DEV_NAME" > "$E/hostname"
  printf '127.0.0.1\tlocalhost\n127.0.1.1\t%s\n%s\t%s\n::1\tlocalhost ip6-localhost ip6-loopback\n' "$DEV_NAME" "$DEV_ADDR" "$DEV_NAME" > "$E/hosts"
  add_pi "$E"
  if [ "$DEV_SUDO" = password ]; then
    # no cached credentials: every sudo asks (so wrong-password tests are independent of earlier runs)
    printf 'Defaults:pi timestamp_timeout=0\npi ALL=(ALL:ALL) ALL\n' > "$E/sudoers.d/010_pi"
  else
    echo 'pi ALL=(ALL) NOPASSWD: ALL' > "$E/sudoers.d/010_pi-nopasswd"
  fi
  chmod 440 "$E"/sudoers.d/*
  # os-release and board files
  rm -f "$E/os-release"
  case "$DEV_KIND" in
    raspberrypi3|raspberrypi4|raspberrypi5|raspberrypi-zero2)
      cat > "$E/os-release" <<'EOF'
PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
VERSION="12 (bookworm)"
VERSION_CODENAME=bookworm
ID=debian
HOME_URL="https://www.debian.org/"
SUPPORT_URL="https://www.debian.org/support"
BUG_REPORT_URL="https://bugs.debian.org/"
EOF
      echo "Raspberry Pi reference 2024-11-19" > "$E/rpi-issue" ;;
    jetson-*)
      cat > "$E/os-release" <<'EOF'
NAME="Ubuntu"
VERSION="18.04.6 LTS (Bionic Beaver)"
ID=ubuntu
ID_LIKE=debian
PRETTY_NAME="Ubuntu 18.04.6 LTS"
VERSION_ID="18.04"
HOME_URL="https://www.ubuntu.com/"
SUPPORT_URL="https://help.ubuntu.com/"
BUG_REPORT_URL="https://bugs.launchpad.net/ubuntu/"
VERSION_CODENAME=bionic
UBUNTU_CODENAME=bionic
EOF
      echo "# R32 (release), REVISION: 7.1, GCID: 29818004, BOARD: t210ref, EABI: aarch64, DATE: Sat Feb 19 17:05:08 UTC 2022" > "$E/nv_tegra_release" ;;
  esac
  local model mem
  case "$DEV_KIND" in
    raspberrypi3) model="Raspberry Pi 3 Model B Rev 1.2"; mem=944268 ;;
    raspberrypi4) model="Raspberry Pi 4 Model B Rev 1.4"; mem=3885396 ;;
    raspberrypi5) model="Raspberry Pi 5 Model B Rev 1.0"; mem=8245168 ;;
    jetson-nano)  model="NVIDIA Jetson Nano Developer Kit"; mem=4051032 ;;
    *)            model="Generic Linux SBC"; mem=2007040 ;;
  esac
  mkdir -p "$H/firmware/devicetree/base"
  printf '%s\0' "$model" > "$H/firmware/devicetree/base/model"
  meminfo "$mem" > "$H/meminfo"
  local arch=host
  if [ -n "$T" ]; then
    arch=$(sed -n 's/^arch=//p' "$T/.edgeops-tree")
    # the board's own /proc/cpuinfo: ONNX Runtime's cpuinfo crashes under qemu-user on this machine's x86 text
    cp "$HERE/boards/$DEV_KIND-$arch.cpuinfo" "$H/cpuinfo"
    if [ "${DEV_KIND#jetson-}" != "$DEV_KIND" ]; then
      # L4T's zram set-up (its script and unit); the zram swap is kernel-wide, so tests start it when they need it
      mkdir -p "$E/systemd/system/multi-user.target.wants"
      cp "$HERE/boards/nvzramconfig.sh" "$E/systemd/nvzramconfig.sh"; chmod 755 "$E/systemd/nvzramconfig.sh"
      printf '[Unit]\nDescription=ZRAM configuration\n\n[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStart=/etc/systemd/nvzramconfig.sh start\nExecStop=/etc/systemd/nvzramconfig.sh stop\n\n[Install]\nWantedBy=multi-user.target\n' \
        > "$E/systemd/system/nvzramconfig.service"
      ln -sf ../nvzramconfig.service "$E/systemd/system/multi-user.target.wants/nvzramconfig.service"
    fi
  fi
  # fstab as Raspberry Pi OS writes it (by PARTUUID)
  local ptuuid
  ptuuid=$(sfdisk --disk-id "$img" | sed 's/^0x//')
  printf 'proc            /proc           proc    defaults          0       0\nPARTUUID=%s-01  /boot/firmware  vfat    defaults          0       2\nPARTUUID=%s-02  /               ext4    defaults,noatime  0       1\n' \
    "$ptuuid" "$ptuuid" > "$E/fstab"

  # --- sshd: fresh host keys, own config on its own address
  ssh-keygen -q -t ed25519 -N '' -C "root@$DEV_NAME" -f "$E/ssh/ssh_host_ed25519_key"
  ssh-keygen -q -t ecdsa -b 256 -N '' -C "root@$DEV_NAME" -f "$E/ssh/ssh_host_ecdsa_key"
  # an emulated device's sshd is this machine's, outside the device's root: its paths lead into it (C)
  local S="" sftp=/usr/lib/openssh/sftp-server
  if [ -n "$T" ]; then S=$C; sftp=internal-sftp; fi
  cat > "$E/ssh/sshd_config_edgeops" <<EOF
# EdgeOps simulated device $DEV_NAME
ListenAddress $DEV_ADDR:$DEV_PORT
HostKey $S/etc/ssh/ssh_host_ed25519_key
HostKey $S/etc/ssh/ssh_host_ecdsa_key
PidFile $S/run/sshd.pid
UsePAM no
PasswordAuthentication yes
KbdInteractiveAuthentication no
PubkeyAuthentication yes
AuthorizedKeysFile $S%h/.ssh/authorized_keys
StrictModes no
PermitRootLogin no
UseDNS no
PrintMotd no
AllowTcpForwarding yes
MaxSessions 64
MaxStartups 100:30:200
LogLevel VERBOSE
Subsystem sftp $sftp
EOF
  if [ -n "$T" ]; then
    echo "ChrootDirectory $C" >> "$E/ssh/sshd_config_edgeops"
    # the accounts sshd itself looks up (outside the root): this machine's, with the same pi
    mkdir -p "$H/etc"
    for f in passwd group shadow gshadow; do if [ -f "/etc/$f" ]; then cp -a "/etc/$f" "$H/etc/$f"; fi; done
    add_pi "$H/etc"
  fi

  # --- the card's content: boot files, pi's home, data, and deleted data left in free blocks
  # boot partition (FAT32): written with mtools, mounted in the device with fusefat (kernel has no vfat)
  local B="$H/bootfiles"
  mkdir -p "$B"
  printf '# %s\narm_64bit=%s\ndtparam=audio=on\ncamera_auto_detect=1\ndisplay_auto_detect=1\ndtoverlay=vc4-kms-v3d\nmax_framebuffers=2\n[all]\n' "$DEV_KIND" "$([ "$arch" = armhf ] && echo 0 || echo 1)" > "$B/config.txt"
  echo "console=serial0,115200 console=tty1 root=PARTUUID=$ptuuid-02 rootfstype=ext4 fsck.repair=yes rootwait" > "$B/cmdline.txt"
  head -c 65536 /dev/urandom > "$B/kernel8.img"
  MTOOLS_SKIP_CHECK=1 mcopy -o -i "$bootl" "$B/config.txt" "$B/cmdline.txt" "$B/kernel8.img" ::/ >/dev/null 2>&1
  rm -rf "$B"
  fusefat -o rw+,allow_other "$bootl" "$R/boot/firmware" >/dev/null 2>&1
  mkdir -p "$R/home/pi/.ssh" "$R/home/pi/data" "$R/home/pi/models"
  cp "$DEV_AUTHKEYS" "$R/home/pi/.ssh/authorized_keys"
  chmod 700 "$R/home/pi/.ssh"; chmod 600 "$R/home/pi/.ssh/authorized_keys"
  cp /etc/skel/.bashrc /etc/skel/.profile "$R/home/pi/" 2>/dev/null || true
  printf 'device %s (%s)\nowner: edge team\n' "$DEV_NAME" "$DEV_KIND" > "$R/home/pi/notes.txt"
  local mb=${DEV_DATA_MB:-4}
  head -c $((mb << 20)) /dev/urandom > "$R/home/pi/data/samples.bin"
  head -c $((2 << 20)) /dev/urandom > "$R/home/pi/old-capture.bin"
  sync -f "$R/home/pi/old-capture.bin"
  rm -f "$R/home/pi/old-capture.bin"
  chown -R 1000:1000 "$R/home/pi"
  echo "$DEV_NAME" > "$H/name"; echo "$DEV_ADDR" > "$H/addr"; echo "$DEV_PORT" > "$H/port"
}

# PID 1 of the device: mounts, pivot_root into the card, sshd, then a reaper that keeps
# /proc/meminfo's swap lines in step (tests/fleet/keeper.py).
init() {
  local addr name
  name=$(cat "$H/name")
  [ -f "$H/tree" ] && init_emulated "$name"
  mount --bind /usr "$R/usr"
  mount -o remount,bind,ro "$R/usr"
  mount --rbind /dev "$R/dev"
  mount -t proc proc "$R/proc"
  mount --bind "$H/meminfo" "$R/proc/meminfo"
  mount --rbind /sys "$R/sys"
  mount --bind "$H/firmware" "$R/sys/firmware"
  mount -t tmpfs -o mode=0755,size=64m tmpfs "$R/run"
  mkdir -m 0755 "$R/run/sshd" "$R/run/lock"
  hostname "$name"
  exec 3< "$HERE/keeper.py"     # read after pivot_root, when the host's files are gone
  cd "$R"
  mkdir -p .oldroot
  pivot_root . .oldroot
  cd /
  umount -l /.oldroot
  rmdir /.oldroot
  export HOME=/root LANG=C.UTF-8
  /usr/sbin/sshd -f /etc/ssh/sshd_config_edgeops -E /var/log/sshd.log
  exec -a "edgeops-device $name" /usr/bin/python3 -S /dev/fd/3
}

# PID 1 of an emulated device: the device's root is assembled at C (the card, the tree's /usr, own /proc with the
# board's cpuinfo and meminfo, /sys with its device tree), sshd runs from this machine's /usr with the device's
# accounts and ChrootDirectory C, and the keeper chroots into C (so nsenter -r enters the device's root).
init_emulated() {
  local name=$1 tree
  tree=$(cat "$H/tree")
  mount -t tmpfs -o mode=0755,size=16m tmpfs /run
  mkdir -p -m 0755 /run/sshd "$C"
  mount --rbind "$R" "$C"
  mount --bind "$tree/usr" "$C/usr"
  mount -o remount,bind,ro "$C/usr"
  mount --rbind /dev "$C/dev"
  mount -t proc proc "$C/proc"
  mount --bind "$H/meminfo" "$C/proc/meminfo"
  mount --bind "$H/cpuinfo" "$C/proc/cpuinfo"
  mount --rbind /sys "$C/sys"
  mount --bind "$H/firmware" "$C/sys/firmware"
  mount -t tmpfs -o mode=0755,size=64m tmpfs "$C/run"
  mkdir -m 0755 "$C/run/lock"
  for f in passwd group shadow gshadow; do if [ -f "$H/etc/$f" ]; then mount --bind "$H/etc/$f" "/etc/$f"; fi; done
  hostname "$name"
  export HOME=/root LANG=C.UTF-8
  /usr/sbin/sshd -f "$C/etc/ssh/sshd_config_edgeops" -E "$C/var/log/sshd.log"
  exec 3< "$HERE/keeper.py"
  cd /
  exec -a "edgeops-device $name" /usr/bin/python3 -S /dev/fd/3 "$C"
}

# (Re)starts sshd in a running device (the one init started is gone: StopSshd, tests).
start_sshd() {
  local kpid
  kpid=$(keeper_pid)
  [ -n "$kpid" ] || { log "device $DIR is not running"; exit 1; }
  if [ -f "$H/tree" ]; then
    nsenter -t "$kpid" -m -u -p -- /usr/sbin/sshd -f "$C/etc/ssh/sshd_config_edgeops" -E "$C/var/log/sshd.log"
  else
    nsenter -t "$kpid" -m -u -p -r -w -- /usr/sbin/sshd -f /etc/ssh/sshd_config_edgeops -E /var/log/sshd.log
  fi
}

keeper_pid() { [ -f "$H/keeper.pid" ] && cat "$H/keeper.pid" || true; }

# The device's blkio cgroup: named after the fleet and device folders (unique on this machine).
cgroup_dir() { local real; real=$(readlink -f "$DIR"); echo "$BLKIO/edgeops-$(basename "$(dirname "$real")")-$(basename "$real")"; }

# Makes the cgroup with the read limit on the card's loop devices (whole card and partitions); prints its folder,
# nothing when the device reads at full speed.
cgroup_make() {
  local bps cg l mm
  bps=$(cat "$H/read_bps" 2>/dev/null || echo 0)
  [ "$bps" -gt 0 ] 2>/dev/null || return 0
  [ -w "$BLKIO/cgroup.procs" ] || { log "device $DIR: a read limit needs cgroup v1 blkio at $BLKIO"; exit 1; }
  cg=$(cgroup_dir)
  mkdir -p "$cg"
  for l in "$(cat "$H/loop")" "$(cat "$H/bootloop")" "$(cat "$H/rootloop")"; do
    mm=$(lsblk -ndo MAJ:MIN "$l" | tr -d ' ')
    echo "$mm $bps" > "$cg/blkio.throttle.read_bps_device"
  done
  echo "$cg"
}

# Removes the cgroup (its processes are gone or killed first).
cgroup_remove() {
  local cg p
  cg=$(cgroup_dir)
  [ -d "$cg" ] || return 0
  for _ in $(seq 300); do
    rmdir "$cg" 2>/dev/null && return 0
    while read -r p; do kill -KILL "$p" 2>/dev/null || true; done < "$cg/cgroup.procs"
    sleep 0.01
  done
  log "device $DIR: cgroup $cg not removed"
}

start() {
  local addr port upid kpid="" cg
  addr=$(cat "$H/addr"); port=$(cat "$H/port")
  cg=$(cgroup_make)
  # the device's first process joins the cgroup before anything starts, so all of the device inherits it
  ( if [ -n "$cg" ]; then echo "$BASHPID" > "$cg/cgroup.procs"; fi
    exec setsid unshare --mount --uts --pid --fork --propagation private -- /bin/bash "$HERE/device.sh" init "$DIR" ) </dev/null >"$H/init.log" 2>&1 &
  upid=$!
  for _ in $(seq 500); do
    kpid=$(cat "/proc/$upid/task/$upid/children" 2>/dev/null | awk '{print $1}')
    [ -n "$kpid" ] && break
    sleep 0.01
  done
  [ -n "$kpid" ] || { log "device $DIR: namespace did not start"; cat "$H/init.log" >&2; exit 1; }
  echo "$kpid" > "$H/keeper.pid"
  for _ in $(seq 1000); do
    if (exec 3<>"/dev/tcp/$addr/$port") 2>/dev/null; then echo "$kpid"; return 0; fi
    kill -0 "$kpid" 2>/dev/null || break
    sleep 0.01
  done
  log "device $DIR: sshd did not come up on $addr:$port"; cat "$H/init.log" >&2
  cat "$R/var/log/sshd.log" >&2 2>/dev/null || true
  exit 1
}

stop() {
  local kpid
  kpid=$(keeper_pid)
  if [ -n "$kpid" ] && kill -0 "$kpid" 2>/dev/null && tr '\0' ' ' < "/proc/$kpid/cmdline" | grep -q '^edgeops-device '; then
    kill -KILL "$kpid" 2>/dev/null || true
    for _ in $(seq 300); do kill -0 "$kpid" 2>/dev/null || break; sleep 0.01; done
  fi
  rm -f "$H/keeper.pid"
  cgroup_remove
}

destroy() {
  # only ever a device folder made by create (guards against a wrong DIR)
  [ -d "$DIR/host" ] || [ -f "$DIR/card.img" ] || { log "$DIR is not a simulated device folder: nothing done"; return 0; }
  stop || true
  # anything still rooted in this device (a crashed run's leftovers): kill it
  local real p
  real=$(readlink -f "$DIR")
  for p in /proc/[0-9]*; do
    case "$(readlink "$p/root" 2>/dev/null)" in "$real"/*) kill -KILL "${p#/proc/}" 2>/dev/null || true ;; esac
  done
  cgroup_remove
  # unmount everything under DIR, deepest first
  awk -v d="$real/" '{ gsub(/\\040/, " ", $5); if (index($5 "/", d) == 1) print $5 }' /proc/self/mountinfo | sort -r | while read -r m; do
    umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
  done
  # detach loop devices backed by images in DIR
  local l bf
  for l in /sys/block/loop*; do
    bf=$(cat "$l/loop/backing_file" 2>/dev/null || true)
    case "$bf" in "$real"/*) losetup -d "/dev/${l##*/}" 2>/dev/null || true ;; esac
  done
  rm -rf --one-file-system "$DIR"
}

case "$cmd" in
  create) create ;;
  init) init ;;
  start) start ;;
  stop) stop ;;
  sshd) start_sshd ;;
  destroy) destroy ;;
  *) log "usage: $0 create|start|stop|destroy DIR"; exit 2 ;;
esac
