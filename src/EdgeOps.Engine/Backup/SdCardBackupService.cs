using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using EdgeOps.Fleet;
using EdgeOps.Storage;
using EdgeOps.Transport;

namespace EdgeOps.Backup
{
    public sealed class BackupRequest
    {
        public string Destination { get; set; }
        /// <summary>The card to read; empty: the disk holding the device's root filesystem.</summary>
        public string DevicePath { get; set; }
        public string[] StopService { get; set; } = new string[0];
        public int Keep { get; set; }
        public int KeepDaily { get; set; }
        public int KeepWeekly { get; set; }
        public int KeepMonthly { get; set; }
        public int CompressionLevel { get; set; } = 3;
        /// <summary>Auto (on the device when it has zstd), Device or Controller.</summary>
        public string CompressOn { get; set; } = "Auto";
        /// <summary>Time allowed for reading the card (large cards over slow links take long).</summary>
        public TimeSpan StreamTimeout { get; set; } = TimeSpan.FromHours(24);
        /// <summary>Credentials and endpoint for s3:// and Azure Blob destinations.</summary>
        public EdgeOps.Storage.StorageOptions Storage { get; set; }
    }

    /// <summary>
    /// Backup-SdCard's work for one device: find the card, read its partition table and filesystem
    /// headers, stream only the used blocks (compressed on the device when it has zstd), write a standard
    /// .img.zst with a bmaptool block map and a JSON manifest under temporary names, verify, rename,
    /// then apply retention.
    /// </summary>
    public static class SdCardBackupService
    {
        // A chunk is one zstd process and one frame on the device: the card idles while one ends and the next starts, so
        // chunks are large; the zeros of the gaps inside a chunk cost the device's zstd and the controller's decoder
        // almost nothing (they are never read from the card).
        const long MaxChunkGap = 8L << 20, MaxChunkSpan = 1L << 30;
        public const string ImageSuffix = ".img.zst", MapSuffix = ".img.bmap", ManifestSuffix = ".json", PartialSuffix = ".partial";

        public static string Version =>
            typeof(SdCardBackupService).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";

