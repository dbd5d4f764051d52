using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace EdgeOps.Tests.Fleet;

/// <summary>
/// N simulated single-board computers on this machine, for tests and benchmarks. Each device is an SD card
/// image (MBR: FAT32 boot + ext4 root) on loop devices, mounted as the device's "/", entered in private
/// mount/UTS/PID namespaces, with sshd on its own loopback address (127.0.X.n:22), a user `pi` and
/// per-board facts (model, /proc/meminfo, os-release, nv_tegra_release). Root only.
/// Device 0: Raspberry Pi 4 (4 GB), NOPASSWD sudo; device 1: Raspberry Pi 5 (8 GB), password sudo;
/// device 2: Jetson Nano (4 GB, L4T 32.7.1), NOPASSWD sudo; further devices repeat the pattern.
/// Dispose tears everything down; Start first removes what a crashed run left behind.
/// The work is done by tests/fleet/device.sh (also usable by hand).
/// <para>
/// A fleet of given kinds: <c>SimulatedFleet.Start(new[] { SimulatedKinds.Pi4Arm64, SimulatedKinds.Pi3Armhf })</c>
/// (or <see cref="FleetFixture"/>'s kinds constructor). The plain kinds (raspberrypi4, raspberrypi5, jetson-nano)
/// run this machine's own userland (x86_64); the boards' own platforms, <see cref="SimulatedKinds.Pi4Arm64"/>
/// (aarch64, 64-bit Raspberry Pi OS-like), <see cref="SimulatedKinds.Pi3Armhf"/> (armv7l, 32-bit Raspberry Pi OS-like)
/// and <see cref="SimulatedKinds.JetsonNanoArm64"/> (aarch64, L4T files and nvzramconfig), run an arm64 or armhf
/// Debian tree under qemu-user-static (tests/fleet/tree.sh builds the trees once per machine, cached by package
/// list; tests/setup/platforms.sh installs and registers qemu). Commands there are emulated: 10-50x slower.
/// Device i has password sudo when i % 3 == 1, whatever the kinds.
/// </para>
/// </summary>
public sealed class SimulatedFleet : IDisposable
{
    /// <summary>Where fleets live: BaseDir/f&lt;X&gt;/ for the fleet on 127.0.X.*, BaseDir/f&lt;X&gt;.owner its lock.</summary>
    public const string BaseDir = "/var/tmp/edgeops-fleet";

    static readonly string[] s_defaultKinds = { "raspberrypi4", "raspberrypi5", "jetson-nano" };
    static readonly string[] s_keyKinds = { "ed25519", "ed25519-passphrase", "ecdsa", "rsa" };
    static readonly object s_allocLock = new();

    readonly List<SimulatedDevice> _devices = new();
    readonly string _ownerFile;
    int _disposed;

    SimulatedFleet(int subnet, int port, string dir, string ownerFile)
    {
        Subnet = subnet; Port = port; TempDir = dir; _ownerFile = ownerFile;
        var rnd = Convert.ToHexString(Guid.NewGuid().ToByteArray()).ToLowerInvariant();
        // Passwords with spaces and quotes: nothing on the way may treat them as shell text.
        PiPassword = $"pi pw'{rnd[..8]}\"$x";
        KeyPassphrase = $"key pass {rnd[8..16]}";
    }

    /// <summary>X of 127.0.X.n, unique among the fleets running on this machine.</summary>
    public int Subnet { get; }
    /// <summary>The SSH port every device listens on (22 unless the host already has a wildcard listener there).</summary>
    public int Port { get; }
    public string TempDir { get; }
    public string InventoryPath => Path.Combine(TempDir, "fleet.yaml");
    /// <summary>known_hosts with every device's current host keys.</summary>
    public string KnownHostsPath => Path.Combine(TempDir, "known_hosts");
    public IReadOnlyList<SimulatedDevice> Devices => _devices;
    /// <summary>pi's login password (also what sudo asks on the password-sudo device).</summary>
    public string PiPassword { get; }
    /// <summary>The password for sudo on the password-sudo device: pi's own password, as on a real Pi.</summary>
    public string SudoPassword => PiPassword;
    public string KeyPassphrase { get; }
    public TimeSpan StartupTime { get; private set; }
    /// <summary>Where startup time went (phase: milliseconds), for the benchmark and slow-start diagnosis.</summary>
    public string StartupReport => string.Join(", ", _phases.Select(p => $"{p.phase} {p.ms:0} ms"));
    readonly List<(string phase, double ms)> _phases = new();
    readonly Stopwatch _phase = Stopwatch.StartNew();
    void Phase(string name) { lock (_phases) _phases.Add((name, _phase.Elapsed.TotalMilliseconds)); _phase.Restart(); }

