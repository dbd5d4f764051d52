using System;
using System.Collections.Generic;
using System.IO;
using System.Net;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Text.RegularExpressions;
using System.Threading;
using System.Threading.Tasks;

namespace EdgeOps.Storage
{
    /// <summary>
    /// A read-only HTTP(S) location: objects are URLs under a base URL. Reads resume with Range requests;
    /// listing reads the links of the directory page (Apache/nginx autoindex, python -m http.server, a PEP 503
    /// simple index), one level deep. A query string on the base URL (a pre-signed token) is sent with every
    /// request and never shown.
    /// </summary>
    public sealed class HttpStore : IObjectStore
    {
        readonly Uri _base;          // ends with '/'
        readonly string _query;      // "" or "?..."
        readonly HttpClient _http;
        readonly TimeSpan _timeout;

        public HttpStore(string url, StorageOptions options = null)
        {
            options = options ?? new StorageOptions();
            if (!Uri.TryCreate(url, UriKind.Absolute, out var u) || (u.Scheme != "http" && u.Scheme != "https"))
                throw new StorageException("StorageInvalidLocation", "InvalidArgument", $"'{Redact(url)}' is not an http(s) URL.");
            _query = u.Query ?? "";
            var b = new UriBuilder(u) { Query = "" };
            if (!b.Path.EndsWith("/", StringComparison.Ordinal)) b.Path += "/";
            _base = b.Uri;
            _timeout = options.RequestTimeout;
            var handler = new HttpClientHandler { AllowAutoRedirect = true, AutomaticDecompression = DecompressionMethods.None };
            _http = new HttpClient(handler) { Timeout = System.Threading.Timeout.InfiniteTimeSpan };
            _http.DefaultRequestHeaders.UserAgent.ParseAdd("EdgeOps/0.1");
        }

        public string Kind => "Http";
        public string Location => _base.GetLeftPart(UriPartial.Path);
        public bool CanWrite => false;

        /// <summary>A URL without its query string and user info, for messages.</summary>
        public static string Redact(string url)
        {
            // a local path (which .NET on Unix would read as a file: URI) is shown as it is
            if (url == null || url.IndexOf("://", StringComparison.Ordinal) < 0) return url;
            if (!Uri.TryCreate(url, UriKind.Absolute, out var u)) return url;
            var b = new UriBuilder(u) { Query = "", UserName = "", Password = "" };
            return b.Uri.GetLeftPart(UriPartial.Path);
        }

        Uri UrlOf(string key)
        {
            StorageKey.Check(key);
            var parts = key.Split('/');
            for (int i = 0; i < parts.Length; i++) parts[i] = Uri.EscapeDataString(parts[i]);
            return new Uri(new Uri(_base, string.Join("/", parts)).GetLeftPart(UriPartial.Path) + _query);
        }

        HttpResponseMessage Send(HttpRequestMessage req, string key, CancellationToken ct)
        {
            using (var cts = CancellationTokenSource.CreateLinkedTokenSource(ct))
            {
                cts.CancelAfter(_timeout);
                try
                {
                    return _http.SendAsync(req, HttpCompletionOption.ResponseHeadersRead, cts.Token).GetAwaiter().GetResult();
                }
                catch (OperationCanceledException e) when (!ct.IsCancellationRequested)
                {
                    throw new StorageException("StorageUnavailable", "OperationTimeout",
                        $"{Location}: no answer for '{key}' within {_timeout.TotalSeconds:0} s.", e, transient: true);
                }
                catch (HttpRequestException e)
                {
                    throw StorageException.Unavailable(Location, e.InnerException?.Message ?? e.Message, e);
                }
            }
        }

        void Fail(HttpResponseMessage r, string key)
        {
            var code = (int)r.StatusCode;
            if (r.StatusCode == HttpStatusCode.NotFound) throw StorageException.NotFound(Location, key);
            if (code == 401 || code == 403) throw StorageException.Denied(Location, $"HTTP {code} for '{key}'", null);
            throw new StorageException("StorageUnavailable", "ConnectionError", $"{Location}: HTTP {code} {r.ReasonPhrase} for '{key}'.",
                                       null, transient: code >= 500 || code == 429);
        }

        public IReadOnlyList<StorageObject> List(string prefix, CancellationToken ct)
        {
            prefix = prefix ?? "";
            var dir = prefix.Contains("/") ? prefix.Substring(0, prefix.LastIndexOf('/') + 1) : "";
            var dirUrl = new Uri(new Uri(_base, dir).GetLeftPart(UriPartial.Path) + _query);
            using (var req = new HttpRequestMessage(HttpMethod.Get, dirUrl))
            using (var r = Send(req, dir.Length == 0 ? "/" : dir, ct))
            {
                if (!r.IsSuccessStatusCode) Fail(r, dir.Length == 0 ? "(directory listing)" : dir);
                var html = r.Content.ReadAsStringAsync().GetAwaiter().GetResult();
                var seen = new HashSet<string>(StringComparer.Ordinal);
                var list = new List<StorageObject>();
                foreach (Match m in Regex.Matches(html, "href\\s*=\\s*[\"']([^\"'#?]+)", RegexOptions.IgnoreCase))
                {
                    if (!Uri.TryCreate(new Uri(_base, dir), WebUtility.HtmlDecode(m.Groups[1].Value), out var abs)) continue;
                    var basePath = _base.AbsolutePath;
                    if (abs.Host != _base.Host || abs.Port != _base.Port || !abs.AbsolutePath.StartsWith(basePath, StringComparison.Ordinal)) continue;
                    var rel = Uri.UnescapeDataString(abs.AbsolutePath.Substring(basePath.Length));
                    if (rel.Length == 0 || rel.EndsWith("/", StringComparison.Ordinal) || !rel.StartsWith(prefix, StringComparison.Ordinal)) continue;
                    if (seen.Add(rel)) list.Add(new StorageObject(rel, -1, null));
                }
                list.Sort((a, b) => string.CompareOrdinal(a.Key, b.Key));
                return list;
            }
        }

