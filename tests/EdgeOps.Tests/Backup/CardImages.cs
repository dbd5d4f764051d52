using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Xunit;

namespace EdgeOps.Tests.Backup
{
    /// <summary>A test that needs root, losetup and mkfs (real loop devices and filesystems).</summary>
    public sealed class CardFactAttribute : FactAttribute
    {
        public CardFactAttribute()
        {
            // Under CI (CI=true, as root) nothing skips: a missing tool fails the test instead of hiding it.
            if ((Environment.UserName != "root" || !File.Exists("/usr/sbin/losetup") || !File.Exists("/usr/sbin/mkfs.ext4"))
                && Environment.GetEnvironmentVariable("CI") != "true")
                Skip = "needs root, losetup, sfdisk and mkfs (run as root on Linux)";
        }
    }

    /// <summary>Runs programs for test set-up (tests may build command lines; the module may not).</summary>
    public static class Run
    {
        public static string Cmd(string program, params string[] args) => CmdIn(null, program, args);

        public static string CmdIn(string? stdin, string program, params string[] args)
        {
            var psi = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
            foreach (var a in args) psi.ArgumentList.Add(a);
            using var p = Process.Start(psi)!;
            if (stdin != null) p.StandardInput.Write(stdin);
            p.StandardInput.Close();
            var err = p.StandardError.ReadToEndAsync();
            var output = p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            if (p.ExitCode != 0) throw new InvalidOperationException($"{program} {string.Join(' ', args)} failed ({p.ExitCode}): {err.Result}{output}");
            return output;
        }

        public static (int code, string output) Try(string program, params string[] args)
        {
            var psi = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var a in args) psi.ArgumentList.Add(a);
            using var p = Process.Start(psi)!;
            var err = p.StandardError.ReadToEndAsync();
            var output = p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            return (p.ExitCode, output + err.Result);
        }

        public static string Sh(string script) => Cmd("/bin/sh", "-c", script);