    /// <summary>Client private key (OpenSSH format; every public half is in pi's authorized_keys).</summary>
    public string KeyPath(string kind)
    {
        if (Array.IndexOf(s_keyKinds, kind) < 0)
            throw new ArgumentException($"Unknown key kind '{kind}': use one of {string.Join(", ", s_keyKinds)}.", nameof(kind));
        return Path.Combine(TempDir, "keys", "id_" + kind.Replace('-', '_'));
    }

    internal static string ScriptDir { get; } = FindScripts();

    static string FindScripts()
    {
        var env = Environment.GetEnvironmentVariable("EDGEOPS_FLEET_SCRIPTS");
        if (!string.IsNullOrEmpty(env)) return env;
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d != null; d = d.Parent)
        {
            var p = Path.Combine(d.FullName, "tests", "fleet", "device.sh");
            if (File.Exists(p)) return Path.GetDirectoryName(p)!;
        }
        throw new InvalidOperationException("tests/fleet/device.sh not found above " + AppContext.BaseDirectory + " (set EDGEOPS_FLEET_SCRIPTS).");
    }

    internal static string DeviceScript => Path.Combine(ScriptDir, "device.sh");

    /// <param name="cardReadBytesPerSecond">0: the cards read as fast as this machine can; else each card reads at most this
    /// fast (a cgroup v1 blkio throttle on the device's processes: 40 MiB/s is a Raspberry Pi 4 with a good A1 card).</param>
    /// <param name="bootMiB">Size of the FAT32 boot partition (Raspberry Pi OS makes 256 or 512 MiB).</param>
    public static SimulatedFleet Start(int count = 3, long cardBytes = 512L << 20, long cardReadBytesPerSecond = 0, int bootMiB = 64)
    {
        if (count < 1 || count > 250) throw new ArgumentOutOfRangeException(nameof(count), "1 to 250 devices.");
        return Start(Enumerable.Range(0, count).Select(i => s_defaultKinds[i % s_defaultKinds.Length]).ToArray(), cardBytes, cardReadBytesPerSecond, bootMiB);
    }

    /// <summary>A fleet with one device per entry of <paramref name="kinds"/> (see <see cref="SimulatedKinds"/>), in that order.</summary>
    public static SimulatedFleet Start(IReadOnlyList<string> kinds, long cardBytes = 512L << 20, long cardReadBytesPerSecond = 0, int bootMiB = 64)
    {
        if (kinds == null || kinds.Count < 1 || kinds.Count > 250) throw new ArgumentOutOfRangeException(nameof(kinds), "1 to 250 devices.");
        foreach (var k in kinds) SimulatedKinds.Parse(k);   // unknown kinds fail before anything is made
        if (bootMiB < 33 || cardBytes < ((bootMiB + 64L) << 20)) throw new ArgumentOutOfRangeException(nameof(cardBytes), "a boot partition of at least 33 MiB (FAT32) and a card at least 64 MiB larger.");
        if (cardReadBytesPerSecond < 0) throw new ArgumentOutOfRangeException(nameof(cardReadBytesPerSecond), "0 (no limit) or bytes per second.");
        if (cardReadBytesPerSecond > 0 && !File.Exists("/sys/fs/cgroup/blkio/cgroup.procs"))
            throw new InvalidOperationException("A card read limit needs cgroup v1 blkio mounted at /sys/fs/cgroup/blkio.");
        if (!FleetRequirements.IsRoot)
            throw new InvalidOperationException("The simulated fleet needs root (loop devices, mounts, namespaces, sshd). Run the tests as root.");
        var sw = Stopwatch.StartNew();
        Directory.CreateDirectory(BaseDir);
        CleanupStale();
        var fleet = Allocate();
        fleet.Phase("cleanup+allocate");
        try
        {
            fleet.Boot(kinds, cardBytes, cardReadBytesPerSecond, bootMiB);
        }
        catch
        {
            fleet.Dispose();
            throw;
        }
        fleet.StartupTime = sw.Elapsed;
        AppDomain.CurrentDomain.ProcessExit += fleet.OnProcessExit;
        return fleet;
    }

    void OnProcessExit(object? sender, EventArgs e) => Dispose();

    // ---------- allocation and stale-run cleanup ----------

    static SimulatedFleet Allocate()
    {
        lock (s_allocLock)
        {
            int start = (Environment.ProcessId * 7919 + Environment.TickCount) & 0x7fffffff;
            for (int i = 0; i < 200; i++)
            {
                int x = 40 + (start + i) % 200;           // 127.0.40.* .. 127.0.239.*
                var owner = Path.Combine(BaseDir, $"f{x}.owner");
                FileStream fs;
                try { fs = new FileStream(owner, FileMode.CreateNew, FileAccess.Write); }
                catch (IOException) { continue; }          // taken (a live fleet, or stale: cleaned at next start)
                using (fs)
                {
                    var me = Encoding.ASCII.GetBytes($"{Environment.ProcessId} {ProcessStartTicks(Environment.ProcessId)}\n");
                    fs.Write(me);
                }
                if (Listening(x))
                {
                    // someone outside our scheme uses 127.0.x.1: leave the lock so we don't try again
                    continue;
                }
                int port = PortFree(x, 22) ? 22 : 2222;
                var dir = Path.Combine(BaseDir, $"f{x}");
                if (Directory.Exists(dir)) DestroyDir(dir);
                Directory.CreateDirectory(dir);
                return new SimulatedFleet(x, port, dir, owner);
            }
            throw new InvalidOperationException($"No free 127.0.X.* subnet for a simulated fleet: look at {BaseDir}.");
        }
    }

    static bool Listening(int x)
    {
        foreach (var p in new[] { 22, 2222 })
        {
            try
            {
                using var c = new TcpClient();
                if (c.ConnectAsync(IPAddress.Parse($"127.0.{x}.1"), p).Wait(200) && c.Connected) return true;
            }
            catch (Exception) { }
        }
        return false;
    }

    static bool PortFree(int x, int port)
    {
        try
        {
            var l = new TcpListener(IPAddress.Parse($"127.0.{x}.1"), port);
            l.Start(); l.Stop();
            return true;
        }
        catch (SocketException) { return false; }
    }

    /// <summary>Removes fleets whose owning process is gone: kills their processes, unmounts, detaches loops.</summary>
    public static void CleanupStale()
    {
        if (!Directory.Exists(BaseDir)) return;
        foreach (var owner in Directory.GetFiles(BaseDir, "f*.owner"))
        {
            if (OwnerAlive(owner)) continue;
            var dir = owner[..^".owner".Length];
            if (Directory.Exists(dir)) DestroyDir(dir);
            try { File.Delete(owner); } catch (IOException) { }
        }
        foreach (var dir in Directory.GetDirectories(BaseDir))
            if (!File.Exists(dir + ".owner")) DestroyDir(dir);   // owner file is written before the dir: no owner = stale
    }

    static bool OwnerAlive(string ownerFile)
    {
        try
        {
            var parts = File.ReadAllText(ownerFile).Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (parts.Length < 2 || !int.TryParse(parts[0], out var pid)) return false;
            return ProcessStartTicks(pid) is { } ticks && ticks == parts[1];
        }
        catch (IOException) { return false; }
    }

    static string? ProcessStartTicks(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var after = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return after[19];   // field 22: starttime
        }
        catch (Exception) { return null; }   // no such process
    }

    static void DestroyDir(string dir)
    {
        RemoveFirewallTables(Path.GetFileName(dir).TrimStart('f'));
        var devs = Directory.Exists(dir) ? Directory.GetDirectories(dir, "d*") : Array.Empty<string>();
        Parallel.ForEach(devs, d => HostProcess.Run("/bin/bash", new[] { DeviceScript, "destroy", d }, timeout: TimeSpan.FromSeconds(60)));
        try { Directory.Delete(dir, true); } catch (Exception) { /* a mount left: destroy's rm is --one-file-system */ }
    }

    /// <summary>nftables tables left by <see cref="SimulatedDevice.OnlyReachableThroughOtherDevices"/> for fleet X.</summary>
    static void RemoveFirewallTables(string subnet)
    {
        try
        {
            var r = HostProcess.Run("nft", new[] { "list", "tables" });
            foreach (var line in r.stdout.Split('\n'))
            {
                var parts = line.Trim().Split(' ');
                if (parts.Length == 3 && parts[2].StartsWith($"edgeops_fleet_{subnet}_", StringComparison.Ordinal))
                    HostProcess.Run("nft", new[] { "delete", "table", parts[1], parts[2] });
            }
        }
        catch (System.ComponentModel.Win32Exception) { /* no nft here: nothing to remove */ }
    }

    // ---------- boot ----------

    void Boot(IReadOnlyList<string> kinds, long cardBytes, long readBps, int bootMiB)
    {
        int count = kinds.Count;
        // The root trees of the emulated kinds (cached on this machine; built the first time, a few minutes each).
        var trees = kinds.Select(k => SimulatedKinds.Parse(k).treeArch).OfType<string>().Distinct()
            .AsParallel().Select(a => (a, dir: SimulatedKinds.EnsureTree(a))).ToDictionary(t => t.a, t => t.dir);
        if (trees.Count > 0) Phase("trees");
        Directory.CreateDirectory(Path.Combine(TempDir, "keys"));
        // client keys are made while the cards are; pi's authorized_keys is written when both are done
        var keyTasks = s_keyKinds.Select(k => Task.Run(() => MakeKey(k))).ToArray();
        var hash = HostProcess.Run("openssl", new[] { "passwd", "-6", "-stdin" }, stdin: PiPassword + "\n").EnsureOk("openssl passwd").stdout.Trim();
        var authorized = Path.Combine(TempDir, "keys", "authorized_keys");
        File.WriteAllText(authorized, "");

        for (int i = 0; i < count; i++)
        {
            var (kind, arch) = SimulatedKinds.Parse(kinds[i]);
            var shortKind = SimulatedDevice.ShortName(kind);
            var name = arch == null ? $"{shortKind}-{i:D2}" : $"{shortKind}-{arch}-{i:D2}";
            _devices.Add(new SimulatedDevice(this, i, name, $"127.0.{Subnet}.{i + 1}", Port, kind,
                i % 3 == 1 ? "password" : "nopasswd", Path.Combine(TempDir, $"d{i:D2}"), kinds[i], arch == null ? null : trees[arch]));
        }
        var errors = new System.Collections.Concurrent.ConcurrentBag<Exception>();
        Parallel.ForEach(_devices, new ParallelOptions { MaxDegreeOfParallelism = Math.Min(count, 16) }, d =>
        {
            try { d.Create(cardBytes, hash, authorized, readBps, bootMiB); }
            catch (Exception e) { errors.Add(e); }
        });
        if (!errors.IsEmpty) throw new AggregateException("Simulated fleet did not start", errors);
        Phase("cards");
        Task.WaitAll(keyTasks);
        var keys = string.Concat(s_keyKinds.Select(k => File.ReadAllText(KeyPath(k) + ".pub")));
        File.WriteAllText(authorized, keys);
        foreach (var d in _devices) File.WriteAllText(d.HostPath("/home/pi/.ssh/authorized_keys"), keys);   // keeps pi's owner and mode
        Phase("keys");
        Parallel.ForEach(_devices, new ParallelOptions { MaxDegreeOfParallelism = Math.Min(count, 16) }, d =>
        {
            try { d.StartDevice(); }
            catch (Exception e) { errors.Add(e); }
        });
        if (!errors.IsEmpty) throw new AggregateException("Simulated fleet did not start", errors);
        Phase("boot");
        WriteKnownHosts(KnownHostsPath);
        WriteInventory(InventoryPath);
    }

    void MakeKey(string kind)
    {
        var path = KeyPath(kind);
        var args = kind switch
        {
            "ed25519" => new[] { "-t", "ed25519", "-N", "" },
            "ed25519-passphrase" => new[] { "-t", "ed25519", "-N", KeyPassphrase },
            "ecdsa" => new[] { "-t", "ecdsa", "-b", "256", "-N", "" },
            _ => new[] { "-t", "rsa", "-b", "2048", "-N", "" },
        };
        HostProcess.Run("ssh-keygen", new[] { "-q", "-C", "edgeops-test-" + kind, "-f", path }.Concat(args).ToArray()).EnsureOk("ssh-keygen " + kind);
    }

    /// <summary>known_hosts lines (plain) for the devices' current host keys.</summary>
    public IEnumerable<string> KnownHostsLines(IEnumerable<SimulatedDevice>? devices = null) =>
        (devices ?? _devices).SelectMany(d => d.HostKeyLines());

    /// <summary>Writes a known_hosts file with the current keys of the given devices (default: all).</summary>
    public string WriteKnownHosts(string path, IEnumerable<SimulatedDevice>? devices = null)
    {
        File.WriteAllLines(path, KnownHostsLines(devices));
        return path;
    }

    /// <summary>A path in the fleet's temp dir for a new known_hosts file that does not exist yet (host-key tests).</summary>
    public string NewKnownHostsPath() => Path.Combine(TempDir, $"known_hosts.{Guid.NewGuid():N}");

    /// <summary>
    /// Writes an inventory (format of src/EdgeOps.Engine/Fleet/Inventory.cs) for the given devices (default: all),
    /// with the given known_hosts file (default: the pre-filled one) and identity (default: the ed25519 key; "": none).
    /// </summary>
    public string WriteInventory(string path, IEnumerable<SimulatedDevice>? devices = null, string? knownHostsFile = null,
                                 string? identityFile = null, Func<SimulatedDevice, IEnumerable<(string key, string value)>>? extra = null)
    {
        var sb = new StringBuilder();
        sb.Append("# simulated fleet (tests/EdgeOps.Tests/Fleet/SimulatedFleet.cs)\n");
        sb.Append("defaults:\n");
        sb.Append("  user: pi\n");
        sb.Append($"  port: {Port}\n");
        if (identityFile != "") sb.Append($"  identityFile: {Y(identityFile ?? KeyPath("ed25519"))}\n");
        sb.Append($"  knownHostsFile: {Y(knownHostsFile ?? KnownHostsPath)}\n");
        sb.Append("devices:\n");
        foreach (var d in devices ?? _devices)
        {
            sb.Append($"  - name: {Y(d.Name)}\n");
            sb.Append($"    host: {Y(d.Address)}\n");
            sb.Append($"    kind: {d.Kind}\n");
            sb.Append($"    sudo: {d.SudoMode}\n");
            sb.Append(d.Emulated ? $"    tags: [sim, {d.ShortKind}, {d.TreeArch}]\n" : $"    tags: [sim, {d.ShortKind}]\n");
            if (extra != null) foreach (var (k, v) in extra(d)) sb.Append($"    {k}: {Y(v)}\n");
        }
        File.WriteAllText(path, sb.ToString());
        return path;
    }

    /// <summary>A YAML single-quoted scalar.</summary>
    static string Y(string s) => "'" + s.Replace("'", "''") + "'";

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        AppDomain.CurrentDomain.ProcessExit -= OnProcessExit;
        // A later fleet reuses this subnet, names and paths: drop the pooled SSH connections to these devices,
        // or the next fleet's commands would go to a session of a device that no longer exists.
        EdgeOps.Transport.TransportFactory.CloseAll();
        try { DestroyDir(TempDir); }
        finally
        {
            try { if (!Directory.Exists(TempDir)) File.Delete(_ownerFile); } catch (IOException) { }
        }
    }
}

