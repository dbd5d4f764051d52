using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;

namespace EdgeOps.Swap
{
    /// <summary>Where the swap managers keep their configuration. Tests of the engine point it at a scratch folder.</summary>
    public sealed class SwapLayout
    {
        public string Fstab { get; set; } = "/etc/fstab";
        public string DphysConfig { get; set; } = "/etc/dphys-swapfile";
        /// <summary>/etc/rpi: swap.conf and swap.conf.d/ of rpi-swap.</summary>
        public string RpiEtc { get; set; } = "/etc/rpi";
        public string SysctlFile { get; set; } = "/etc/sysctl.d/99-edgeops-swappiness.conf";
        /// <summary>/etc/systemd/system: where enabled units are linked.</summary>
        public string SystemdEtc { get; set; } = "/etc/systemd/system";

        public const string RpiDropInName = "90-edgeops-swap.conf";
        public string RpiDropIn => RpiEtc.TrimEnd('/') + "/swap.conf.d/" + RpiDropInName;
        public static SwapLayout Default => new SwapLayout();

        /// <summary>A layout whose /etc is <paramref name="etc"/> (engine tests on the local machine).</summary>
        public static SwapLayout Under(string etc)
        {
            etc = etc.TrimEnd('/');
            return new SwapLayout
            {
                Fstab = etc + "/fstab", DphysConfig = etc + "/dphys-swapfile", RpiEtc = etc + "/rpi",
                SysctlFile = etc + "/sysctl.d/99-edgeops-swappiness.conf", SystemdEtc = etc + "/systemd/system",
            };
        }
    }

    /// <summary>One line of /proc/swaps, with whether a file area is really this device's own (see <see cref="Mine"/>).</summary>
    public sealed class ActiveSwap
    {
        public string Path { get; set; }
        /// <summary>file or partition, as /proc/swaps says.</summary>
        public string Type { get; set; }
        public long SizeBytes { get; set; }
        public long UsedBytes { get; set; }
        public int Priority { get; set; }
        /// <summary>For files: yes (the file at this path is an active swap area), no, absent, unknown; "na" for devices.</summary>
        public string Busy { get; set; }
        public string Uuid { get; set; }
        public bool IsZram => Path.StartsWith("/dev/zram", StringComparison.Ordinal);
        public bool IsFile => Type == "file";
        /// <summary>
        /// /proc/swaps lists areas by path, but a path only proves ownership where one kernel serves one
        /// root (a real device). A file row counts only when the file at that path on this device is busy
        /// as swap (writes fail with ETXTBSY) and its size fits the row, and only once per path, so areas
        /// with the same name elsewhere are never taken for ours.
        /// </summary>
        public bool Mine => !IsFile || (!Duplicate && (Busy == "yes" || Busy == "unknown") && SizeFitsFile);

        /// <summary>Size of the file at this path on the device (-1: unknown).</summary>
        public long LocalFileSize { get; set; } = -1;
        internal int PageSize { get; set; } = 4096;
        internal bool Duplicate { get; set; }

        /// <summary>
        /// The kernel counts a swap file's pages less the header page: a row whose size does not match the
        /// device's file of that name is another root's file (the simulated fleet: one kernel, many roots).
        /// </summary>
        /// <summary>
        /// The kernel's size of a swap file is its pages less the header, less the pages it could not map where
        /// extents do not line up with pages (filesystems with 1 KiB blocks): at most 1% (or 4 pages) under that.
        /// </summary>
        bool SizeFitsFile
        {
            get
            {
                if (LocalFileSize < 0) return true;
                long max = (LocalFileSize / PageSize - 1) * PageSize;
                return SizeBytes <= max && SizeBytes >= max - Math.Max(4L * PageSize, max / 100);
            }
        }
    }