        /// <summary>A POSIX single-quoted word, for test scripts.</summary>
        public static string Q(string s) => "'" + s.Replace("'", "'\\''") + "'";
    }

    /// <summary>
    /// A card image made the way people make them: a sparse file partitioned by sfdisk, formatted by
    /// mkfs.vfat / mkfs.ext4 through a loop device, files written, some deleted so free blocks hold old data.
    /// Disposing detaches the loop device and deletes the file, also after a failed test.
    /// </summary>
    public sealed class CardImage : IDisposable
    {
        public string Dir { get; }
        public string ImagePath { get; }
        public string? Loop { get; private set; }
        readonly List<string> _mounts = new();
        readonly List<string> _loops = new();

        public CardImage(long bytes, string sfdiskScript, string name = "card.img")
        {
            Dir = Path.Combine(Path.GetTempPath(), "edgeops-card-" + Guid.NewGuid().ToString("n")[..8]);
            Directory.CreateDirectory(Dir);
            ImagePath = Path.Combine(Dir, name);
            try
            {
                using (var f = new FileStream(ImagePath, FileMode.CreateNew)) f.SetLength(bytes);
                Run.CmdIn(sfdiskScript, "sfdisk", "--quiet", ImagePath);
                Loop = Attach(ImagePath);
            }
            catch { Dispose(); throw; }
        }

        /// <summary>Attaches a file as a partition-scanned loop device (detached on Dispose).</summary>
        public string Attach(string path)
        {
            var dev = Run.Cmd("losetup", "--find", "--show", "--partscan", path).Trim();
            _loops.Add(dev);
            bool partitioned = Run.Try("sfdisk", "-d", dev).output.Contains("start=");
            // Kernels without partition parsers (no CONFIG_MSDOS_PARTITION) need the partitions added by BLKPG.
            if (partitioned && !File.Exists(dev + "p1")) Run.Try("partx", "-a", dev);
            for (int i = 0; i < 50 && partitioned && !File.Exists(dev + "p1"); i++) Thread.Sleep(100);
            return dev;
        }

        public string Part(int n) => Loop + "p" + n;

        public void Mkfs(int part, string program, params string[] args)
        {
            var all = args.Concat(new[] { Part(part) }).ToArray();
            Run.Cmd(program, all);
        }

        public string Mount(int part)
        {
            var m = Path.Combine(Dir, "mnt" + part);
            Directory.CreateDirectory(m);
            Run.Cmd("mount", Part(part), m);
            _mounts.Add(m);
            return m;
        }

        public void Unmount(string m)
        {
            Run.Cmd("umount", m);
            _mounts.Remove(m);
        }

        /// <summary>
        /// Leaves ext partition <paramref name="part"/> as a filesystem in use leaves it: a committed transaction in its
        /// journal (debugfs's journal writer; with <paramref name="checksums"/>, jbd2's checksum v3 tags) holds group 0's
        /// block bitmap, and the bitmap in place is stale (zeros), as when the kernel has not written the journal in place yet. e2fsck -fn then reports bitmap differences; a replay
        /// of the journal repairs them. Returns the bitmap's block number.
        /// </summary>
        public long PendJournalWrite(int part, bool checksums = false)
        {
            var dev = Part(part);
            var header = Run.Cmd("dumpe2fs", "-h", dev);
            long blockSize = long.Parse(Regex.Match(header, @"Block size:\s+(\d+)").Groups[1].Value);
            long bitmap = long.Parse(Regex.Match(Run.Cmd("dumpe2fs", dev), @"Block bitmap at (\d+)").Groups[1].Value);
            var copy = Path.Combine(Dir, "bitmap-" + part + ".blk");
            Run.Cmd("dd", "if=" + dev, "of=" + copy, "bs=" + blockSize, "skip=" + bitmap, "count=1", "status=none");
            Run.CmdIn($"jo{(checksums ? " -c" : "")}\njw -b {bitmap} {copy}\njc\n", "debugfs", "-w", "-f", "-", dev);
            Run.Cmd("dd", "if=/dev/zero", "of=" + dev, "bs=" + blockSize, "seek=" + bitmap, "count=1", "conv=notrunc,fsync", "status=none");
            Assert.Contains("needs_recovery", Run.Cmd("dumpe2fs", "-h", dev));
            return bitmap;
        }

        /// <summary>Writes files (random, compressible, small), then deletes some so their blocks are free but not zero.</summary>
        public static void Populate(string root, int seed, long randomBytes, int smallFiles = 40, bool deleteSome = true)
        {
            var rng = new Random(seed);
            Directory.CreateDirectory(Path.Combine(root, "data", "sub dir"));
            long left = randomBytes; int n = 0;
            while (left > 0)
            {
                int len = (int)Math.Min(left, 3 * 1024 * 1024 + rng.Next(1024 * 1024));
                var b = new byte[len]; rng.NextBytes(b);
                File.WriteAllBytes(Path.Combine(root, "data", $"rand{n++}.bin"), b);
                left -= len;
            }
            for (int i = 0; i < smallFiles; i++)
                File.WriteAllText(Path.Combine(root, "data", "sub dir", $"note {i}.txt"), string.Concat(Enumerable.Repeat($"line {i} of the card {seed}\n", 50 + rng.Next(500))));
            if (!deleteSome) return;
            // deleted data: free blocks that hold old bytes
            for (int i = 0; i < n; i += 2) File.Delete(Path.Combine(root, "data", $"rand{i}.bin"));
            for (int i = 0; i < smallFiles; i += 3) File.Delete(Path.Combine(root, "data", "sub dir", $"note {i}.txt"));
            Run.Cmd("sync");
        }

        /// <summary>Writes files into a partition (mtools for FAT, which this kernel may not mount; a mount for ext), deleting some.</summary>
        public void Fill(int part, long bytes, int seed = 0) => FillDevice(Part(part), Dir, bytes, seed == 0 ? part * 7 : seed);

        public static void FillDevice(string dev, string workDir, long bytes, int seed)
        {
            Environment.SetEnvironmentVariable("MTOOLS_SKIP_CHECK", "1");
            if (FsType(dev) == "vfat")
            {
                var src = Path.Combine(workDir, "fat-src-" + seed);
                Directory.CreateDirectory(src);
                Populate(src, seed, bytes, deleteSome: false);
                Run.Cmd("mcopy", "-i", dev, "-s", "-Q", Path.Combine(src, "data"), "::/");
                foreach (var f in Directory.GetFiles(Path.Combine(src, "data")).Where((f, i) => i % 2 == 0))
                    Run.Cmd("mdel", "-i", dev, "::/data/" + Path.GetFileName(f));
                Directory.Delete(src, true);
            }
            else
            {
                var m = Path.Combine(workDir, "fill-" + seed);
                Directory.CreateDirectory(m);
                Run.Cmd("mount", dev, m);
                try { Populate(m, seed, bytes); } finally { Run.Cmd("umount", m); }
            }
        }

        /// <summary>sha256 of every file of the filesystem on a block device (read-only).</summary>
        public static SortedDictionary<string, string> HashDevice(string dev, string workDir)
        {
            Environment.SetEnvironmentVariable("MTOOLS_SKIP_CHECK", "1");
            var m = Path.Combine(workDir, "hash-" + Guid.NewGuid().ToString("n")[..6]);
            Directory.CreateDirectory(m);
            try
            {
                if (FsType(dev) == "vfat")
                {
                    Run.Cmd("mcopy", "-i", dev, "-s", "-n", "-Q", "::/", m);
                    return HashTree(m);
                }
                Run.Cmd("mount", "-o", "ro", dev, m);
                try { return HashTree(m); } finally { Run.Cmd("umount", m); }
            }
            finally { try { Directory.Delete(m, true); } catch (IOException) { } }
        }

        /// <summary>
        /// e2fsck -fn of a restored ext partition as its board would first see it: the journal a live filesystem's
        /// backup carries is replayed first (as the first mount does), then the read-only check.
        /// </summary>
        public static (int code, string output) FsckAsBooted(string dev)
        {
            var replay = Run.Try("e2fsck", "-E", "journal_only", "-p", dev);
            if ((replay.code & ~1) != 0) return replay;
            return Run.Try("e2fsck", "-fn", dev);
        }

        public static string FsType(string dev) => Run.Try("blkid", "-p", "-o", "value", "-s", "TYPE", dev).output.Trim();

        /// <summary>sha256 of every file under a directory, by relative path.</summary>
        public static SortedDictionary<string, string> HashTree(string root)
        {
            var result = new SortedDictionary<string, string>(StringComparer.Ordinal);
            var options = new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0, IgnoreInaccessible = false };
            foreach (var f in Directory.EnumerateFileSystemEntries(root, "*", options))
            {
                var info = new FileInfo(f);
                if (info.LinkTarget != null) { result[Path.GetRelativePath(root, f)] = "link:" + info.LinkTarget; continue; }
                if (info.Attributes.HasFlag(FileAttributes.Directory)) continue;
                using var s = File.OpenRead(f);
                result[Path.GetRelativePath(root, f)] = Convert.ToHexString(SHA256.HashData(s));
            }
            return result;
        }

        public void Detach(string dev)
        {
            Run.Try("losetup", "-d", dev);
            _loops.Remove(dev);
        }

        public void Dispose()
        {
            foreach (var m in _mounts.ToArray()) Run.Try("umount", "-l", m);
            foreach (var l in _loops.ToArray()) Run.Try("losetup", "-d", l);
            try { Directory.Delete(Dir, true); } catch (IOException) { }
        }
    }

    /// <summary>Checks a stored image with standard tools against what its manifest and block map promise.</summary>
    public static class StoredImage
    {
        /// <summary>
        /// `zstd -dc` of the image gives exactly ImageSize bytes whose mapped ranges have the block map's sha256 and whose
        /// other bytes are zeros; <paramref name="mapSha256"/> (the backup's identity) is the map's own checksum.
        /// </summary>
        public static void AssertMatchesItsMap(string imagePath, string mapSha256)
        {
            Assert.EndsWith(".img.zst", imagePath);
            var map = EdgeOps.Backup.BlockMap.Parse(File.ReadAllText(imagePath[..^".img.zst".Length] + ".img.bmap"));
            Assert.Equal(map.FileChecksum, mapSha256);
            var psi = new ProcessStartInfo("zstd", new[] { "-dc", imagePath }) { RedirectStandardOutput = true, UseShellExecute = false };
            using var p = Process.Start(psi)!;
            var raw = p.StandardOutput.BaseStream;
            var buf = new byte[map.BlockSize];
            long block = 0;
            int next = 0;
            using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            while (true)
            {
                int n = 0, k;
                while (n < buf.Length && (k = raw.Read(buf, n, buf.Length - n)) > 0) n += k;
                if (n == 0) break;
                bool mapped = next < map.Ranges.Count && block >= map.Ranges[next].First;
                if (mapped)
                {
                    sha.AppendData(buf, 0, n);
                    if (block == map.Ranges[next].Last)
                    {
                        Assert.Equal(map.Ranges[next].Sha256, Convert.ToHexString(sha.GetHashAndReset()).ToLowerInvariant());
                        next++;
                    }
                }
                else Assert.True(buf.AsSpan(0, n).IndexOfAnyExcept((byte)0) < 0, $"block {block} is outside the map and not zeros");
                block++;
            }
            p.WaitForExit();
            Assert.Equal(0, p.ExitCode);
            Assert.Equal(map.Ranges.Count, next);
            Assert.Equal(map.BlocksCount, block);
        }
    }
}