/// <summary>One simulated device of a <see cref="SimulatedFleet"/>.</summary>
public sealed class SimulatedDevice
{
    readonly SimulatedFleet _fleet;

    internal SimulatedDevice(SimulatedFleet fleet, int index, string name, string address, int port, string kind, string sudoMode, string dir,
                             string simulatedKind, string? tree)
    {
        _fleet = fleet; Index = index; Name = name; Address = address; Port = port; Kind = kind; SudoMode = sudoMode; Dir = dir;
        SimulatedKind = simulatedKind; Tree = tree; TreeArch = SimulatedKinds.Parse(simulatedKind).treeArch;
    }

    internal static string ShortName(string kind) => kind.StartsWith("jetson-", StringComparison.Ordinal) ? "jetson" : kind.Replace("raspberry", "");

    public int Index { get; }
    public string Name { get; }
    public string Address { get; }
    public int Port { get; }
    /// <summary>raspberrypi3, raspberrypi4, raspberrypi5 or jetson-nano (the inventory's kind).</summary>
    public string Kind { get; }
    public string ShortKind => ShortName(Kind);
    /// <summary>What the fleet was asked for (<see cref="SimulatedKinds"/>): the kind, and for the boards' own platforms the tree's architecture.</summary>
    public string SimulatedKind { get; }
    /// <summary>arm64 or armhf for an emulated device (its userland is that Debian tree under qemu-user-static); null: this machine's.</summary>
    public string? TreeArch { get; }
    /// <summary>The root tree whose /usr the device runs (read-only, shared by the devices of that architecture); null: this machine's.</summary>
    public string? Tree { get; }
    public bool Emulated => TreeArch != null;
    /// <summary>What `uname -m` says on the device: aarch64, armv7l, or this machine's (x86_64).</summary>
    public string Architecture => TreeArch switch { "arm64" => "aarch64", "armhf" => "armv7l", _ => System.Runtime.InteropServices.RuntimeInformation.OSArchitecture == System.Runtime.InteropServices.Architecture.Arm64 ? "aarch64" : "x86_64" };
    /// <summary>nopasswd or password.</summary>
    public string SudoMode { get; }
    /// <summary>The device's folder on the host: card.img, root/ (the card's root, mounted), host/ (meminfo, firmware, logs).</summary>
    public string Dir { get; }
    /// <summary>Host path of the device's "/" (the card's ext4 root partition, mounted).</summary>
    public string RootDir => Path.Combine(Dir, "root");
    public string CardImage => Path.Combine(Dir, "card.img");
    /// <summary>Loop device over the whole card image (what a real device calls /dev/mmcblk0).</summary>
    public string LoopDevice { get; private set; } = "";
    /// <summary>Loop device over the card's boot partition (FAT32, p1): /dev/mmcblk0p1 on a real Pi.</summary>
    public string BootLoopDevice { get; private set; } = "";
    /// <summary>Loop device over the card's root partition (ext4, p2), mounted as the device's "/".</summary>
    public string RootLoopDevice { get; private set; } = "";
    /// <summary>0: the card reads at this machine's speed; else its read limit in bytes per second (see <see cref="CgroupPath"/>).</summary>
    public long CardReadBytesPerSecond { get; private set; }
    /// <summary>The device's blkio cgroup (its read limit on the card's loop devices); removed with the device.</summary>
    public string CgroupPath => $"/sys/fs/cgroup/blkio/edgeops-{Path.GetFileName(Path.GetDirectoryName(Dir))}-{Path.GetFileName(Dir)}";

