using System.Diagnostics;
using System.Security.Cryptography;
using EdgeOps.Fleet;
using EdgeOps.Transport;
using Xunit;

namespace EdgeOps.Tests.Swap
{
    /// <summary>A fact that needs root (real swapon, loop mounts); skipped with the reason otherwise.</summary>
    public sealed class RootFactAttribute : FactAttribute
    {
        public RootFactAttribute()
        {
            // Under CI (CI=true, as root) nothing skips: a missing prerequisite fails the test instead.
            if (Environment.UserName != "root" && Environment.GetEnvironmentVariable("CI") != "true")
                Skip = "needs root: real swapon, mkfs and loop mounts";
        }
    }

    /// <summary>A fact that needs real zram (root and /sys/class/zram-control).</summary>
    public sealed class ZramFactAttribute : FactAttribute
    {
        public ZramFactAttribute()
        {
            if (!ZramSwap.Available) Skip = "needs root and the zram module (/sys/class/zram-control)";
        }
    }

    /// <summary>IDeviceContext for engine tests: ShouldProcess answers !WhatIf, messages are kept.</summary>
    public sealed class TestDeviceContext : IDeviceContext, IDisposable
    {
        public TestDeviceContext(EdgeDevice device, IDeviceTransport transport, bool whatIf = false)
        {
            Device = device; Transport = transport; WhatIf = whatIf;
        }

        public static TestDeviceContext Local(bool whatIf = false)
        {
            var d = EdgeDevice.Local();
            return new TestDeviceContext(d, new LocalTransport(d, new ConnectionOptions()), whatIf);
        }

        public EdgeDevice Device { get; }
        public IDeviceTransport Transport { get; }
        public CancellationToken Cancellation => CancellationToken.None;
        public bool WhatIf { get; }
        public bool Force => false;
        public List<string> Messages { get; } = new();
        public List<string> Asked { get; } = new();
        public void Verbose(string message) { lock (Messages) Messages.Add("V: " + message); }
        public void Warning(string message) { lock (Messages) Messages.Add("W: " + message); }
        public void Progress(string activity, string status, long done, long total) { }
        public void ProgressDone(string activity) { }
        public bool ShouldProcess(string target, string action) { Asked.Add(target + ": " + action); return !WhatIf; }
        public void Dispose() { if (Transport is LocalTransport) Transport.Dispose(); }
    }

    /// <summary>Runs commands on this machine for test setup and checks.</summary>
    public static class HostShell
    {
        public static string Run(string program, params string[] args)
        {
            var r = TryRun(program, args);
            if (r.code != 0) throw new InvalidOperationException($"{program} {string.Join(" ", args)} failed ({r.code}): {r.stderr}");
            return r.stdout;
        }

        public static (int code, string stdout, string stderr) TryRun(string program, params string[] args)
        {
            var psi = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var a in args) psi.ArgumentList.Add(a);
            using var p = Process.Start(psi)!;
            var err = p.StandardError.ReadToEndAsync();
            var o = p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            return (p.ExitCode, o, err.Result);
        }

        public static string Sh(string script, params string[] args) =>
            Run("/bin/sh", new[] { "-c", script, "sh" }.Concat(args).ToArray());

        /// <summary>Paths of /proc/swaps (as this process sees them), unescaped.</summary>
        public static List<(string path, long kib)> Swaps() =>
            File.ReadAllLines("/proc/swaps").Skip(1).Select(l => l.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))
                .Select(f => (EdgeOps.Swap.SwapFacts.UnescapeProc(f[0]), long.Parse(f[2]))).ToList();

        public static string Hash(string path) =>
            File.Exists(path) ? Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path))) : "absent";
    }

    /// <summary>
    /// A scratch filesystem (a loop-mounted image made by mkfs) and a scratch /etc, for real swap on this
    /// machine without touching its own /etc/fstab. Dispose turns off every swap area under it, even after a failure.
    /// </summary>
    public sealed class ScratchDisk : IDisposable
    {
        public string Root { get; }
        public string Mount { get; }
        public string Etc { get; }
        readonly string _image;
        bool _mounted;
        readonly int _swappiness = int.Parse(System.IO.File.ReadAllText("/proc/sys/vm/swappiness").Trim());

        public ScratchDisk(string fsType = "ext4", int sizeMiB = 1024, string mountName = "mnt")
        {
            // under a root-owned 0755 folder: swap files are refused below folders others can write (/tmp)
            Root = Path.Combine("/var/lib/edgeops-swap-tests", "edgeops-swap-" + Guid.NewGuid().ToString("n")[..10]);
            Mount = Path.Combine(Root, mountName);
            Etc = Path.Combine(Root, "etc");
            Directory.CreateDirectory(Mount);
            Directory.CreateDirectory(Etc);
            System.IO.File.WriteAllText(Path.Combine(Etc, "fstab"), "# scratch fstab\nUUID=1234 / ext4 defaults 0 1\n");
            _image = Path.Combine(Root, "disk.img");
            try
            {
                HostShell.Run("truncate", "-s", sizeMiB + "M", _image);
                if (fsType == "btrfs") HostShell.Run("mkfs.btrfs", "-q", _image);
                else HostShell.Run("mkfs." + fsType, "-q", "-F", _image);
                HostShell.Run("mount", "-o", "loop", _image, Mount);
                _mounted = true;
            }
            catch { Dispose(); throw; }
        }

        public EdgeOps.Swap.SwapLayout Layout => EdgeOps.Swap.SwapLayout.Under(Etc);
        public string Fstab => Path.Combine(Etc, "fstab");
        public string File(string name) => Path.Combine(Mount, name);

        public void Dispose()
        {
            foreach (var (path, _) in HostShell.Swaps().Where(s => s.path.StartsWith(Root + "/", StringComparison.Ordinal)))
                HostShell.TryRun("swapoff", path);
            System.IO.File.WriteAllText("/proc/sys/vm/swappiness", _swappiness.ToString());
            if (_mounted) HostShell.TryRun("umount", "-l", Mount);
            try { Directory.Delete(Root, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }
}

namespace EdgeOps.Tests.Swap
{
    /// <summary>
    /// A real zram swap device (zram-control hot_add), as nvzramconfig makes on a Jetson: disksize, mkswap,
    /// swapon with priority 5. Dispose turns it off and removes the device.
    /// </summary>
    public sealed class ZramSwap : IDisposable
    {
        public int Id { get; }
        public string Device => "/dev/zram" + Id;
        public const int Priority = 5;

        public ZramSwap(long sizeBytes)
        {
            Id = int.Parse(File.ReadAllText("/sys/class/zram-control/hot_add").Trim());
            try
            {
                File.WriteAllText($"/sys/block/zram{Id}/disksize", sizeBytes.ToString());
                HostShell.Run("mkswap", Device);
                HostShell.Run("swapon", "-p", Priority.ToString(), Device);
            }
            catch { Dispose(); throw; }
        }

        public static bool Available => File.Exists("/sys/class/zram-control/hot_add") && Environment.UserName == "root";

        public void Dispose()
        {
            HostShell.TryRun("swapoff", Device);
            try { File.WriteAllText($"/sys/block/zram{Id}/reset", "1"); } catch (IOException) { }
            try { File.WriteAllText("/sys/class/zram-control/hot_remove", Id.ToString()); } catch (IOException) { }
        }
    }
}