        public StorageObject Stat(string key, CancellationToken ct)
        {
            using (var req = new HttpRequestMessage(HttpMethod.Head, UrlOf(key)))
            using (var r = Send(req, key, ct))
            {
                if (r.StatusCode == HttpStatusCode.NotFound) return null;
                if (r.IsSuccessStatusCode)
                    return new StorageObject(key, r.Content.Headers.ContentLength ?? -1, r.Content.Headers.LastModified, r.Headers.ETag?.Tag);
                if (r.StatusCode != HttpStatusCode.MethodNotAllowed && r.StatusCode != HttpStatusCode.NotImplemented) Fail(r, key);
            }
            // No HEAD: ask for the first byte and read the total from Content-Range.
            using (var req = new HttpRequestMessage(HttpMethod.Get, UrlOf(key)))
            {
                req.Headers.Range = new RangeHeaderValue(0, 0);
                using (var r = Send(req, key, ct))
                {
                    if (r.StatusCode == HttpStatusCode.NotFound) return null;
                    if (!r.IsSuccessStatusCode) Fail(r, key);
                    long size = r.Content.Headers.ContentRange?.Length ?? r.Content.Headers.ContentLength ?? -1;
                    return new StorageObject(key, size, r.Content.Headers.LastModified, r.Headers.ETag?.Tag);
                }
            }
        }

        public Stream OpenRead(string key, long offset, CancellationToken ct)
        {
            var req = new HttpRequestMessage(HttpMethod.Get, UrlOf(key));
            if (offset > 0) req.Headers.Range = new RangeHeaderValue(offset, null);
            var r = Send(req, key, ct);
            try
            {
                if (r.StatusCode == (HttpStatusCode)416 && offset > 0)
                {
                    r.Dispose(); req.Dispose();
                    return new MemoryStream(new byte[0]);   // nothing left past the end
                }
                if (!r.IsSuccessStatusCode) Fail(r, key);
                var body = r.Content.ReadAsStreamAsync().GetAwaiter().GetResult();
                Stream s = new ResponseStream(body, r, req, _timeout, ct);
                if (offset > 0 && r.StatusCode != HttpStatusCode.PartialContent)
                {
                    // The server ignored Range: skip what we already have.
                    var skip = new byte[64 * 1024];
                    long left = offset;
                    while (left > 0)
                    {
                        int n = s.Read(skip, 0, (int)Math.Min(skip.Length, left));
                        if (n <= 0) break;
                        left -= n;
                    }
                }
                return s;
            }
            catch
            {
                r.Dispose(); req.Dispose();
                throw;
            }
        }

        public void Put(string key, Stream content, long length, IProgress<long> progress, CancellationToken ct) => throw StorageException.ReadOnly(Location);
        public bool Delete(string key, CancellationToken ct) => throw StorageException.ReadOnly(Location);
        public StagedObject Stage(string key, CancellationToken ct) => throw StorageException.ReadOnly(Location);
        public IReadOnlyList<string> RemoveAbandoned(string prefix, CancellationToken ct) => throw StorageException.ReadOnly(Location);
        public IDisposable TryLock(string prefix) => throw StorageException.ReadOnly(Location);

        public void Dispose() => _http.Dispose();

        /// <summary>The body of one response: every read has a timeout (a stalled connection becomes an IOException,
        /// which the resuming copy retries) and disposing it releases the response.</summary>
        sealed class ResponseStream : ReadOnlyStream
        {
            readonly Stream _inner; readonly HttpResponseMessage _response; readonly HttpRequestMessage _request;
            readonly TimeSpan _timeout; readonly CancellationToken _ct;
            public ResponseStream(Stream inner, HttpResponseMessage response, HttpRequestMessage request, TimeSpan timeout, CancellationToken ct)
            { _inner = inner; _response = response; _request = request; _timeout = timeout; _ct = ct; }

            public override int Read(byte[] buffer, int offset, int count)
            {
                using (var cts = CancellationTokenSource.CreateLinkedTokenSource(_ct))
                {
                    cts.CancelAfter(_timeout);
                    try
                    {
                        Task<int> t = _inner.ReadAsync(buffer, offset, count, cts.Token);
                        return t.GetAwaiter().GetResult();
                    }
                    catch (OperationCanceledException e) when (!_ct.IsCancellationRequested)
                    {
                        throw new IOException($"no data for {_timeout.TotalSeconds:0} s", e);
                    }
                    catch (HttpRequestException e) { throw new IOException(e.Message, e); }
                }
            }

            protected override void Dispose(bool disposing)
            {
                if (disposing) { _inner.Dispose(); _response.Dispose(); _request.Dispose(); }
                base.Dispose(disposing);
            }
        }
    }
}