        public static SdCardBackup Run(IDeviceContext ctx, BackupRequest req)
        {
            var name = ctx.Device.ComputerName;
            var ct = ctx.Cancellation;
            foreach (var svc in req.StopService ?? new string[0])
                if (string.IsNullOrEmpty(svc) || !System.Text.RegularExpressions.Regex.IsMatch(svc, @"^[A-Za-z0-9][A-Za-z0-9@._:\\-]*$"))
                    throw new EdgeOpsException("InvalidServiceName", "InvalidArgument",
                        $"{name}: -StopService '{svc}' is not a service name: use letters, digits and @ . _ : - \\ only, as systemctl shows them.");
            // On the controller itself the card is in a reader and must be named: the disk holding this machine's own
            // "/" is never backed up by default.
            if (ctx.Device.IsLocal && string.IsNullOrWhiteSpace(req.DevicePath))
                throw new EdgeOpsException("SdCardPathRequired", "InvalidArgument",
                    $"{name}: on this machine give -DevicePath, the card in the reader (for example /dev/sdb or /dev/mmcblk0): " +
                    "EdgeOps does not back up the controller's own system disk by default. To back up a device, pipe it from Get-EdgeDevice.");
            var sw = Stopwatch.StartNew();
            using (var store = BackupDestination.Open(req.Destination, req.Storage))
            using (var gate = store.TryLock(BackupDestination.SafeName(name)))
            {
                if (gate == null)
                    throw new EdgeOpsException("BackupInProgress", "ResourceBusy",
                        $"{name}: another backup of this device is writing to '{store.Location}': wait for it to finish.");
                foreach (var stale in Retention.CleanStale(store, name, ct)) ctx.Verbose($"removed '{stale}' left by an interrupted run");

                var t = ctx.Transport;
                var stamp = DateTimeOffset.UtcNow;
                var baseName = UniqueBase(store, name, stamp);
                var names = new Names(baseName);
                var stopped = new List<string>();
                CardLayout layout; CardProbe probe; Dictionary<string, string> facts;
                (string raw, string compressed, string check) hashes; long stored; string compression;
                var map = (BlockMap)null;
                StagedObject image = null, mapFile = null, manifestFile = null;   // invisible until committed, removed if not
                try
                {
                    // sync, look at the card and drop its cached blocks in one round trip (after stopping services, the
                    // flush is done again below)
                    ctx.Verbose("sync");
                    var services = req.StopService ?? new string[0];
                    probe = CardProbe.Run(t, req.DevicePath, ct, flush: true);
                    try
                    {
                        foreach (var svc in services)
                        {
                            if (!ctx.ShouldProcess(svc, "Stop service for the backup")) continue;
                            ctx.Verbose($"stopping service '{svc}'");
                            t.Run(DeviceScripts.Service("stop", svc), CommandOptions.Root, ct).EnsureSuccess(name, $"stopping service '{svc}'");
                            stopped.Add(svc);
                        }
                        // Written data to the card (journals written in place), and the card's own cached blocks dropped:
                        // a whole-disk device has a page cache of its own that writes through its partitions do not update.
                        if (stopped.Count > 0 || !probe.Flushed)
                            probe = CardProbe.Run(t, probe.DevicePath, ct, flush: true);
                        foreach (var mount in probe.Checkpointed) ctx.Verbose($"wrote the journal of '{mount}' in place (a freeze and thaw), so its bitmaps are current");
                        ctx.Verbose($"reading the partition table and filesystem headers of '{probe.DevicePath}' ({RateMeter.Human(probe.Size)})");
                        var phase = Stopwatch.StartNew();
                        layout = CardLayout.Scan(new DeviceBlockSource(t, probe.DevicePath, ct, ctx.Verbose), probe.Size);
                        ctx.Verbose($"read the partition table and filesystem headers in {phase.Elapsed.TotalSeconds:0.00} s");
                        foreach (var fs in layout.FileSystems)
                            ctx.Verbose($"partition {fs.Partition}: {fs.Type} '{fs.Label}' {RateMeter.Human(fs.UsedBytes)} used{(fs.Note != null ? " (" + fs.Note + ")" : "")}");
                        facts = probe.Facts;
                        map = BlockMap.FromRanges(layout.ImageSize, layout.Mapped);
                        bool onDevice = req.CompressOn.Equals("Device", StringComparison.OrdinalIgnoreCase)
                            || (req.CompressOn.Equals("Auto", StringComparison.OrdinalIgnoreCase) && probe.HasZstd);
                        if (onDevice && !probe.HasZstd)
                            throw new EdgeOpsException("ZstdNotInstalled", "NotInstalled", $"{name}: -CompressOn Device needs zstd on the device: install zstd, or use -CompressOn Controller.");
                        compression = $"zstd -{req.CompressionLevel} ({(onDevice ? "on the device" : "on the controller")})";
                        ctx.Verbose($"streaming {RateMeter.Human(layout.MappedBytes)} of {RateMeter.Human(layout.ImageSize)}, compressed with {compression}");
                        phase.Restart();
                        image = store.Stage(BackupDestination.Key(name, names.Image), ct);
                        image.ReadBackWhileWriting();   // on a local disk: each block read back from the disk as it is written
                        (hashes, stored) = Stream(ctx, t, image, probe, layout, map, onDevice, req);
                        ctx.Verbose($"streamed and stored {RateMeter.Human(stored)} in {phase.Elapsed.TotalSeconds:0.00} s");
                    }
                    finally
                    {
                        RestartServices(ctx, t, stopped);
                    }

                    // Verify what is on the destination: the stored bytes must be the ones that decoded to the image. A CRC-64 (not
                    // sha256 a second time): the read-back proves the bytes unchanged; the sha256 that names them was taken as they came.
                    var verifyTime = Stopwatch.StartNew();
                    var onDisk = image.StoredCrc64(ct, out bool whileWriting);
                    ctx.Verbose(whileWriting ? $"verified the stored image (each block read back from the disk as it was written; the end in {verifyTime.Elapsed.TotalSeconds:0.00} s)"
                                             : $"verified the stored image (read back from the destination) in {verifyTime.Elapsed.TotalSeconds:0.00} s");
                    if (onDisk != hashes.check)
                        throw new EdgeOpsException("BackupVerifyFailed", "WriteError",
                            $"{name}: the image read back from '{store.Location}' differs from what was written (CRC-64 {onDisk} vs {hashes.check}); the previous backups are untouched. Check the destination's disk, then run the backup again.");

                    var manifest = BuildManifest(ctx.Device, probe, layout, facts, names, hashes, stored, compression, stopped, stamp, sw.Elapsed.TotalSeconds);
                    mapFile = WriteText(store, BackupDestination.Key(name, names.Map), map.ToXml(), ct);
                    manifestFile = WriteText(store, BackupDestination.Key(name, names.Manifest), manifest.ToJson(), ct);
                    mapFile.Commit();
                    image.Commit();
                    manifestFile.Commit();
                }
                catch (Exception e)
                {
                    throw Describe(e, name, store);
                }
                finally
                {
                    foreach (var staged in new[] { image, mapFile, manifestFile }) staged?.Dispose();
                }

                var removed = Retention.Apply(store, name, req, names.Manifest, ctx.ShouldProcess, ctx.Verbose, ct);
                var seconds = sw.Elapsed.TotalSeconds;
                return new SdCardBackup
                {
                    ComputerName = name, Path = store.PathOf(BackupDestination.Key(name, names.Image)), SourcePath = probe.DevicePath,
                    ImageBytes = layout.ImageSize, StoredBytes = stored, UsedBytes = layout.MappedBytes, MapSha256 = hashes.raw,
                    Seconds = Math.Round(seconds, 2), MBps = Math.Round(layout.ImageSize / 1048576.0 / Math.Max(seconds, 0.001), 1),
                    Verified = true, Removed = string.Join(", ", removed), Compression = compression,
                };
            }
        }

