using System.Diagnostics;
using System.Security.Cryptography;
using EdgeOps.Backup;
using Xunit;

namespace EdgeOps.Tests.Backup
{
    /// <summary>
    /// Ranges hashed on the device (issue 16): the real reader script (perl, Digest::SHA, zstd) over a real image file, its
    /// frames through the real sink (libzstd), and what the sink refuses when the device's frames or checksums do not hold.
    /// </summary>
    public sealed class DeviceHashTests : IDisposable
    {
        const long KiB = 1024, MiB = 1024 * 1024;
        readonly string _dir = Path.Combine(Path.GetTempPath(), "edgeops-devhash-" + Guid.NewGuid().ToString("N"));
        readonly string _image;
        // mapped ranges of a 3 MiB "card" full of random bytes: what lies between them must come back as zeros
        static readonly ByteRange[] s_mapped = { new(0, 64 * KiB), new(1 * MiB, 128 * KiB), new(2 * MiB + 4096, 8192) };
        const long ImageSize = 3 * MiB;

        public DeviceHashTests()
        {
            Directory.CreateDirectory(_dir);
            _image = Path.Combine(_dir, "card.img");
            File.WriteAllBytes(_image, RandomNumberGenerator.GetBytes((int)ImageSize));
        }

        public void Dispose() { try { Directory.Delete(_dir, true); } catch (IOException) { } }

        static List<List<ByteRange>> Chunks() => Ranges.Chunk(s_mapped, 8 * MiB, 1L << 30);

        /// <summary>Runs the device's reader here (perl and zstd of this machine): its stdout and stderr.</summary>
        (byte[] stdout, string stderr) Read(string hash, string zstdArgs = "")
        {
            var (code, stdout, stderr) = ReadPlan(hash, DeviceScripts.Plan(Chunks()), zstdArgs);
            Assert.True(code == 0, stderr);
            return (stdout, stderr);
        }

        (int code, byte[] stdout, string stderr) ReadPlan(string hash, byte[] plan, string zstdArgs = "")
        {
            var psi = new ProcessStartInfo("perl") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
            var script = EmbeddedScripts.Text("backup-reader.pl");
            if (zstdArgs.Length > 0) script = script.Replace("'--check'", zstdArgs);
            foreach (var a in new[] { "-e", script, _image, "zstd", "3", "1", hash }) psi.ArgumentList.Add(a);
            using var p = Process.Start(psi)!;
            p.StandardInput.BaseStream.Write(plan);
            p.StandardInput.Close();
            var err = p.StandardError.ReadToEndAsync();
            using var output = new MemoryStream();
            p.StandardOutput.BaseStream.CopyTo(output);
            p.WaitForExit();
            return (p.ExitCode, output.ToArray(), err.Result);
        }

        [Fact]
        public void A_card_that_ends_early_fails_the_hashing_reader_with_the_reason()
        {
            // the second range runs past the end of the card: the reading child stops, and so does the reader, non-zero
            var plan = DeviceScripts.Plan(new[] { (IReadOnlyList<ByteRange>)new[] { new ByteRange(0, 64 * KiB), new ByteRange(ImageSize - 4096, 2 * 4096) } });
            var (code, _, stderr) = ReadPlan("sha256", plan);
            Assert.NotEqual(0, code);
            Assert.Contains("the disk ended at byte", stderr);
            Assert.Contains("sha256 0 65536 ", stderr);   // the range before it was hashed and said
            Assert.DoesNotContain("sha256 " + (ImageSize - 4096), stderr);
        }

        byte[] ImageBytes(ByteRange r) => File.ReadAllBytes(_image).AsSpan((int)r.Start, (int)r.Length).ToArray();

        static (ImageSink sink, MemoryStream file, BlockMap map) Sink(bool onDevice)
        {
            var map = BlockMap.FromRanges(ImageSize, s_mapped);
            var spans = Chunks().Select(c => new ByteRange(c[0].Start, c[^1].End - c[0].Start)).ToList();
            var file = new MemoryStream();
            return (new ImageSink(file, spans, map, null, CancellationToken.None, rangesHashedOnDevice: onDevice), file, map);
        }

