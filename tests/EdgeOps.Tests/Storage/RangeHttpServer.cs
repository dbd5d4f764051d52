using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace EdgeOps.Tests.Storage
{
    /// <summary>
    /// A small HTTP/1.1 file server on loopback for the HTTP store: GET/HEAD, Range (206 + Content-Range),
    /// directory listings with links, and a fault switch that cuts the next transfer of a file half-way.
    /// </summary>
    public sealed class RangeHttpServer : IDisposable
    {
        readonly TcpListener _listener;
        readonly CancellationTokenSource _stop = new();
        readonly Task _loop;
        readonly ConcurrentDictionary<string, long> _cuts = new();
        public string Root { get; }
        public int Port { get; }
        public string BaseUrl => $"http://{(_bind.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? "[" + _bind + "]" : _bind.ToString())}:{Port}/";
        readonly IPAddress _bind;
        public ConcurrentQueue<(string Method, string Path, string? Range, long BytesSent)> Requests { get; } = new();
        public bool IgnoreRange { get; set; }

        public RangeHttpServer(string root, IPAddress? bind = null)
        {
            _bind = bind ?? IPAddress.Loopback;
            Root = root;
            _listener = new TcpListener(_bind, 0);
            _listener.Start();
            Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
            _loop = Task.Run(AcceptLoop);
        }

        /// <summary>The next GET of <paramref name="urlPath"/> sends its headers (full length) then closes after <paramref name="bytes"/> body bytes.</summary>
        public void CutNextTransfer(string urlPath, long bytes) => _cuts[urlPath] = bytes;

        public long BodyBytesSent(string urlPath) => Requests.Where(r => r.Path == urlPath).Sum(r => r.BytesSent);

        async Task AcceptLoop()
        {
            while (!_stop.IsCancellationRequested)
            {
                TcpClient c;
                try { c = await _listener.AcceptTcpClientAsync(_stop.Token); }
                catch (Exception) { return; }
                _ = Task.Run(() => Serve(c));
            }
        }

        void Serve(TcpClient client)
        {
            using (client)
            {
                try
                {
                    var s = client.GetStream();
                    var head = ReadHead(s);
                    if (head == null) return;
                    var lines = head.Split("\r\n");
                    var parts = lines[0].Split(' ');
                    var method = parts[0];
                    var rawPath = parts[1];
                    var pathOnly = rawPath.Split('?')[0];
                    string? range = lines.Skip(1).FirstOrDefault(l => l.StartsWith("Range:", StringComparison.OrdinalIgnoreCase))?.Substring(6).Trim();
                    var local = Path.Combine(Root, Uri.UnescapeDataString(pathOnly).TrimStart('/'));
                    long sent = 0;
                    try
                    {
                        if (Directory.Exists(local))
                        {
                            var sb = new StringBuilder("<html><body>\n");
                            foreach (var d in Directory.GetDirectories(local)) sb.Append($"<a href=\"{Uri.EscapeDataString(Path.GetFileName(d))}/\">{WebUtility.HtmlEncode(Path.GetFileName(d))}/</a>\n");
                            foreach (var f in Directory.GetFiles(local)) sb.Append($"<a href=\"{Uri.EscapeDataString(Path.GetFileName(f))}\">{WebUtility.HtmlEncode(Path.GetFileName(f))}</a>\n");
                            sb.Append("</body></html>\n");
                            var body = Encoding.UTF8.GetBytes(sb.ToString());
                            Write(s, $"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n");
                            if (method == "GET") { s.Write(body); sent = body.Length; }
                            return;
                        }
                        if (!File.Exists(local))
                        {
                            Write(s, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
                            return;
                        }
                        using var fs = File.OpenRead(local);
                        long size = fs.Length, start = 0, end = size - 1;
                        bool partial = false;
                        if (range != null && !IgnoreRange && range.StartsWith("bytes="))
                        {
                            var r = range.Substring(6).Split('-');
                            start = long.Parse(r[0], CultureInfo.InvariantCulture);
                            if (r[1].Length > 0) end = Math.Min(size - 1, long.Parse(r[1], CultureInfo.InvariantCulture));
                            if (start >= size)
                            {
                                Write(s, $"HTTP/1.1 416 Range Not Satisfiable\r\nContent-Range: bytes */{size}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
                                return;
                            }
                            partial = true;
                        }
                        long len = end - start + 1;
                        var lm = File.GetLastWriteTimeUtc(local).ToString("r", CultureInfo.InvariantCulture);
                        var h = new StringBuilder(partial ? "HTTP/1.1 206 Partial Content\r\n" : "HTTP/1.1 200 OK\r\n");
                        h.Append($"Content-Length: {len}\r\nAccept-Ranges: bytes\r\nLast-Modified: {lm}\r\nConnection: close\r\n");
                        if (partial) h.Append($"Content-Range: bytes {start}-{end}/{size}\r\n");
                        h.Append("\r\n");
                        Write(s, h.ToString());
                        if (method != "GET") return;
                        long limit = len;
                        if (_cuts.TryRemove(pathOnly, out var cut)) limit = Math.Min(len, cut);
                        fs.Seek(start, SeekOrigin.Begin);
                        var buf = new byte[64 * 1024];
                        while (sent < limit)
                        {
                            int n = fs.Read(buf, 0, (int)Math.Min(buf.Length, limit - sent));
                            if (n <= 0) break;
                            s.Write(buf, 0, n);
                            sent += n;
                        }
                        if (limit < len) { s.Flush(); client.Client.Shutdown(SocketShutdown.Send); }   // the body ends short: a broken transfer
                    }
                    finally
                    {
                        Requests.Enqueue((method, pathOnly, range, sent));
                    }
                }
                catch (IOException) { }
                catch (SocketException) { }
            }
        }

        static void Write(Stream s, string text) => s.Write(Encoding.ASCII.GetBytes(text));

        static string? ReadHead(Stream s)
        {
            var sb = new StringBuilder();
            int b;
            while ((b = s.ReadByte()) >= 0)
            {
                sb.Append((char)b);
                if (sb.Length >= 4 && sb[^1] == '\n' && sb[^2] == '\r' && sb[^3] == '\n' && sb[^4] == '\r') return sb.ToString(0, sb.Length - 4);
                if (sb.Length > 64 * 1024) return null;
            }
            return null;
        }

        public void Dispose()
        {
            _stop.Cancel();
            _listener.Stop();
            try { _loop.Wait(2000); } catch (Exception) { }
        }
    }
}
