using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using EdgeOps.Fleet;
using EdgeOps.Transport;

namespace EdgeOps.Backup
{
    public sealed class RestoreRequest
    {
        public string Path { get; set; }
        public string DevicePath { get; set; }
        /// <summary>Also write zeros over the unmapped blocks.</summary>
        public bool Full { get; set; }
        public TimeSpan StreamTimeout { get; set; } = TimeSpan.FromHours(24);
        /// <summary>Credentials and endpoint when -Path is in an object store.</summary>
        public EdgeOps.Storage.StorageOptions Storage { get; set; }
    }

    /// <summary>
    /// Restore-SdCard's work: checks the target (a block device, not mounted, not the running system, large
    /// enough), writes the mapped blocks (all blocks with -Full) through the transport, then reads them back and
    /// compares each range's sha256 with the block map.
    /// </summary>
    public static class SdCardRestoreService
    {
        public static SdCardRestore Run(IDeviceContext ctx, RestoreRequest req)
        {
            var name = ctx.Device.ComputerName;
            var ct = ctx.Cancellation;
            using (var files = ImageFiles.Fetch(req.Path, req.Storage, null, ct))
                return Run(ctx, req, files);
        }

        static SdCardRestore Run(IDeviceContext ctx, RestoreRequest req, ImageFiles files)
        {
            var name = ctx.Device.ComputerName;
            var ct = ctx.Cancellation;
            var manifest = files.ReadManifest();
            var map = files.ReadMap();
            bool full = req.Full;
            if (map == null)
            {
                if (manifest == null)
                    throw new EdgeOpsException("BackupMapMissing", "ObjectNotFound", $"{name}: '{files.Map}' is missing and there is no manifest to give the image size: restore it with zstd -dc | dd, or give the block map.");
                ctx.Warning($"no block map beside '{files.Image}': the whole image is written");
                map = new BlockMap { ImageSize = manifest.ImageBytes };
                map.Ranges.Add(new MappedRange { First = 0, Last = map.BlocksCount - 1 });
                full = true;
            }
            else if (manifest != null && !string.IsNullOrEmpty(manifest.MapSha256) && map.FileChecksum != manifest.MapSha256)
                throw new EdgeOpsException("RestoreImageInvalid", "InvalidData", $"{name}: the block map '{files.Map}' is not the one its manifest names (checksum {map.FileChecksum}, the manifest says {manifest.MapSha256}); nothing was written: restore from another backup.");
            if (string.IsNullOrWhiteSpace(req.DevicePath))
                throw new EdgeOpsException("RestoreTargetMissing", "InvalidArgument", $"{name}: -DevicePath is required: the card (block device) to write.");
            var t = ctx.Transport;
            var probe = CardProbe.Run(t, req.DevicePath, ct);
            if (!probe.IsBlock)
                throw new EdgeOpsException("RestoreTargetNotBlockDevice", "InvalidArgument", $"{name}: '{req.DevicePath}' is not a block device: give the card's device (for example /dev/sdb or /dev/mmcblk0).");
            if (probe.HoldsRunningSystem)
                throw new EdgeOpsException("RestoreTargetInUse", "ResourceBusy", $"{name}: '{req.DevicePath}' holds the running system (/ is on {probe.RootSource}): refusing to overwrite it. Write the card in a reader, or boot the device from another disk.");
            if (probe.Mounted.Count > 0)
                throw new EdgeOpsException("RestoreTargetMounted", "ResourceBusy", $"{name}: '{req.DevicePath}' is in use ({string.Join(", ", probe.Mounted)}): unmount it first.");
            if (probe.Size < map.ImageSize)
                throw new EdgeOpsException("RestoreTargetTooSmall", "InvalidArgument", $"{name}: '{req.DevicePath}' has {probe.Size} bytes, the image needs {map.ImageSize}: use a card at least as large as the image.");

            var sw = Stopwatch.StartNew();
            if (!ctx.ShouldProcess(req.DevicePath, $"Overwrite with the image '{files.Image}' ({RateMeter.Human(map.ImageSize)}{(full ? ", all blocks" : ", mapped blocks")})"))
                return null;

            var ranges = map.Ranges.Select(map.Bytes).ToList();
            long toWrite = full ? map.ImageSize : Ranges.Total(ranges);
            const string activity = "Restoring the SD card";
            string imageHash = null;
            using (var cts = CancellationTokenSource.CreateLinkedTokenSource(ct))
            {
                var pipe = new BlockingPipe(cts.Token);
                Exception producerError = null;
                var producer = Task.Run(() =>
                {
                    try { imageHash = Produce(files, map, ranges, full, pipe, done => ctx.Progress(activity, "writing", done, map.ImageSize), cts.Token); }
                    catch (Exception e) { producerError = e; cts.Cancel(); }
                    finally { pipe.Complete(); }
                });
                CommandResult r;
                try
                {
                    using (var stdout = new MemoryStream())
                    {
                        r = t.RunStreaming(DeviceScripts.WriterCommand(probe.DevicePath), pipe, stdout, new CommandOptions { Sudo = true, Timeout = req.StreamTimeout }, cts.Token);
                        r.Stdout = Encoding.UTF8.GetString(stdout.ToArray());
                    }
                }
                catch (OperationCanceledException) when (producerError != null) { r = null; }
                finally { pipe.Abandon(); producer.Wait(); }
                if (producerError != null)
                    throw new EdgeOpsException("RestoreImageInvalid", "InvalidData", $"{name}: reading the image '{files.Image}' failed ({producerError.Message}); '{req.DevicePath}' was partly written: restore again from a good image.", producerError);
                if (r.ExitCode != 0 || !r.Stdout.Contains("ok"))
                    throw new EdgeOpsException("RestoreWriteFailed", "WriteError", $"{name}: writing '{req.DevicePath}' failed (exit code {r.ExitCode}; the device said: \"{r.Stderr.Trim()}\"). Check the card and run Restore-SdCard again.");
                if (manifest != null && !string.IsNullOrEmpty(manifest.Sha256) && imageHash != manifest.Sha256)
                    throw new EdgeOpsException("RestoreImageInvalid", "InvalidData", $"{name}: the image '{files.Image}' does not match its manifest's sha256; '{req.DevicePath}' holds a damaged image: restore from another backup.");
            }
            ctx.ProgressDone(activity);

            // Read back from the card itself (its cached blocks dropped first) and compare.
            t.Run(DeviceScripts.FlushBuffers(probe.DevicePath), CommandOptions.Root, ct);
            ctx.Verbose($"reading back {RateMeter.Human(full ? map.ImageSize : Ranges.Total(ranges))} from '{probe.DevicePath}'");
            // a full restore compares the card with the whole image: as the manifest says (format 1), else as it was just decoded
            VerifyReadBack(ctx, t, probe.DevicePath, map, ranges, full, string.IsNullOrEmpty(manifest?.Sha256) ? imageHash : manifest.Sha256, ct);
            if (GptTail.Fix(t, probe.DevicePath, probe.Size, ct)) ctx.Verbose($"wrote the backup GPT header and entries at the end of '{probe.DevicePath}'");
            t.Run(DeviceScripts.FlushAndRescan(probe.DevicePath), CommandOptions.Root, ct);
            var seconds = sw.Elapsed.TotalSeconds;
            return new SdCardRestore
            {
                ComputerName = name, Path = EdgeOps.Storage.HttpStore.Redact(files.Source), DevicePath = probe.DevicePath, ImageBytes = map.ImageSize, WrittenBytes = toWrite,
                Seconds = Math.Round(seconds, 2), MBps = Math.Round(map.ImageSize / 1048576.0 / Math.Max(seconds, 0.001), 1), Full = full, Verified = true,
            };
        }

