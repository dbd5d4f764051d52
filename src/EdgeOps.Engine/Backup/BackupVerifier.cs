using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading;

namespace EdgeOps.Backup
{
    /// <summary>
    /// Test-SdCardBackup's work for one image: re-hash the stored file, decompress it (into a sparse temporary
    /// file) checking the image's and every mapped range's sha256, parse the partition table and each
    /// filesystem header, compare them with the manifest, and run `e2fsck -fn` on ext partitions where installed.
    /// </summary>
    public static class BackupVerifier
    {
        public static SdCardBackupTest Test(string path, string tempDirectory, Action<long, long> progress, CancellationToken ct,
            EdgeOps.Storage.StorageOptions storage = null)
        {
            var sw = Stopwatch.StartNew();
            using (var files = ImageFiles.Fetch(path, storage, tempDirectory, ct))
            {
                var result = Test(files, tempDirectory, progress, ct);
                result.Seconds = Math.Round(sw.Elapsed.TotalSeconds, 2);
                return result;
            }
        }

        static SdCardBackupTest Test(ImageFiles files, string tempDirectory, Action<long, long> progress, CancellationToken ct)
        {
            var sw = Stopwatch.StartNew();
            var result = new SdCardBackupTest { Path = EdgeOps.Storage.HttpStore.Redact(files.Source), E2fsck = "none" };
            var passed = new List<string>();
            var failed = new List<string>();
            void Check(string what, Func<string> run)
            {
                try { var problem = run(); if (problem == null) passed.Add(what); else failed.Add(what + ": " + problem); }
                catch (Exception e) when (!(e is OperationCanceledException)) { failed.Add(what + ": " + e.Message); }
            }

            BackupManifest manifest = null;
            BlockMap map = null;
            Check("manifest", () => { manifest = files.ReadManifest(); return manifest == null ? "missing" : null; });
            result.ComputerName = manifest?.ComputerName ?? ComputerNameFromPath(files.Source);
            Check("block map", () => { map = files.ReadMap(); return map == null ? "missing" : null; });

            Check("compressed sha256", () =>
            {
                var h = HashFile(files, ct);
                if (manifest == null) return "no manifest to compare with";
                result.CompressedHashOk = h == manifest.CompressedSha256;
                return result.CompressedHashOk ? null : $"{h} differs from the manifest's {manifest.CompressedSha256}";
            });

            // the decompressed card (every secret of the device) goes to a folder only this user can open
            var tempDir = EdgeOps.Storage.PrivateFiles.CreateFolder(tempDirectory, "edgeops-test-");
            var temp = Path.Combine(tempDir, "card.img");
            try
            {
                long imageSize = map?.ImageSize ?? manifest?.ImageBytes ?? 0;
                bool decoded = false;
                // Format 2 manifests identify the image by its block map (MapSha256): every mapped range's sha256 and
                // zeros elsewhere; format 1 ones by the whole image's sha256.
                bool byMap = manifest != null && string.IsNullOrEmpty(manifest.Sha256) && !string.IsNullOrEmpty(manifest.MapSha256);
                Check(byMap ? "image identity (block map)" : "image sha256", () =>
                {
                    var check = new BlockMap { ImageSize = imageSize, BlockSize = map?.BlockSize ?? CardLayout.MapBlockSize };
                    if (map != null) foreach (var r in map.Ranges) check.Ranges.Add(new MappedRange { First = r.First, Last = r.Last });
                    string whole = Decompress(files, check, temp, imageSize, progress, byMap && map != null, ct);
                    decoded = true;
                    if (map != null)
                    {
                        var bad = map.Ranges.Where((r, i) => r.Sha256 != check.Ranges[i].Sha256).ToList();
                        result.BlockMapOk = bad.Count == 0;
                        if (bad.Count > 0) failed.Add($"block map: {bad.Count} range(s) differ, first blocks {bad[0].First}-{bad[0].Last}");
                        else passed.Add("block map ranges");
                    }
                    if (manifest == null) return "no manifest to compare with";
                    if (byMap)
                    {
                        if (map == null) return "no block map to compare with";
                        result.ImageHashOk = result.BlockMapOk && map.FileChecksum == manifest.MapSha256;
                        return result.ImageHashOk ? null : result.BlockMapOk ? $"the block map's checksum {map.FileChecksum} differs from the manifest's {manifest.MapSha256}" : "mapped ranges differ";
                    }
                    result.ImageHashOk = whole == manifest.Sha256;
                    return result.ImageHashOk ? null : $"{whole} differs from the manifest's {manifest.Sha256}";
                });

                if (decoded)
                {
                    CardLayout layout = null;
                    Check("partition table", () =>
                    {
                        using (var src = new FileBlockSource(temp)) layout = CardLayout.Scan(src, imageSize);
                        result.PartitionTable = layout.Table.Kind;
                        result.Partitions = layout.Table.Partitions.Count(p => !PartitionTable.IsExtendedContainer(p));
                        if (manifest == null) return null;
                        var mine = layout.Table.Partitions.Select(p => (p.Number, p.Start, p.Size, p.Type)).ToList();
                        var theirs = manifest.PartitionTable.Partitions.Select(p => (p.Number, p.Start, p.Size, p.Type)).ToList();
                        if (layout.Table.Kind != manifest.PartitionTable.Kind || !mine.SequenceEqual(theirs)) return "differs from the manifest";
                        return null;
                    });
                    if (layout != null)
                    {
                        result.FileSystems = string.Join(", ", layout.FileSystems.Select(f => $"{f.Partition}:{f.Type}{(string.IsNullOrEmpty(f.Label) ? "" : "(" + f.Label + ")")}"));
                        foreach (var fs in layout.FileSystems)
                        {
                            Check($"partition {fs.Partition} {fs.Type} header", () =>
                            {
                                if (fs.Type == "unknown") return manifest?.FileSystems.FirstOrDefault(m => m.Partition == fs.Partition)?.Type is string t && t != "unknown" ? $"no filesystem found, the manifest says {t}" : null;
                                var m = manifest?.FileSystems.FirstOrDefault(x => x.Partition == fs.Partition);
                                if (m == null) return null;
                                if (m.Type != fs.Type || (m.Uuid ?? "") != (fs.Uuid ?? "") || (m.Label ?? "") != (fs.Label ?? ""))
                                    return $"found {fs.Type} {fs.Uuid} '{fs.Label}', the manifest says {m.Type} {m.Uuid} '{m.Label}'";
                                return null;
                            });
                        }
                        var exts = layout.FileSystems.Where(f => f.Type.StartsWith("ext", StringComparison.Ordinal)).ToList();
                        if (exts.Count > 0)
                        {
                            var e2fsck = FindE2fsck();
                            if (e2fsck == null) result.E2fsck = "not run";
                            else
                            {
                                bool clean = true;
                                foreach (var fs in exts)
                                {
                                    var p = layout.Table.Partitions.FirstOrDefault(x => x.Number == fs.Partition);
                                    long offset = p?.Start ?? 0;
                                    string Lines(string output) => string.Join(" | ", output.Split('\n').Where(l => l.Trim().Length > 0).Take(6));
                                    Check($"e2fsck -fn partition {fs.Partition}", () =>
                                    {
                                        var (code, output) = RunE2fsck(e2fsck, ct, "-fn", temp + "?offset=" + offset.ToString(System.Globalization.CultureInfo.InvariantCulture));
                                        // A card backed up while its root was mounted (by another tool, or in use as it was
                                        // read) can hold a journal the kernel replays on the first mount after a restore;
                                        // read-only e2fsck skips it and reports its pending writes as errors. The partition is
                                        // copied out of the check's own decompressed card, its journal replayed there as that
                                        // mount would (nothing else repaired), and the copy checked.
                                        if (output.IndexOf("skipping journal recovery", StringComparison.OrdinalIgnoreCase) >= 0 && p != null)
                                        {
                                            var copy = Path.Combine(tempDir, "partition.img");
                                            CopySparse(temp, p.Start, p.Size, copy, ct);
                                            var (replay, replayOutput) = RunE2fsck(e2fsck, ct, "-E", "journal_only", "-p", copy);
                                            if ((replay & ~1) != 0) { clean = false; return $"replaying its journal failed, exit code {replay}: {Lines(replayOutput)}"; }
                                            passed.Add($"journal of partition {fs.Partition} replayed (a filesystem that was in use)");
                                            (code, output) = RunE2fsck(e2fsck, ct, "-fn", copy);
                                            File.Delete(copy);
                                        }
                                        if (code == 0) return null;
                                        clean = false;
                                        return $"exit code {code}: {Lines(output)}";
                                    });
                                }
                                result.E2fsck = clean ? "clean" : "errors";
                            }
                        }
                    }
                }
            }
            finally { try { Directory.Delete(tempDir, true); } catch (IOException) { } }

            result.PassedChecks = string.Join("; ", passed);
            result.FailedChecks = string.Join("; ", failed);
            result.Passed = failed.Count == 0;
            result.Seconds = Math.Round(sw.Elapsed.TotalSeconds, 2);
            return result;
        }