        [Fact]
        public void The_reader_hashes_each_range_and_the_sink_stores_an_image_with_those_hashes()
        {
            var (frames, stderr) = Read("sha256");
            var (hashes, rest) = DeviceScripts.RangeHashes(stderr + "a warning the device printed\n");
            Assert.Equal("a warning the device printed\n", rest);
            Assert.Equal(s_mapped, hashes.Select(h => h.range));
            foreach (var h in hashes) Assert.Equal(Convert.ToHexString(SHA256.HashData(ImageBytes(h.range))).ToLowerInvariant(), h.sha256);

            var (sink, file, map) = Sink(onDevice: true);
            sink.Write(frames, 0, frames.Length);
            sink.SetRangeHashes(hashes);
            var (_, compressed, check) = sink.Finish();
            // the sha256 that names the stored bytes and the CRC-64 their read-back is compared with are both of those bytes;
            // one changed byte changes the check
            var stored = file.ToArray();
            Assert.Equal(Convert.ToHexString(SHA256.HashData(stored)).ToLowerInvariant(), compressed);
            Assert.Equal(check, EdgeOps.Storage.StorageTransfer.Crc64(new MemoryStream(stored), CancellationToken.None));
            stored[stored.Length / 2] ^= 1;
            Assert.NotEqual(check, EdgeOps.Storage.StorageTransfer.Crc64(new MemoryStream(stored), CancellationToken.None));
            stored[stored.Length / 2] ^= 1;
            // what was stored decodes (plain zstd) to the image the map describes: ranges with the device's sha256, zeros elsewhere
            var img = Path.Combine(_dir, "stored.img.zst");
            File.WriteAllBytes(img, file.ToArray());
            var raw = File.ReadAllBytes(Run.Cmd("sh", "-c", $"zstd -dqc '{img}' > '{img}.raw' && echo '{img}.raw'").Trim());
            Assert.Equal(ImageSize, raw.Length);
            for (int i = 0; i < map.Ranges.Count; i++)
            {
                var b = map.Bytes(map.Ranges[i]);
                Assert.Equal(map.Ranges[i].Sha256, Convert.ToHexString(SHA256.HashData(raw.AsSpan((int)b.Start, (int)b.Length))).ToLowerInvariant());
            }
            var gaps = new[] { new ByteRange(64 * KiB, MiB - 64 * KiB), new ByteRange(MiB + 128 * KiB, MiB - 128 * KiB + 4096), new ByteRange(2 * MiB + 12288, MiB - 12288) };
            foreach (var g in gaps) Assert.True(raw.AsSpan((int)g.Start, (int)g.Length).IndexOfAnyExcept((byte)0) < 0, $"zeros at {g.Start}");
        }

        [Fact]
        public void Without_the_devices_hashes_nothing_is_written_to_stderr_and_the_sink_hashes_the_ranges_itself()
        {
            var (frames, stderr) = Read("none");
            Assert.Equal("", stderr);
            var (sink, _, map) = Sink(onDevice: false);
            sink.Write(frames, 0, frames.Length);
            sink.Finish();
            for (int i = 0; i < s_mapped.Length; i++)
                Assert.Equal(Convert.ToHexString(SHA256.HashData(ImageBytes(s_mapped[i]))).ToLowerInvariant(), map.Ranges[i].Sha256);
        }

        [Fact]
        public void A_frame_without_its_content_checksum_is_refused_when_the_device_hashes()
        {
            var (frames, stderr) = Read("sha256", "'--no-check'");
            var e = Assert.Throws<InvalidDataException>(() => Sink(onDevice: true).sink.Write(frames, 0, frames.Length));
            Assert.Contains("without its content checksum", e.Message);
            // the same frames are fine where the controller hashes the ranges itself
            var (sink, _, _) = Sink(onDevice: false);
            sink.Write(frames, 0, frames.Length);
            sink.Finish();
        }

        [Fact]
        public void A_frame_that_does_not_match_its_content_checksum_is_refused()
        {
            var (frames, _) = Read("sha256");
            frames[^1] ^= 0x5a;   // the frame's last 4 bytes are its checksum (XXH64 of the decoded chunk): the content still decodes
            var e = Assert.Throws<InvalidDataException>(() => Sink(onDevice: true).sink.Write(frames, 0, frames.Length));
            Assert.Contains("checksum", e.Message, StringComparison.OrdinalIgnoreCase);
        }

        [Fact]
        public void Device_hashes_that_do_not_cover_the_map_exactly_are_refused()
        {
            var (frames, stderr) = Read("sha256");
            var (hashes, _) = DeviceScripts.RangeHashes(stderr);
            var (sink, _, _) = Sink(onDevice: true);
            sink.Write(frames, 0, frames.Length);
            Assert.Contains("2 range checksums for the 3", Assert.Throws<InvalidDataException>(() => sink.SetRangeHashes(hashes.Take(2).ToList())).Message);
            var shifted = hashes.Select((h, i) => i == 1 ? (new ByteRange(h.range.Start + 4096, h.range.Length), h.sha256) : h).ToList();
            Assert.Contains("not mapped range", Assert.Throws<InvalidDataException>(() => sink.SetRangeHashes(shifted)).Message);
            var (sink2, _, _) = Sink(onDevice: true);
            sink2.Write(frames, 0, frames.Length);
            Assert.Contains("every mapped range", Assert.Throws<InvalidDataException>(() => sink2.Finish()).Message);
        }
    }
}