        sealed class Names
        {
            public Names(string b) { Base = b; }
            public string Base;
            public string Image => Base + ImageSuffix;
            public string Map => Base + MapSuffix;
            public string Manifest => Base + ManifestSuffix;
        }

        static string UniqueBase(IObjectStore store, string device, DateTimeOffset stamp)
        {
            var existing = new HashSet<string>(BackupDestination.Files(store, device).Select(f => f.Name), StringComparer.OrdinalIgnoreCase);
            var b = BackupDestination.SafeName(device) + "-" + stamp.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
            var candidate = b;
            for (int i = 2; existing.Contains(candidate + ManifestSuffix) || existing.Contains(candidate + ImageSuffix); i++) candidate = b + "-" + i;
            return candidate;
        }

        static ((string raw, string compressed, string check), long stored) Stream(IDeviceContext ctx, IDeviceTransport t, StagedObject file,
            CardProbe probe, CardLayout layout, BlockMap map, bool onDevice, BackupRequest req)
        {
            var name = ctx.Device.ComputerName;
            var chunks = Ranges.Chunk(layout.Mapped, MaxChunkGap, MaxChunkSpan);
            var spans = chunks.Select(c => new ByteRange(c[0].Start, c[c.Count - 1].End - c[0].Start)).ToList();
            var plan = DeviceScripts.Plan(chunks);
            ctx.Verbose($"{chunks.Count} chunks ({RateMeter.Human(Ranges.Total(spans))} with the zeros between ranges inside them)");
            // Where the device compresses and its perl has Digest::SHA, it hashes the ranges it reads (its CPU waits for the
            // card anyway) and the controller checks each frame's content checksum while decoding: see ImageSink.
            bool deviceHashes = onDevice && probe.HasDigestSha;
            ctx.Verbose(deviceHashes ? "the device hashes the mapped ranges (sha256); each frame's content checksum is checked here"
                                     : "the mapped ranges are hashed here (sha256)");
            long total = layout.ImageSize;
            const string activity = "Backing up the SD card";
            using (var cts = CancellationTokenSource.CreateLinkedTokenSource(ctx.Cancellation))
            {
                long last = -1;
                var sink = new ImageSink(file, spans, map, done =>
                {
                    if (done - last < (8 << 20) && done != total) return;
                    last = done;
                    ctx.Progress(activity, "image", done, total);
                }, cts.Token, rangesHashedOnDevice: deviceHashes);
                var guarded = new FailSafeStream(onDevice ? (Stream)sink : new ChunkCompressor(sink, spans, req.CompressionLevel, Environment.ProcessorCount), cts);
                CommandResult r;
                try
                {
                    var cmd = DeviceScripts.ReaderCommand(probe.DevicePath, onDevice, req.CompressionLevel, 0, deviceHashes);
                    r = t.RunStreaming(cmd, new MemoryStream(plan), guarded, new CommandOptions { Sudo = true, Timeout = req.StreamTimeout, BulkOutput = true }, cts.Token);
                }
                catch (Exception e) when (guarded.Error != null)
                {
                    sink.Abort();
                    if (guarded.Error is InvalidDataException bad) throw BadStream(name, bad);
                    throw new StreamFailure(guarded.Error, e);
                }
                catch { sink.Abort(); throw; }
                if (guarded.Error != null)
                {
                    sink.Abort();
                    if (guarded.Error is InvalidDataException bad) throw BadStream(name, bad);
                    throw new StreamFailure(guarded.Error, null);
                }
                var (rangeHashes, said) = DeviceScripts.RangeHashes(r.Stderr);
                if (r.ExitCode != 0)
                {
                    sink.Abort();
                    throw new EdgeOpsException("BackupReadFailed", "ReadError",
                        $"{name}: reading '{probe.DevicePath}' stopped with exit code {r.ExitCode} after {RateMeter.Human(sink.StoredBytes)} stored (the device said: \"{said.Trim()}\"). Check the card (dmesg on the device), then run the backup again.");
                }
                if (!onDevice) guarded.Inner.Dispose(); // ends the last frame compressed here
                if (deviceHashes)
                {
                    try { sink.SetRangeHashes(rangeHashes); }
                    catch (InvalidDataException e) { sink.Abort(); throw BadStream(name, e); }
                }
                (string raw, string compressed, string check) hashes;
                try { hashes = sink.Finish(); }
                catch (InvalidDataException e)
                {
                    sink.Abort();
                    throw new EdgeOpsException("BackupStreamIncomplete", "ReadError", $"{name}: the image stream from the device is incomplete ({e.Message.TrimEnd('.')}): the connection may have dropped. Check the device's network, then run the backup again.", e);
                }
                file.Flush();
                sink.Dispose();
                ctx.ProgressDone(activity);
                return (hashes, sink.StoredBytes);
            }
        }