    /// <summary>Facts about one path the probe was asked about.</summary>
    public sealed class FileFacts
    {
        public string Path { get; set; }
        /// <summary>absent, file, dir, link or other.</summary>
        public string Kind { get; set; } = "absent";
        public long Size { get; set; }
        public long AllocatedBytes { get; set; }
        public string Mode { get; set; }
        public int Uid { get; set; } = -1;
        public bool SwapSignature { get; set; }
        public bool NoCow { get; set; }
        public string Busy { get; set; }
        public bool DirExists { get; set; }
        public string FileSystem { get; set; }
        public long DirAvailBytes { get; set; }
        public long DirSizeBytes { get; set; }
        public bool Exists => Kind != "absent";
        public bool HasHoles => Kind == "file" && AllocatedBytes < Size;
    }

    public sealed class RpiSwapFile
    {
        public string Dir { get; set; }
        public string Name { get; set; }
        public string Text { get; set; }
        public string FullPath => Dir.TrimEnd('/') + "/" + Name;
    }

    /// <summary>Everything the swap cmdlets need to know about a device, read in one round trip.</summary>
    public sealed class SwapFacts
    {
        public int Uid { get; set; } = -1;
        public long MemTotal { get; set; }
        public long MemAvailable { get; set; }
        public int PageSize { get; set; } = 4096;
        public int CpuCount { get; set; } = 1;
        public int Swappiness { get; set; } = -1;
        public HashSet<string> Tools { get; } = new HashSet<string>(StringComparer.Ordinal);
        public List<ActiveSwap> Swaps { get; } = new List<ActiveSwap>();
        public Dictionary<string, FileFacts> Files { get; } = new Dictionary<string, FileFacts>(StringComparer.Ordinal);
        /// <summary>null when the file does not exist.</summary>
        public string Fstab { get; set; }
        public string DphysConfig { get; set; }
        public bool DphysProgram { get; set; }
        public string DphysUnit { get; set; }
        public List<string> DphysEnabledLinks { get; } = new List<string>();
        public bool RpiSwapGenerator { get; set; }
        public RpiSwapFile RpiMain { get; set; }
        public List<RpiSwapFile> RpiDropIns { get; } = new List<RpiSwapFile>();
        public List<KeyValuePair<string, long>> Zram { get; } = new List<KeyValuePair<string, long>>();
        public List<string> NvZramConfig { get; } = new List<string>();
        public string SysctlFile { get; set; }

        public bool DphysInstalled => DphysConfig != null && (DphysProgram || DphysUnit != null);
        public bool RpiSwapInstalled => RpiSwapGenerator || RpiMain != null || RpiDropIns.Count > 0;

        /// <summary>The active area of this device at <paramref name="path"/>, or null.</summary>
        public ActiveSwap ActiveAt(string path) => Swaps.FirstOrDefault(s => s.Mine && s.Path == path);

        /// <summary>Active file and partition swap of this device (zram excluded), optionally leaving one path out.</summary>
        public long DiskSwapBytes(string except = null) =>
            Swaps.Where(s => s.Mine && !s.IsZram && s.Path != except).Sum(s => s.SizeBytes);

        public long ZramSwapBytes => Swaps.Where(s => s.IsZram).Sum(s => s.SizeBytes);

        public FileFacts File(string path) => Files.TryGetValue(path, out var f) ? f : null;

        // ---------------------------------------------------------------- parsing