        /// <summary>Decompresses the image and writes the writer's protocol; returns the raw image's sha256.</summary>
        static string Produce(ImageFiles files, BlockMap map, List<ByteRange> ranges, bool full, Stream pipe, Action<long> progress, CancellationToken ct)
        {
            var ci = CultureInfo.InvariantCulture;
            void Header(string op, long off, long len) { var h = Encoding.ASCII.GetBytes(op + " " + off.ToString(ci) + " " + len.ToString(ci) + "\n"); pipe.Write(h, 0, h.Length); }
            var check = new BlockMap { ImageSize = map.ImageSize, BlockSize = map.BlockSize };
            foreach (var r in map.Ranges) check.Ranges.Add(new MappedRange { First = r.First, Last = r.Last });
            using (var hasher = new ImageHasher(check))
            using (var raw = files.OpenRaw())
            {
                var buf = new byte[1 << 20];
                long pos = 0, lastReport = 0;
                int index = 0;
                while (pos < map.ImageSize)
                {
                    ct.ThrowIfCancellationRequested();
                    // Next piece: the rest of the current mapped range, or the gap up to the next one.
                    bool mapped = index < ranges.Count && pos >= ranges[index].Start;
                    long end = mapped ? ranges[index].End : (index < ranges.Count ? ranges[index].Start : map.ImageSize);
                    if (mapped || full) Header(mapped ? "W" : "Z", pos, end - pos);
                    while (pos < end)
                    {
                        int want = (int)Math.Min(buf.Length, end - pos);
                        int n = raw.Read(buf, 0, want);
                        if (n <= 0) throw new InvalidDataException($"the image ended at byte {pos}, before its size {map.ImageSize}");
                        hasher.Add(buf, 0, n);
                        if (mapped) pipe.Write(buf, 0, n);
                        pos += n;
                    }
                    if (mapped) index++;
                    if (pos - lastReport >= (8 << 20) || pos == map.ImageSize) { progress(pos); lastReport = pos; }
                }
                if (raw.Read(buf, 0, 1) > 0) throw new InvalidDataException("the image is longer than its block map says");
                var e = Encoding.ASCII.GetBytes("E\n");
                pipe.Write(e, 0, e.Length);
                var whole = hasher.Finish();
                for (int i = 0; i < map.Ranges.Count; i++)
                    if (map.Ranges[i].Sha256 != null && map.Ranges[i].Sha256 != check.Ranges[i].Sha256)
                        throw new InvalidDataException($"blocks {map.Ranges[i].First}-{map.Ranges[i].Last} of the image do not match the block map's sha256");
                return whole;
            }
        }