        /// <summary>The device's stream did not decode to what the plan asked for (a frame too long or short, not zstd).</summary>
        static EdgeOpsException BadStream(string name, InvalidDataException e) =>
            new EdgeOpsException("BackupStreamIncomplete", "ReadError",
                $"{name}: the image stream from the device does not decode to the card's used blocks ({e.Message.TrimEnd('.')}). Check the device's network and its zstd, then run the backup again.", e);

        /// <summary>A failure of the destination (disk full, share gone) while the device was streaming.</summary>
        sealed class StreamFailure : Exception
        {
            public StreamFailure(Exception destination, Exception transport) : base(destination.Message, destination) { Transport = transport; }
            public Exception Transport { get; }
        }

        /// <summary>
        /// Passes writes through; the first failure (disk full...) is kept and the stream cancelled, so the
        /// device command is stopped instead of blocking on a pipe nobody reads.
        /// </summary>
        sealed class FailSafeStream : EdgeOps.Storage.WriteOnlyStream
        {
            readonly CancellationTokenSource _cts;
            public FailSafeStream(System.IO.Stream inner, CancellationTokenSource cts) { Inner = inner; _cts = cts; }
            public System.IO.Stream Inner { get; }
            public Exception Error { get; private set; }
            public override void Write(byte[] buffer, int offset, int count)
            {
                if (Error != null) return;
                try { Inner.Write(buffer, offset, count); }
                catch (Exception e) when (!(e is OperationCanceledException)) { Error = e; _cts.Cancel(); }
            }
        }

        static Exception Describe(Exception e, string name, IObjectStore store)
        {
            if (e is OperationCanceledException) return e;
            var inner = e is StreamFailure sf ? sf.InnerException : e;
            if (inner is StorageException se && se.ErrorId == "StorageVerifyFailed") inner = new EdgeOpsException("BackupVerifyFailed", se.Category, se.Message, se);
            if (inner is IOException io && IsDiskFull(io))
                return new EdgeOpsException("BackupDestinationFull", "WriteError",
                    $"{name}: the destination '{store.Location}' is full. Nothing was kept of this run and the previous backups are untouched: free space or lower -Keep.", e) { Device = name };
            if (inner is IOException || inner is UnauthorizedAccessException)
                return new EdgeOpsException("BackupWriteFailed", "WriteError",
                    $"{name}: cannot write the backup to '{store.Location}' ({IoReason.Of(inner)}). The previous backups are untouched: give a -Destination you can write to.", e) { Device = name };
            const string Untouched = " The previous backups are untouched.";
            if (inner is EdgeOpsException eo)
            {
                var msg = eo.Message.StartsWith(name + ":", StringComparison.Ordinal) ? eo.Message : $"{name}: {eo.Message}";
                msg = msg.TrimEnd();
                if (!msg.EndsWith(".", StringComparison.Ordinal) && !msg.EndsWith("?", StringComparison.Ordinal)) msg += ".";
                if (msg.IndexOf("previous backups are untouched", StringComparison.OrdinalIgnoreCase) < 0) msg += Untouched;   // said once, however the engine put it
                return new EdgeOpsException(eo.ErrorId, eo.Category, msg, eo) { Device = name };
            }
            if (inner is InvalidDataException)
                return new EdgeOpsException("SdCardLayoutInvalid", "InvalidData",
                    $"{name}: the card's layout cannot be read ({inner.Message.TrimEnd('.')}).{Untouched} Check that -DevicePath names the card (MBR or GPT partition table).", e) { Device = name };
            return new EdgeOpsException("BackupFailed", "NotSpecified",
                $"{name}: the backup stopped on an unexpected {inner.GetType().Name} ({inner.Message.TrimEnd('.')}).{Untouched} Run it again with -Verbose and report this as a bug.", e) { Device = name };
        }