        static string ComputerNameFromPath(string image)
        {
            var parts = image.Replace('\\', '/').Split('?')[0].TrimEnd('/').Split('/');
            return parts.Length >= 2 ? parts[parts.Length - 2] : "";
        }

        /// <summary>
        /// Decompresses into a sparse file (zero blocks are skipped, not written); returns the image's sha256, or with
        /// <paramref name="byMap"/> checks that the bytes outside the mapped ranges are zeros instead (and returns null).
        /// </summary>
        static string Decompress(ImageFiles files, BlockMap check, string temp, long imageSize, Action<long, long> progress, bool byMap, CancellationToken ct)
        {
            using (var hasher = new ImageHasher(check, hashWhole: !byMap, checkZeros: byMap))
            using (var raw = files.OpenRaw())
            using (var output = EdgeOps.Storage.PrivateFiles.CreateNew(temp))
            {
                var buf = new byte[1 << 20];
                int n; long pos = 0, last = 0;
                while ((n = ReadFull(raw, buf)) > 0)
                {
                    ct.ThrowIfCancellationRequested();
                    hasher.Add(buf, 0, n);
                    WriteSparse(output, buf, n);
                    pos += n;
                    if (pos - last >= (16 << 20)) { progress?.Invoke(pos, imageSize); last = pos; }
                }
                output.SetLength(pos);
                return hasher.Finish();
            }
        }