        /// <summary>Parses the probe's output (tab-separated records, file contents in base64).</summary>
        public static SwapFacts Parse(string output, IReadOnlyList<string> paths)
        {
            var f = new SwapFacts();
            foreach (var raw in (output ?? "").Split('\n'))
            {
                var line = raw.TrimEnd('\r');
                if (line.Length == 0) continue;
                var p = line.Split('\t');
                string At(int i) => i < p.Length ? p[i] : "";
                switch (p[0])
                {
                    case "uid": f.Uid = (int)Num(At(1), -1); break;
                    case "mem":
                        if (At(1) == "MemTotal") f.MemTotal = Num(At(2));
                        else if (At(1) == "MemAvailable") f.MemAvailable = Num(At(2));
                        break;
                    case "pagesize": f.PageSize = (int)Math.Max(1024, Num(At(1), 4096)); break;
                    case "cpus": f.CpuCount = (int)Math.Max(1, Num(At(1), 1)); break;
                    case "swappiness": f.Swappiness = (int)Num(At(1), -1); break;
                    case "tool": f.Tools.Add(At(1)); break;
                    case "swap":
                        f.Swaps.Add(new ActiveSwap
                        {
                            Path = UnescapeProc(At(1)), Type = At(2), SizeBytes = Num(At(3)) * 1024, UsedBytes = Num(At(4)) * 1024,
                            Priority = (int)Num(At(5)), Busy = At(6), Uuid = At(7), LocalFileSize = Num(At(8), -1),
                        });
                        break;
                    case "file":
                    {
                        int idx = (int)Num(At(1), -1);
                        if (idx < 0 || idx >= paths.Count) break;
                        var ff = new FileFacts
                        {
                            Path = paths[idx], Kind = At(2), Size = Num(At(3)), AllocatedBytes = Num(At(4)) * Math.Max(1, Num(At(5), 512)),
                            Mode = At(6), Uid = (int)Num(At(7), -1), SwapSignature = At(8) == "SWAPSPACE2",
                            NoCow = At(9).IndexOf('C') >= 0, Busy = At(10), DirExists = At(11) == "1", FileSystem = At(12),
                            DirSizeBytes = Num(At(13)), DirAvailBytes = Num(At(14)),
                        };
                        f.Files[ff.Path] = ff;
                        break;
                    }
                    case "fstab": f.Fstab = B64(At(1)); break;
                    case "dphysconf": f.DphysConfig = B64(At(1)); break;
                    case "dphysbin": f.DphysProgram = true; break;
                    case "dphysunit": f.DphysUnit = At(1); break;
                    case "dphyslink": f.DphysEnabledLinks.Add(At(1)); break;
                    case "rpigen": f.RpiSwapGenerator = true; break;
                    case "rpimain": f.RpiMain = new RpiSwapFile { Dir = At(1), Name = "swap.conf", Text = B64(At(2)) }; break;
                    case "rpidrop": f.RpiDropIns.Add(new RpiSwapFile { Dir = At(1), Name = At(2), Text = B64(At(3)) }); break;
                    case "zram": f.Zram.Add(new KeyValuePair<string, long>("/dev/" + At(1), Num(At(2)))); break;
                    case "nvzram": f.NvZramConfig.Add(At(1)); break;
                    case "sysctl": f.SysctlFile = B64(At(1)); break;
                }
            }
            // Rows of the same path: only one can be this device's file (the first whose size fits it).
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var s in f.Swaps.Where(s => s.IsFile))
            {
                s.PageSize = f.PageSize;
                if (s.Mine && !seen.Add(s.Path)) s.Duplicate = true;
            }
            return f;
        }

        static long Num(string s, long dflt = 0) =>
            long.TryParse(s?.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : dflt;

        static string B64(string s)
        {
            try { return Encoding.UTF8.GetString(Convert.FromBase64String(s.Trim())); }
            catch (FormatException) { return ""; }
        }

        /// <summary>/proc/swaps and fstab escape space, tab, newline and backslash as \ooo octal.</summary>
        public static string UnescapeProc(string s)
        {
            if (s.IndexOf('\\') < 0) return s;
            var sb = new StringBuilder(s.Length);
            for (int i = 0; i < s.Length; i++)
            {
                if (s[i] == '\\' && IsOctal(s, i + 1))
                {
                    sb.Append((char)Convert.ToInt32(s.Substring(i + 1, 3), 8));
                    i += 3;
                }
                else sb.Append(s[i]);
            }
            return sb.ToString();
        }

        static bool IsOctal(string s, int at)
        {
            if (at + 3 > s.Length) return false;
            for (int k = at; k < at + 3; k++) if (s[k] < '0' || s[k] > '7') return false;
            return true;
        }
    }
}