    /// <summary>
    /// Drops every cached block of the card, so the next read comes from the "card": written data flushed, the loop
    /// devices' buffers dropped (blockdev --flushbufs) and the backing file's pages dropped from the page cache.
    /// </summary>
    public void FlushCardCache()
    {
        HostProcess.Run("sync", Array.Empty<string>()).EnsureOk("sync");
        foreach (var l in new[] { LoopDevice, BootLoopDevice, RootLoopDevice })
            HostProcess.Run("blockdev", new[] { "--flushbufs", l }).EnsureOk("blockdev --flushbufs " + l);
        // the backing file's pages (what a buffered loop device reads through), and only those: GNU dd's nocache with count=0
        // advises the kernel to drop the whole file (fadvise DONTNEED), where drop_caches would empty this machine's
        // whole page cache (programs, other tests' files) and make the next figures depend on the host's disk
        HostProcess.Run("dd", new[] { "if=" + CardImage, "iflag=nocache", "count=0", "status=none" }).EnsureOk("dd iflag=nocache " + CardImage);
    }

    /// <summary>Changes the card's read limit while the device runs (0: none); the device must have been started with one.</summary>
    public void SetCardReadLimit(long bytesPerSecond)
    {
        if (!Directory.Exists(CgroupPath)) throw new InvalidOperationException($"{Name} was started without a card read limit (give the fleet cardReadBytesPerSecond).");
        foreach (var l in new[] { LoopDevice, BootLoopDevice, RootLoopDevice })
        {
            var mm = HostProcess.Run("lsblk", new[] { "-ndo", "MAJ:MIN", l }).EnsureOk("lsblk " + l).stdout.Trim();
            File.WriteAllText(Path.Combine(CgroupPath, "blkio.throttle.read_bps_device"), $"{mm} {bytesPerSecond.ToString(CultureInfo.InvariantCulture)}");
        }
        CardReadBytesPerSecond = bytesPerSecond;
    }