        /// <summary>Writes <paramref name="n"/> bytes, skipping (not writing) the 4 KiB blocks that are zeros.</summary>
        static void WriteSparse(Stream output, byte[] buf, int n)
        {
            for (int o = 0; o < n; o += 4096)
            {
                int len = Math.Min(4096, n - o);
                if (IsZero(buf, o, len)) output.Seek(len, SeekOrigin.Current);
                else output.Write(buf, o, len);
            }
        }

        /// <summary>Copies <paramref name="length"/> bytes at <paramref name="offset"/> of a file into a new sparse private file.</summary>
        static void CopySparse(string from, long offset, long length, string to, CancellationToken ct)
        {
            using (var input = new FileStream(from, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan))
            using (var output = EdgeOps.Storage.PrivateFiles.CreateNew(to, replace: true))
            {
                input.Seek(offset, SeekOrigin.Begin);
                var buf = new byte[1 << 20];
                for (long left = length; left > 0;)
                {
                    ct.ThrowIfCancellationRequested();
                    int n = input.Read(buf, 0, (int)Math.Min(buf.Length, left));
                    if (n <= 0) break;
                    WriteSparse(output, buf, n);
                    left -= n;
                }
                output.SetLength(length);
            }
        }

        static int ReadFull(Stream s, byte[] buf)
        {
            int total = 0, n;
            while (total < buf.Length && (n = s.Read(buf, total, buf.Length - total)) > 0) total += n;
            return total;
        }

        static bool IsZero(byte[] b, int o, int n)
        {
            for (int i = o; i < o + n; i++) if (b[i] != 0) return false;
            return true;
        }

        static string HashFile(ImageFiles files, CancellationToken ct)
        {
            using (var s = files.OpenImage()) return EdgeOps.Storage.StorageTransfer.Sha256(s, ct);
        }

        static string FindE2fsck()
        {
            foreach (var d in new[] { "/usr/sbin", "/sbin", "/usr/bin", "/bin", "/usr/local/sbin" })
                if (File.Exists(Path.Combine(d, "e2fsck"))) return Path.Combine(d, "e2fsck");
            return null;
        }

        static (int, string) RunE2fsck(string program, CancellationToken ct, params string[] arguments)
        {
            var psi = new ProcessStartInfo(program) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
            EdgeOps.Transport.LocalTransport.AddArguments(psi, arguments);
            using (var p = Process.Start(psi))
            {
                p.StandardInput.Close();
                var err = p.StandardError.ReadToEndAsync();
                var output = p.StandardOutput.ReadToEnd();
                while (!p.WaitForExit(200)) if (ct.IsCancellationRequested) { try { p.Kill(); } catch (InvalidOperationException) { } ct.ThrowIfCancellationRequested(); }
                return (p.ExitCode, output + err.Result);
            }
        }
    }
}
