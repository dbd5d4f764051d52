# PID 1 of a simulated device (runs inside it, with the host's python3): reaps orphans, and keeps the
# swap lines of the device's private /proc/meminfo (a bind-mounted file) in step with the swap areas
# enabled from inside the device (swap is kernel-global; areas of other devices are not counted).
# Argument (emulated ARM devices): the device's root, which it chroots into once started.
import os, signal, sys, time

if len(sys.argv) > 1:
    # an emulated device: sshd was started outside; from here on this process (and nsenter -r) is in its root
    os.chroot(sys.argv[1])
    os.chdir("/")

signal.signal(signal.SIGTERM, lambda *a: os._exit(0))


def swap_kb():
    total = used = 0
    try:
        with open("/proc/swaps") as f:
            next(f)
            for line in f:
                p = line.split()
                if len(p) < 4:
                    continue
                path = p[0].replace("\\040", " ")
                # areas outside this device's root show as host paths that do not exist in here
                if path.startswith("/var/tmp/edgeops-fleet/") or not os.path.exists(path):
                    continue
                total += int(p[2])
                used += int(p[3])
    except Exception:
        pass
    return total, used


last = None
while True:
    try:
        while os.waitpid(-1, os.WNOHANG)[0] > 0:
            pass
    except ChildProcessError:
        pass
    s = swap_kb()
    if s != last:
        try:
            with open("/proc/meminfo", "r+") as f:
                lines = f.read().split("\n")
                for i, l in enumerate(lines):
                    if l.startswith("SwapTotal:"):
                        lines[i] = "SwapTotal:      %10d kB" % s[0]
                    elif l.startswith("SwapFree:"):
                        lines[i] = "SwapFree:       %10d kB" % (s[0] - s[1])
                f.seek(0)
                f.write("\n".join(lines))
            last = s
        except Exception:
            pass
    time.sleep(0.2)
