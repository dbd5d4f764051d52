using System.Diagnostics;
using EdgeOps.Tests.Fleet;
using EdgeOps.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace EdgeOps.Tests.Backup
{
    /// <summary>
    /// bench/backup/run.sh: a 4 GiB simulated card holding about 1 GiB of files (some incompressible, some deleted)
    /// backed up by Backup-SdCard and by the one-liners people use, in the same run. Skipped unless EDGEOPS_BENCH=1.
    /// </summary>
    public class BackupBenchmark
    {
        readonly ITestOutputHelper _out;
        public BackupBenchmark(ITestOutputHelper output) { _out = output; }

        static long Env(string name, long dflt) => long.TryParse(Environment.GetEnvironmentVariable(name), out var v) ? v : dflt;

        [BenchFact("bench/backup/run.sh")]
        public void Backup_SdCard_against_dd_gzip_and_dd_zstd()
        {
            long cardMiB = Env("EDGEOPS_BENCH_CARD_MIB", 4096), filesMiB = Env("EDGEOPS_BENCH_FILES_MIB", 1024);
            var lines = new List<string>();
            void Say(string s) { _out.WriteLine(s); lines.Add(s); }
            using var fleet = SimulatedFleet.Start(1, cardMiB << 20);
            var d = fleet.Devices[0];
            var work = Path.Combine(fleet.TempDir, "bench");
            Directory.CreateDirectory(work);
            // ~40% incompressible (random), ~60% compressible (system files, logs), and deleted data in free blocks
            long rand = filesMiB * 4 / 10, comp = filesMiB - rand;
            d.ExecOk($"mkdir -p /home/pi/bench && head -c {rand}M /dev/urandom > /home/pi/bench/camera.raw && " +
                     $"(tar -cf - -C /usr/share . 2>/dev/null; tar -cf - -C /usr/lib . 2>/dev/null) | head -c {comp}M > /home/pi/bench/system.tar && " +
                     $"head -c {filesMiB / 3}M /dev/urandom > /home/pi/deleted.bin && sync && rm /home/pi/deleted.bin && sync");
            var used = d.ExecOk("df -m / | awk 'NR==2{print $3}'").Trim();
            Say($"card {cardMiB} MiB, root filesystem {used} MiB used (files {filesMiB} MiB: {rand} MiB random, the rest tar archives of /usr/share and /usr/lib; {filesMiB / 3} MiB written then deleted)");

            var ssh = $"ssh -p {d.Port} -i '{fleet.KeyPath("ed25519")}' -o UserKnownHostsFile='{fleet.KnownHostsPath}' -o BatchMode=yes pi@{d.Address}";
            (double s, long bytes) OneLiner(string compressor, string file)
            {
                var sw = Stopwatch.StartNew();
                Run.Sh($"{ssh} 'sudo dd if={d.LoopDevice} bs=4M status=none' | {compressor} > '{file}'");
                return (sw.Elapsed.TotalSeconds, new FileInfo(file).Length);
            }
            var gz = OneLiner("gzip -1", Path.Combine(work, "card.img.gz"));
            Say($"dd | gzip -1          {gz.s,7:0.0} s  {gz.bytes / 1048576.0,8:0.0} MiB");
            File.Delete(Path.Combine(work, "card.img.gz"));
            // Two rounds, interleaved, so a busy moment of the machine does not favour one side; the best of each is compared.
            using var ps = new PowerShellSession();
            var zsRuns = new List<(double s, long bytes)>();
            var ours = new Dictionary<int, List<(double s, long stored, long read, List<string> phases)>> { [1] = new(), [3] = new() };
            for (int round = 0; round < 2; round++)
            {
                var zr = OneLiner("zstd -1 -T0 -q", Path.Combine(work, "card.img.zst"));
                File.Delete(Path.Combine(work, "card.img.zst"));
                zsRuns.Add(zr);
                Say($"round {round + 1}: dd | zstd -1 -T0      {zr.s,7:0.0} s  {zr.bytes / 1048576.0,8:0.0} MiB");
                foreach (var level in new[] { 3, 1 })
                {
                    int gen2 = GC.CollectionCount(2); long alloc = GC.GetTotalAllocatedBytes(); var cpu = Process.GetCurrentProcess().TotalProcessorTime;
                    var sw = Stopwatch.StartNew();
                    var r = ps.Run("Get-EdgeDevice -Inventory $args[0] | Backup-SdCard -Destination $args[1] -CompressionLevel $args[2] -Verbose", fleet.InventoryPath, Path.Combine(work, "dest"), level);
                    var secs = sw.Elapsed.TotalSeconds;
                    var controller = $"controller CPU {(Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds:0.0} s, allocated {(GC.GetTotalAllocatedBytes() - alloc) / 1048576.0:0} MiB, {GC.CollectionCount(2) - gen2} gen2 GCs";
                    Assert.True(r.Errors.Count == 0, string.Join("\n", r.Errors));
                    var o = r.Output.Single();
                    ours[level].Add((secs, long.Parse(o.P("StoredBytes")), long.Parse(o.P("UsedBytes")), r.Verbose.Where(v => v.Contains(" in ")).ToList()));
                    Say($"round {round + 1}: Backup-SdCard (zstd -{level}) {secs,5:0.0} s  {long.Parse(o.P("StoredBytes")) / 1048576.0,8:0.0} MiB  ({controller})");
                    File.Delete(o.P("Path"));
                }
            }
            var zs = zsRuns.OrderBy(x => x.s).First();
            Say($"best: dd | zstd -1 -T0 {zs.s:0.0} s, {zs.bytes / 1048576.0:0.0} MiB; dd | gzip -1 {gz.s:0.0} s, {gz.bytes / 1048576.0:0.0} MiB");
            foreach (var level in new[] { 3, 1 })
            {
                var best = ours[level].OrderBy(x => x.s).First();
                Say($"best: Backup-SdCard (zstd -{level}) {best.s:0.0} s, {best.stored / 1048576.0:0.0} MiB (read {best.read / 1048576.0:0} MiB): " +
                    $"{best.s / zs.s:0.00}x the zstd one-liner's time, {(double)best.stored / zs.bytes:0.00}x its size, {(double)best.stored / gz.bytes:0.00}x gzip's");
                foreach (var v in best.phases) Say("    " + v);
            }
            File.WriteAllLines(Path.Combine(Repo.Root, "bench", "backup", "last-run.txt"), lines.Prepend($"# bench/backup/run.sh, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores"));
        }
    }
}
