using System;
using System.Collections.Generic;
using System.IO;

namespace EdgeOps.Backup
{
    /// <summary>Reads ranges of a local file or block device (an image, a card in a reader).</summary>
    public sealed class FileBlockSource : IBlockSource, IDisposable
    {
        readonly FileStream _file;
        public FileBlockSource(string path)
        {
            _file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.RandomAccess);
        }

        public byte[] Read(IReadOnlyList<ByteRange> ranges)
        {
            long total = 0;
            foreach (var r in ranges) total += r.Length;
            var result = new byte[checked((int)total)];
            int at = 0;
            foreach (var r in ranges)
            {
                _file.Position = r.Start;
                int need = (int)r.Length;
                while (need > 0)
                {
                    int n = _file.Read(result, at, need);
                    if (n <= 0) break; // past the end: zeros, as a short device would give
                    at += n; need -= n;
                }
                at += need;
            }
            return result;
        }

        public void Dispose() => _file.Dispose();
    }
}