    /// <summary>Host pid of the device's PID 1 (its namespaces); 0 when stopped.</summary>
    public int Pid { get; private set; }

    public string Model => Kind switch
    {
        "raspberrypi3" => "Raspberry Pi 3 Model B Rev 1.2",
        "raspberrypi4" => "Raspberry Pi 4 Model B Rev 1.4",
        "raspberrypi5" => "Raspberry Pi 5 Model B Rev 1.0",
        _ => "NVIDIA Jetson Nano Developer Kit",
    };

    /// <summary>MemTotal of the device's /proc/meminfo, in bytes.</summary>
    public long MemTotalBytes => Kind switch
    {
        "raspberrypi3" => 944268L * 1024,
        "raspberrypi4" => 3885396L * 1024,
        "raspberrypi5" => 8245168L * 1024,
        _ => 4051032L * 1024,
    };

    public string OsPrettyName => Kind == "jetson-nano" ? "Ubuntu 18.04.6 LTS" : "Debian GNU/Linux 12 (bookworm)";
    public string? L4TVersion => Kind == "jetson-nano" ? "32.7.1" : null;

    /// <summary>Device path to host path: HostPath("/etc/fstab") is RootDir/etc/fstab. /usr, /proc, /sys, /dev, /run are not on the card.</summary>
    public string HostPath(string devicePath)
    {
        if (!devicePath.StartsWith('/')) throw new ArgumentException("A device path is absolute.", nameof(devicePath));
        return RootDir + devicePath.TrimEnd('/');
    }