        static bool IsDiskFull(IOException e) =>
            e.HResult == 28 || (e.HResult & 0xFFFF) == 28 || (e.HResult & 0xFFFF) == 0x70 || (e.HResult & 0xFFFF) == 0x27
            || e.Message.IndexOf("No space left", StringComparison.OrdinalIgnoreCase) >= 0
            || e.Message.IndexOf("not enough space", StringComparison.OrdinalIgnoreCase) >= 0
            || e.Message.IndexOf("quota", StringComparison.OrdinalIgnoreCase) >= 0;

        static void RestartServices(IDeviceContext ctx, IDeviceTransport t, List<string> stopped)
        {
            Exception first = null;
            for (int i = stopped.Count - 1; i >= 0; i--)
            {
                try
                {
                    ctx.Verbose($"starting service '{stopped[i]}' again");
                    t.Run(DeviceScripts.Service("start", stopped[i]), CommandOptions.Root, CancellationToken.None)
                        .EnsureSuccess(ctx.Device.ComputerName, $"starting service '{stopped[i]}' again");
                }
                catch (Exception e)
                {
                    ctx.Warning($"service '{stopped[i]}' could not be started again: {e.Message}");
                    if (first == null) first = e;
                }
            }
            if (first != null)
                throw new EdgeOpsException("ServiceRestartFailed", "InvalidResult",
                    $"{ctx.Device.ComputerName}: a service stopped for the backup could not be started again ({first.Message.TrimEnd('.')}). Start it by hand on the device (systemctl start).", first);
        }

        static StagedObject WriteText(IObjectStore store, string key, string text, CancellationToken ct)
        {
            var s = store.Stage(key, ct);
            try
            {
                var b = new UTF8Encoding(false).GetBytes(text);
                s.Write(b, 0, b.Length);
                return s;
            }
            catch { s.Dispose(); throw; }
        }

        static BackupManifest BuildManifest(EdgeDevice d, CardProbe probe, CardLayout layout, Dictionary<string, string> facts, Names names,
            (string raw, string compressed, string check) hashes, long stored, string compression, List<string> stopped, DateTimeOffset stamp, double seconds)
        {
            string F(string k) => facts.TryGetValue(k, out var v) && v.Length > 0 ? v : null;
            var m = new BackupManifest
            {
                EdgeOpsVersion = Version, ComputerName = d.ComputerName, Created = stamp.UtcDateTime.ToString("o", CultureInfo.InvariantCulture),
                Seconds = Math.Round(seconds, 2), SourcePath = probe.DevicePath, CardBytes = layout.DiskSize, ImageBytes = layout.ImageSize,
                UsedBytes = layout.MappedBytes, StoredBytes = stored, ImageFile = names.Image, BmapFile = names.Map, Compression = compression,
                MapSha256 = hashes.raw, CompressedSha256 = hashes.compressed, Verified = true,
                VerifiedAt = DateTimeOffset.UtcNow.UtcDateTime.ToString("o", CultureInfo.InvariantCulture), StoppedServices = stopped,
                Device = new ManifestDevice
                {
                    HostName = d.HostName, Kind = d.Kind, Model = F("model"), Architecture = F("arch"), OS = F("os"), Kernel = F("kernel"),
                    RootSource = probe.RootSource,
                },
                PartitionTable = new ManifestTable { Kind = layout.Table.Kind, DiskId = layout.Table.DiskId, SectorSize = layout.Table.SectorSize },
            };
            foreach (var p in layout.Table.Partitions)
                m.PartitionTable.Partitions.Add(new ManifestPartition { Number = p.Number, Start = p.Start, Size = p.Size, Type = p.Type, Uuid = p.Uuid, Name = p.Name, Bootable = p.Bootable });
            foreach (var f in layout.FileSystems)
                m.FileSystems.Add(new ManifestFileSystem { Partition = f.Partition, Type = f.Type, Variant = f.Variant, Label = f.Label, Uuid = f.Uuid, SizeBytes = f.SizeBytes, UsedBytes = f.UsedBytes, Note = f.Note });
            return m;
        }
    }
}
