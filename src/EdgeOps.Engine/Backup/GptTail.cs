using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text;
using System.Threading;
using EdgeOps.Transport;

namespace EdgeOps.Backup
{
    /// <summary>
    /// An image ends at its last partition, so a GPT image lacks the backup header and entries that belong in the
    /// last sectors of the card. After a restore they are written there (and the primary header and the protective
    /// MBR are told the card's real size), as `sgdisk -e` would, then read back and compared byte for byte.
    /// </summary>
    static class GptTail
    {
        const int Sector = 512;

        /// <summary>Returns false when the card holds no GPT (nothing to do).</summary>
        public static bool Fix(IDeviceTransport t, string dev, long diskSize, CancellationToken ct)
        {
            var name = t.Device.ComputerName;
            var src = new DeviceBlockSource(t, dev, ct);
            var head = src.Read(0, 2 * Sector);
            if (Encoding.ASCII.GetString(head, Sector, 8) != "EFI PART") return false;
            var plan = Build(head, diskSize, out var entriesAt, out int entriesLba);
            if (plan == null) return false;
            var entries = src.Read((long)entriesLba * Sector, plan.EntryBytes);
            var writes = new List<(long offset, byte[] data)>
            {
                (0, plan.Mbr), (Sector, plan.Primary), (entriesAt, entries), (diskSize - Sector, plan.Backup),
            };
            var sb = new MemoryStream();
            foreach (var (offset, data) in writes)
            {
                var h = Encoding.ASCII.GetBytes("W " + offset.ToString(CultureInfo.InvariantCulture) + " " + data.Length.ToString(CultureInfo.InvariantCulture) + "\n");
                sb.Write(h, 0, h.Length); sb.Write(data, 0, data.Length);
            }
            var end = Encoding.ASCII.GetBytes("E\n");
            sb.Write(end, 0, end.Length);
            sb.Position = 0;
            using (var stdout = new MemoryStream())
            {
                var r = t.RunStreaming(DeviceScripts.WriterCommand(dev), sb, stdout, CommandOptions.Root, ct);
                if (r.ExitCode != 0 || Encoding.ASCII.GetString(stdout.ToArray()).IndexOf("ok", StringComparison.Ordinal) < 0)
                    throw new EdgeOpsException("RestoreWriteFailed", "WriteError", $"{name}: writing the backup GPT of '{dev}' failed (exit code {r.ExitCode}; the device said: \"{r.Stderr.Trim()}\"). Check the card and run Restore-SdCard again.");
            }
            t.Run(DeviceScripts.FlushBuffers(dev), CommandOptions.Root, ct);
            foreach (var (offset, data) in writes)
            {
                var back = src.Read(offset, data.Length);
                for (int i = 0; i < data.Length; i++)
                    if (back[i] != data[i])
                        throw new EdgeOpsException("RestoreVerifyFailed", "WriteError", $"{name}: the GPT written at byte {offset} of '{dev}' reads back differently: the card may be failing. Try another card.");
            }
            return true;
        }

        sealed class Plan { public byte[] Mbr, Primary, Backup; public int EntryBytes; }

        /// <summary>The new protective MBR, primary and backup headers for a card of <paramref name="diskSize"/> bytes.</summary>
        static Plan Build(byte[] head, long diskSize, out long entriesAt, out int entriesLba)
        {
            entriesAt = 0;
            var primary = new byte[Sector];
            Array.Copy(head, Sector, primary, 0, Sector);
            uint hsize = Le.U32(primary, 12);
            entriesLba = (int)Le.U64(primary, 72);
            uint count = Le.U32(primary, 80), esize = Le.U32(primary, 84);
            if (hsize < 92 || hsize > Sector || esize < 128 || count > 4096) return null;
            int entryBytes = checked((int)(count * esize));
            long lastLba = diskSize / Sector - 1;
            long entrySectors = (entryBytes + Sector - 1) / Sector;
            long backupEntriesLba = lastLba - entrySectors;
            if ((long)Le.U64(primary, 48) >= backupEntriesLba)
                throw new InvalidDataException("the card is too small for the image's GPT (its last usable sector overlaps the backup table)");
            PutU64(primary, 32, (ulong)lastLba);
            Seal(primary, hsize);
            var backup = (byte[])primary.Clone();
            PutU64(backup, 24, (ulong)lastLba);
            PutU64(backup, 32, 1);
            PutU64(backup, 72, (ulong)backupEntriesLba);
            Seal(backup, hsize);
            var mbr = new byte[Sector];
            Array.Copy(head, 0, mbr, 0, Sector);
            for (int i = 0; i < 4; i++)
            {
                int o = 0x1BE + i * 16;
                if (mbr[o + 4] != 0xEE) continue;
                uint size = (uint)Math.Min(lastLba, uint.MaxValue);
                mbr[o + 12] = (byte)size; mbr[o + 13] = (byte)(size >> 8); mbr[o + 14] = (byte)(size >> 16); mbr[o + 15] = (byte)(size >> 24);
            }
            entriesAt = backupEntriesLba * Sector;
            return new Plan { Mbr = mbr, Primary = primary, Backup = backup, EntryBytes = entryBytes };
        }

        static void Seal(byte[] header, uint size)
        {
            header[16] = header[17] = header[18] = header[19] = 0;
            uint crc = Crc32.Compute(header, 0, (int)size);
            header[16] = (byte)crc; header[17] = (byte)(crc >> 8); header[18] = (byte)(crc >> 16); header[19] = (byte)(crc >> 24);
        }

        static void PutU64(byte[] b, int o, ulong v) { for (int i = 0; i < 8; i++) b[o + i] = (byte)(v >> (8 * i)); }
    }
}