    internal void Create(long cardBytes, string passwordHash, string authorizedKeys, long readBps, int bootMiB)
    {
        CardReadBytesPerSecond = readBps;
        var env = new Dictionary<string, string>
        {
            ["DEV_NAME"] = Name, ["DEV_ADDR"] = Address, ["DEV_PORT"] = Port.ToString(CultureInfo.InvariantCulture),
            ["DEV_KIND"] = Kind, ["DEV_SUDO"] = SudoMode, ["DEV_SIZE"] = cardBytes.ToString(CultureInfo.InvariantCulture),
            ["DEV_PWHASH"] = passwordHash, ["DEV_AUTHKEYS"] = authorizedKeys, ["DEV_DATA_MB"] = "4",
            ["DEV_READ_BPS"] = readBps.ToString(CultureInfo.InvariantCulture), ["DEV_BOOT_MIB"] = bootMiB.ToString(CultureInfo.InvariantCulture),
        };
        if (Tree != null) env["DEV_TREE"] = Tree;
        HostProcess.Run("/bin/bash", new[] { SimulatedFleet.DeviceScript, "create", Dir }, env: env, timeout: TimeSpan.FromSeconds(120))
            .EnsureOk($"creating simulated device {Name}");
        LoopDevice = File.ReadAllText(Path.Combine(Dir, "host", "loop")).Trim();
        BootLoopDevice = File.ReadAllText(Path.Combine(Dir, "host", "bootloop")).Trim();
        RootLoopDevice = File.ReadAllText(Path.Combine(Dir, "host", "rootloop")).Trim();
    }

