using System.Globalization;
using EdgeOps.Tests.Fleet;

namespace EdgeOps.Tests.Builds;

/// <summary>
/// A memory cgroup around a whole simulated device: every process whose root is the device's card (its sshd, and
/// so every later SSH session and build) moves into a child of this test process's own memory cgroup, with a limit.
/// cgroup v1 (memory controller) or v2. Dispose moves the processes back and removes the cgroup.
/// </summary>
public sealed class MemoryCgroup : IDisposable
{
    readonly string _path, _parent, _procs, _parentProcs;
    readonly SimulatedDevice _device;

    public MemoryCgroup(SimulatedDevice device, long limitBytes)
    {
        _device = device;
        var lines = File.ReadAllLines("/proc/self/cgroup");
        var v1 = lines.Select(l => l.Split(':', 3)).FirstOrDefault(p => p.Length == 3 && p[1].Split(',').Contains("memory"));
        string limitFile;
        if (v1 != null && Directory.Exists("/sys/fs/cgroup/memory"))
        {
            _parent = "/sys/fs/cgroup/memory" + v1[2].TrimEnd('/');
            limitFile = "memory.limit_in_bytes";
        }
        else
        {
            var v2 = lines.Select(l => l.Split(':', 3)).First(p => p[0] == "0");
            _parent = "/sys/fs/cgroup" + v2[2].TrimEnd('/');
            limitFile = "memory.max";
        }
        _path = Path.Combine(_parent, "edgeops-build-test-" + Guid.NewGuid().ToString("N")[..8]);
        _procs = Path.Combine(_path, "cgroup.procs");
        _parentProcs = Path.Combine(_parent, "cgroup.procs");
        Directory.CreateDirectory(_path);
        try
        {
            File.WriteAllText(Path.Combine(_path, limitFile), limitBytes.ToString(CultureInfo.InvariantCulture));
            var swap = Path.Combine(_path, limitFile == "memory.max" ? "memory.swap.max" : "memory.memsw.limit_in_bytes");
            try { File.WriteAllText(swap, limitFile == "memory.max" ? "0" : limitBytes.ToString(CultureInfo.InvariantCulture)); } catch (IOException) { }
            foreach (var pid in DevicePids()) { Move(pid, _procs); Moved++; }
        }
        catch { Dispose(); throw; }
    }

    /// <summary>How many of the device's processes were moved in.</summary>
    public int Moved { get; private set; }

    /// <summary>The cgroup's path as the kernel names it in its out-of-memory messages.</summary>
    public string CgroupPath => _path;

    /// <summary>The processes of the device: those in its PID namespace (the keeper's, <see cref="SimulatedDevice.Pid"/>).</summary>
    IEnumerable<int> DevicePids()
    {
        const string script = "ns=$(readlink \"/proc/$1/ns/pid\") || exit 1; for p in /proc/[0-9]*; do [ \"$(readlink \"$p/ns/pid\" 2>/dev/null)\" = \"$ns\" ] && echo \"${p#/proc/}\"; done; true";
        var r = HostProcess.Run("/bin/sh", new[] { "-c", script, "pids", _device.Pid.ToString(CultureInfo.InvariantCulture) }).EnsureOk("listing the device's processes");
        return r.stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => int.Parse(l.Trim(), CultureInfo.InvariantCulture)).ToList();
    }

    static void Move(int pid, string procs)
    {
        try { File.WriteAllText(procs, pid.ToString(CultureInfo.InvariantCulture)); }
        catch (IOException) { /* gone meanwhile */ }
    }

    public void Dispose()
    {
        if (!Directory.Exists(_path)) return;
        for (int round = 0; round < 50; round++)
        {
            string[] left;
            try { left = File.ReadAllLines(_procs).Where(l => l.Length > 0).ToArray(); } catch (IOException) { break; }
            if (left.Length == 0) break;
            foreach (var p in left) Move(int.Parse(p, CultureInfo.InvariantCulture), _parentProcs);
            Thread.Sleep(20);
        }
        try { Directory.Delete(_path); } catch (IOException) { }
    }
}
