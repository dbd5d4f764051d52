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
            foreach (var pid in DevicePids()) Move(pid, _procs);
        }
        catch { Dispose(); throw; }
    }

    /// <summary>The cgroup's path as the kernel names it in its out-of-memory messages.</summary>
    public string CgroupPath => _path;

    IEnumerable<int> DevicePids()
    {
        var root = Path.GetFullPath(_device.RootDir);
        foreach (var d in Directory.GetDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(d), out var pid)) continue;
            string? r = null;
            try { r = new FileInfo(Path.Combine(d, "root")).LinkTarget; } catch (Exception) { }
            if (r != null && (r == root || r.StartsWith(root + "/", StringComparison.Ordinal))) yield return pid;
        }
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