    /// <summary>Boots the device (namespaces, mounts, sshd). Called by the fleet; after <see cref="PowerOff"/> to boot again.</summary>
    internal void StartDevice()
    {
        var r = HostProcess.Run("/bin/bash", new[] { SimulatedFleet.DeviceScript, "start", Dir }, timeout: TimeSpan.FromSeconds(60))
            .EnsureOk($"starting simulated device {Name}");
        Pid = int.Parse(r.stdout.Trim(), CultureInfo.InvariantCulture);
    }

    /// <summary>Kills the whole device (every process in it, its mounts other than the card). <see cref="PowerOn"/> boots it again.</summary>
    public void PowerOff()
    {
        HostProcess.Run("/bin/bash", new[] { SimulatedFleet.DeviceScript, "stop", Dir }).EnsureOk($"stopping {Name}");
        Pid = 0;
    }

    public void PowerOn() => StartDevice();

    /// <summary>Runs a shell command as root inside the device (its namespaces and root), for test setup and checks.</summary>
    public (int exit, string stdout, string stderr) Exec(string shellCommand) => Exec(shellCommand, TimeSpan.FromMinutes(2));

    public (int exit, string stdout, string stderr) Exec(string shellCommand, TimeSpan timeout, string? stdin = null)
    {
        if (Pid == 0) throw new InvalidOperationException($"{Name} is powered off.");
        return HostProcess.Run("nsenter", new[]
        {
            "-t", Pid.ToString(CultureInfo.InvariantCulture), "-m", "-u", "-p", "-r", "-w", "--",
            "/usr/bin/env", "-i", "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root", "LANG=C.UTF-8",
            "/bin/sh", "-c", shellCommand,
        }, stdin: stdin, timeout: timeout);
    }

    /// <summary>Exec that must succeed; returns stdout.</summary>
    public string ExecOk(string shellCommand)
    {
        var r = Exec(shellCommand);
        if (r.exit != 0) throw new InvalidOperationException($"{Name}: `{shellCommand}` exited {r.exit}: {r.stderr}");
        return r.stdout;
    }

    /// <summary>Kills sshd in the device (listener and every session): the device stops answering SSH.</summary>
    public void StopSshd()
    {
        ExecOk("for p in $(pgrep -x sshd); do kill -KILL \"$p\"; done; rm -f /run/sshd.pid; true");
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (PortOpen() && DateTime.UtcNow < deadline) Thread.Sleep(20);
    }