        static void VerifyReadBack(IDeviceContext ctx, IDeviceTransport t, string dev, BlockMap map, List<ByteRange> ranges, bool full, string imageSha, CancellationToken ct)
        {
            var name = ctx.Device.ComputerName;
            var pieces = full ? Ranges.SplitLong(new[] { new ByteRange(0, map.ImageSize) }, 64L << 20) : ranges;
            var sink = new RangeHashSink(pieces.Select(p => p.Length).ToList());
            var plan = DeviceScripts.Plan(pieces.Select(p => (IReadOnlyList<ByteRange>)new[] { p }));
            var r = t.RunStreaming(DeviceScripts.ReaderCommand(dev, false, 0, 1), new MemoryStream(plan), sink, new CommandOptions { Sudo = true, Timeout = TimeSpan.FromHours(24) }, ct);
            r.EnsureSuccess(name, $"reading back '{dev}'");
            var got = sink.Finish();
            if (full)
            {
                if (imageSha != null && sink.WholeHash != imageSha)
                    throw new EdgeOpsException("RestoreVerifyFailed", "WriteError", $"{name}: '{dev}' read back differs from the image (sha256 {sink.WholeHash}, image {imageSha}): the card may be failing. Try another card.");
                return;
            }
            for (int i = 0; i < map.Ranges.Count; i++)
                if (map.Ranges[i].Sha256 != null && map.Ranges[i].Sha256 != got[i])
                    throw new EdgeOpsException("RestoreVerifyFailed", "WriteError", $"{name}: blocks {map.Ranges[i].First}-{map.Ranges[i].Last} of '{dev}' read back differ from the image: the card may be failing. Try another card.");
        }

        /// <summary>Hashes consecutive pieces of known lengths (and all of them together).</summary>
        sealed class RangeHashSink : EdgeOps.Storage.WriteOnlyStream
        {
            readonly List<long> _lengths; readonly List<string> _hashes = new List<string>();
            readonly IncrementalHash _h = IncrementalHash.CreateHash(HashAlgorithmName.SHA256), _all = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            long _left; int _i;
            public RangeHashSink(List<long> lengths) { _lengths = lengths; _left = lengths.Count > 0 ? lengths[0] : 0; }
            public string WholeHash { get; private set; }
            public override void Write(byte[] buffer, int offset, int count)
            {
                _all.AppendData(buffer, offset, count);
                while (count > 0)
                {
                    if (_i >= _lengths.Count) throw new InvalidDataException("read back more than asked for");
                    int n = (int)Math.Min(count, _left);
                    _h.AppendData(buffer, offset, n);
                    offset += n; count -= n; _left -= n;
                    if (_left == 0) { _hashes.Add(Hex.Lower(_h.GetHashAndReset())); _i++; _left = _i < _lengths.Count ? _lengths[_i] : 0; }
                }
            }
            public List<string> Finish()
            {
                if (_i != _lengths.Count) throw new InvalidDataException($"read back {_i} of {_lengths.Count} ranges");
                WholeHash = Hex.Lower(_all.GetHashAndReset());
                return _hashes;
            }
        }
    }
}
