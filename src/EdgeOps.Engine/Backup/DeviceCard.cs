using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading;
using EdgeOps.Transport;

namespace EdgeOps.Backup
{
    /// <summary>What the probe script found about a card on a device.</summary>
    sealed class CardProbe
    {
        public string DevicePath;
        public string RealPath;
        public string RootSource;
        public string RootDisk;
        public long Size;
        public bool IsBlock;
        public bool HasZstd;
        public bool HasPerl;
        /// <summary>The device's perl has Digest::SHA: it can hash the ranges it reads.</summary>
        public bool HasDigestSha;
        /// <summary>The probe ran with flush and dropped the card's cached blocks.</summary>
        public bool Flushed;
        public int Cpus;
        public List<string> Mounted = new List<string>();
        /// <summary>Mount points of the card's ext filesystems whose journal the flush wrote in place.</summary>
        public List<string> Checkpointed = new List<string>();
        public Dictionary<string, string> Facts = new Dictionary<string, string>();

        public static CardProbe Run(IDeviceTransport t, string devicePath, CancellationToken ct, bool flush = false)
        {
            var name = t.Device.ComputerName;
            if (devicePath != null && devicePath.Any(ch => ch < 0x20 || ch == 0x7f))
                throw new EdgeOpsException("SdCardPathInvalid", "InvalidArgument",
                    $"{name}: -DevicePath '{Visible(devicePath)}' contains a control character (newline, tab...): give the card's path, for example /dev/mmcblk0 or /dev/sdb.");
            var r = t.Run(DeviceScripts.ProbeCommand(devicePath, flush), CommandOptions.Root, ct);
            r.EnsureSuccess(name, "looking at the card");
            var kv = DeviceScripts.ParseKeyValues(r.Stdout);
            string One(string k) => kv.TryGetValue(k, out var l) && l.Count > 0 ? l[0] : null;
            var p = new CardProbe
            {
                DevicePath = One("dev"), RealPath = One("real"), RootSource = One("rootsrc"), RootDisk = One("rootdisk"),
                IsBlock = One("kind") == "block", HasZstd = One("zstd") != null, HasPerl = One("perl") != null, HasDigestSha = One("digest") == "1",
                Cpus = int.TryParse(One("cpus"), out var c) ? c : 1, Flushed = One("flushed") == "1",
            };
            if (kv.TryGetValue("mounted", out var m)) p.Mounted = m;
            if (kv.TryGetValue("checkpointed", out var cp)) p.Checkpointed = cp;
            foreach (var k in new[] { "model", "arch", "kernel", "os" }) if (One(k) is string v && v.Length > 0) p.Facts[k] = v;
            switch (One("error"))
            {
                case "nodisk":
                    throw new EdgeOpsException("SdCardNotFound", "ObjectNotFound",
                        $"{name}: could not find the disk that holds '/' (root is '{p.RootSource}'): give -DevicePath.");
                case "missing":
                    throw new EdgeOpsException("SdCardNotFound", "ObjectNotFound",
                        $"{name}: '{p.DevicePath}' is neither a block device nor a file: check -DevicePath.");
            }
            if (!long.TryParse(One("size"), NumberStyles.Integer, CultureInfo.InvariantCulture, out p.Size) || p.Size <= 0)
                throw new EdgeOpsException("SdCardUnreadable", "ReadError", $"{name}: cannot read the size of '{p.DevicePath}' (the device said: {r.Stderr.Trim()}). Check that -DevicePath names a readable card or image.");
            if (!p.HasPerl)
                throw new EdgeOpsException("SdCardNeedsPerl", "NotInstalled", $"{name}: the card is read by a small perl helper and perl is not installed: install perl-base.");
            return p;
        }

        /// <summary>A path with its control characters shown as \n, \t or \xNN.</summary>
        static string Visible(string s) => string.Concat(s.Select(ch =>
            ch == '\n' ? "\\n" : ch == '\t' ? "\\t" : ch == '\r' ? "\\r" : ch < 0x20 || ch == 0x7f ? $"\\x{(int)ch:x2}" : ch.ToString()));

        /// <summary>True when the path is the disk holding the running system (or one of its partitions).</summary>
        public bool HoldsRunningSystem =>
            !string.IsNullOrEmpty(RootDisk) && (Same(RootDisk, DevicePath) || Same(RootDisk, RealPath) || Same(RootSource, DevicePath) || Same(RootSource, RealPath));

        static bool Same(string a, string b) => !string.IsNullOrEmpty(a) && !string.IsNullOrEmpty(b) && a == b;
    }

    /// <summary>
    /// Reads ranges of a card through the transport with the perl helper (root). Each read is a round trip (a command
    /// over SSH, sudo, perl), so what the layout scan will surely need next can be fetched ahead in one
    /// (<see cref="IPrefetchingBlockSource.Prefetch"/>) and is then served from here.
    /// </summary>
    sealed class DeviceBlockSource : IPrefetchingBlockSource
    {
        readonly IDeviceTransport _t;
        readonly string _path;
        readonly CancellationToken _ct;
        readonly List<(ByteRange range, byte[] data)> _fetched = new List<(ByteRange, byte[])>();
        readonly Action<string> _log;
        public DeviceBlockSource(IDeviceTransport t, string path, CancellationToken ct, Action<string> log = null) { _t = t; _path = path; _ct = ct; _log = log; }

        public byte[] Read(IReadOnlyList<ByteRange> ranges)
        {
            var held = FromFetched(ranges);
            return held ?? Fetch(ranges);
        }

        public void Prefetch(IReadOnlyList<ByteRange> ranges)
        {
            var data = Fetch(ranges);
            long at = 0;
            foreach (var r in ranges)
            {
                var piece = new byte[r.Length];
                Buffer.BlockCopy(data, (int)at, piece, 0, (int)r.Length);
                _fetched.Add((r, piece));
                at += r.Length;
            }
        }

        /// <summary>The ranges' bytes when every one lies inside something fetched ahead; else null.</summary>
        byte[] FromFetched(IReadOnlyList<ByteRange> ranges)
        {
            var output = new byte[ranges.Sum(r => r.Length)];
            long at = 0;
            foreach (var r in ranges)
            {
                int i = _fetched.FindIndex(f => f.range.Start <= r.Start && r.End <= f.range.End);
                if (i < 0) return null;
                Buffer.BlockCopy(_fetched[i].data, (int)(r.Start - _fetched[i].range.Start), output, (int)at, (int)r.Length);
                at += r.Length;
            }
            return output;
        }

        byte[] Fetch(IReadOnlyList<ByteRange> ranges)
        {
            var plan = DeviceScripts.Plan(ranges.Select(r => (IReadOnlyList<ByteRange>)new[] { r }));
            var sw = System.Diagnostics.Stopwatch.StartNew();
            using (var output = new MemoryStream())
            {
                var r = _t.RunStreaming(DeviceScripts.ReaderCommand(_path, false, 0, 1), new MemoryStream(plan), output, CommandOptions.Root, _ct);
                r.EnsureSuccess(_t.Device.ComputerName, $"reading '{_path}'");
                long want = ranges.Sum(x => x.Length);
                if (output.Length != want)
                    throw new EdgeOpsException("SdCardShortRead", "ReadError",
                        $"{_t.Device.ComputerName}: reading '{_path}' returned {output.Length} of {want} bytes: check that the card is still there and not failing (dmesg on the device), then run the command again.");
                _log?.Invoke($"read {ranges.Count} ranges ({want / 1024} KiB) of the card in {sw.Elapsed.TotalSeconds:0.000} s");
                return output.ToArray();
            }
        }
    }
}