    /// <summary>Starts sshd in the device again (same host keys unless <see cref="RegenerateHostKeys"/> ran) and waits for its port.</summary>
    public void StartSshd()
    {
        // sshd is this machine's program (an emulated device's runs outside its root, with ChrootDirectory): device.sh knows where
        HostProcess.Run("/bin/bash", new[] { SimulatedFleet.DeviceScript, "sshd", Dir }).EnsureOk($"starting sshd on {Name}");
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!PortOpen())
        {
            if (DateTime.UtcNow > deadline) throw new InvalidOperationException($"{Name}: sshd did not come back on {Address}:{Port}.");
            Thread.Sleep(20);
        }
    }

    /// <summary>New host keys (a re-installed device); restart sshd to offer them.</summary>
    public void RegenerateHostKeys()
    {
        ExecOk("rm -f /etc/ssh/ssh_host_*; ssh-keygen -q -t ed25519 -N '' -f /etc/ssh/ssh_host_ed25519_key && ssh-keygen -q -t ecdsa -b 256 -N '' -f /etc/ssh/ssh_host_ecdsa_key");
    }

    /// <summary>Plain known_hosts lines for this device's current host keys.</summary>
    public IEnumerable<string> HostKeyLines()
    {
        var host = KnownHostsName;
        foreach (var f in new[] { "ssh_host_ed25519_key.pub", "ssh_host_ecdsa_key.pub" })
        {
            var p = HostPath("/etc/ssh/" + f);
            if (!File.Exists(p)) continue;
            var parts = File.ReadAllText(p).Trim().Split(' ');
            yield return $"{host} {parts[0]} {parts[1]}";
        }
    }

    /// <summary>The name known_hosts files use for this device: address, or [address]:port.</summary>
    public string KnownHostsName => Port == 22 ? Address : $"[{Address}]:{Port}";

    /// <summary>SHA256 fingerprints of the device's current host keys, by key type (ssh-ed25519, ecdsa-sha2-nistp256).</summary>
    public IReadOnlyDictionary<string, string> HostKeyFingerprints()
    {
        var r = new Dictionary<string, string>();
        foreach (var line in HostKeyLines())
        {
            var parts = line.Split(' ');
            using var sha = System.Security.Cryptography.SHA256.Create();
            r[parts[1]] = "SHA256:" + Convert.ToBase64String(sha.ComputeHash(Convert.FromBase64String(parts[2]))).TrimEnd('=');
        }
        return r;
    }

    /// <summary>
    /// Makes the device's sshd unreachable for root on this host (the test process), while processes of other
    /// users, such as a jump device's sshd session that forwards for pi, still reach it: an nftables rule
    /// rejecting TCP to Address:Port from sockets owned by uid 0. Dispose removes the rule.
    /// </summary>
    public IDisposable OnlyReachableThroughOtherDevices()
    {
        var table = $"edgeops_fleet_{_fleet.Subnet}_{Index}";
        var script = $"add table inet {table}\n" +
                     $"add chain inet {table} out {{ type filter hook output priority 0; }}\n" +
                     $"add rule inet {table} out ip daddr {Address} tcp dport {Port} meta skuid 0 reject with tcp reset\n";
        HostProcess.Run("nft", new[] { "-f", "-" }, stdin: script)
            .EnsureOk("nft (tests/setup/fleet.sh installs nftables)");
        return new Undo(() => HostProcess.Run("nft", new[] { "delete", "table", "inet", table }));
    }

    sealed class Undo : IDisposable
    {
        Action? _a;
        public Undo(Action a) { _a = a; }
        public void Dispose() { Interlocked.Exchange(ref _a, null)?.Invoke(); }
    }

    /// <summary>Number of SSH connections pi has open to the device (one sshd session process each).</summary>
    public int SshSessionCount() =>
        ExecOk("ps -eo args | grep -c '^sshd: pi@' || true").Trim() is var n && int.TryParse(n, out var c) ? c : -1;

    public bool PortOpen()
    {
        try
        {
            using var c = new TcpClient();
            return c.ConnectAsync(IPAddress.Parse(Address), Port).Wait(500) && c.Connected;
        }
        catch (Exception) { return false; }
    }

    public override string ToString() => $"{Name} ({Kind}, {Address}:{Port})";
}

/// <summary>Runs a program without a shell, collecting its output.</summary>
public static class HostProcess
{
    public static (int exit, string stdout, string stderr) Run(string file, IReadOnlyList<string> args,
        IDictionary<string, string>? env = null, string? stdin = null, TimeSpan? timeout = null)
    {
        var psi = new ProcessStartInfo(file)
        {
            UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        if (env != null) foreach (var kv in env) psi.Environment[kv.Key] = kv.Value;
        using var p = Process.Start(psi)!;
        var outTask = p.StandardOutput.ReadToEndAsync();
        var errTask = p.StandardError.ReadToEndAsync();
        try
        {
            if (stdin != null) p.StandardInput.Write(stdin);
            p.StandardInput.Close();
        }
        catch (IOException) { }
        if (!p.WaitForExit(timeout ?? TimeSpan.FromMinutes(2)))
        {
            try { p.Kill(entireProcessTree: true); } catch (Exception) { }
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish within {(timeout ?? TimeSpan.FromMinutes(2)).TotalSeconds} s.");
        }
        p.WaitForExit();
        return (p.ExitCode, outTask.Result, errTask.Result);
    }

    public static (int exit, string stdout, string stderr) EnsureOk(this (int exit, string stdout, string stderr) r, string what)
    {
        if (r.exit != 0) throw new InvalidOperationException($"{what} failed (exit {r.exit}): {r.stderr.Trim()} {r.stdout.Trim()}");
        return r;
    }
}
