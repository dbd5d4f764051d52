using System;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;

namespace EdgeOps.Leases
{
    /// <summary>HttpClient plumbing shared by the Keystone, Blazar and iCalendar-feed calls.</summary>
    public static class Http
    {
        public static HttpClient Create(CalendarOptions options) => Create(options?.Handler, options?.Timeout ?? TimeSpan.FromSeconds(100));

        public static HttpClient Create(HttpMessageHandler handler, TimeSpan timeout)
        {
            // redirects are followed by SendAsync, which never takes a token or password to another host
            var http = handler == null ? new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) : new HttpClient(handler, disposeHandler: false);
            http.Timeout = timeout;
            http.DefaultRequestHeaders.UserAgent.ParseAdd("EdgeOps/0.1");
            return http;
        }

        /// <summary>
        /// Sends, turning network failures and time-outs into clear errors (user cancellation stays a cancellation).
        /// Redirects are followed only within the same scheme, host and port: the request's headers (X-Auth-Token) and
        /// body (a Keystone password) would otherwise go to whoever the Location names; a redirect elsewhere is refused.
        /// </summary>
        public static async Task<HttpResponseMessage> SendAsync(HttpClient http, HttpRequestMessage request, string what, CancellationToken ct,
                                                                HttpCompletionOption completion = HttpCompletionOption.ResponseContentRead)
        {
            var current = request;
            for (int hops = 0; ; hops++)
            {
                var resp = await SendOnceAsync(http, current, what, ct, completion).ConfigureAwait(false);
                int code = (int)resp.StatusCode;
                if (code < 300 || code > 399 || code == 304 || resp.Headers.Location == null) return resp;
                var target = resp.Headers.Location.IsAbsoluteUri ? resp.Headers.Location : new Uri(current.RequestUri, resp.Headers.Location);
                resp.Dispose();
                if (Uri.Compare(target, current.RequestUri, UriComponents.SchemeAndServer, UriFormat.Unescaped, StringComparison.OrdinalIgnoreCase) != 0)
                    throw new EdgeOpsException("RedirectRefused", "SecurityError",
                        $"{what} at {Display(current.RequestUri)} redirected to {Display(target)}, another host: not followed, so no token or password goes there. Give the final URL if you trust it.");
                if (hops >= 5)
                    throw new EdgeOpsException("TooManyRedirects", "InvalidResult", $"{what} at {Display(request.RequestUri)} redirected more than 5 times.");
                bool keepMethod = code == 307 || code == 308;
                var next = new HttpRequestMessage(keepMethod ? current.Method : (current.Method == HttpMethod.Head ? HttpMethod.Head : HttpMethod.Get), target);
                foreach (var h in current.Headers) next.Headers.TryAddWithoutValidation(h.Key, h.Value);
                if (keepMethod) next.Content = current.Content;
                current = next;
            }
        }

        static async Task<HttpResponseMessage> SendOnceAsync(HttpClient http, HttpRequestMessage request, string what, CancellationToken ct, HttpCompletionOption completion)
        {
            var url = request.RequestUri;
            try
            {
                return await http.SendAsync(request, completion, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                throw new EdgeOpsException("EndpointTimeout", "OperationTimeout",
                    $"{what} at {Display(url)} did not answer within {http.Timeout.TotalSeconds:0} s. Check the address, or raise -TimeoutSec.");
            }
            catch (HttpRequestException e)
            {
                throw new EdgeOpsException("EndpointUnreachable", "ConnectionError",
                    $"{what} at {Display(url)} is unreachable: {Innermost(e).Message} Check the URL and your network.", e);
            }
        }

        /// <summary>The most a feed (or any text fetched here) may be: a calendar bigger than this is refused, not read into memory.</summary>
        public const long MaxBodyBytes = 32L << 20;

        public static async Task<string> GetTextAsync(HttpClient http, Uri url, string what, CancellationToken ct)
        {
            using (var req = new HttpRequestMessage(HttpMethod.Get, url))
            using (var resp = await SendAsync(http, req, what, ct, HttpCompletionOption.ResponseHeadersRead).ConfigureAwait(false))
            {
                string TooBig() => $"{what} at {Display(url)} is larger than {MaxBodyBytes >> 20} MiB: refused (a calendar that size is not a calendar): check the URL, or save the feed trimmed to the weeks you need and give that file.";
                if (resp.Content.Headers.ContentLength > MaxBodyBytes)
                    throw new EdgeOpsException("CalendarTooLarge", "LimitsExceeded", TooBig());
                var buffer = new System.IO.MemoryStream();
                using (var stream = await resp.Content.ReadAsStreamAsync().ConfigureAwait(false))
                {
                    var chunk = new byte[81920];
                    int n;
                    while ((n = await stream.ReadAsync(chunk, 0, chunk.Length, ct).ConfigureAwait(false)) > 0)
                    {
                        if (buffer.Length + n > MaxBodyBytes) throw new EdgeOpsException("CalendarTooLarge", "LimitsExceeded", TooBig());
                        buffer.Write(chunk, 0, n);
                    }
                }
                var body = new System.Text.UTF8Encoding(false).GetString(buffer.ToArray()).TrimStart('\uFEFF');
                if (!resp.IsSuccessStatusCode)
                    throw new EdgeOpsException("CalendarFetchFailed", "ReadError",
                        $"{what} at {Display(url)} answered {(int)resp.StatusCode} {resp.ReasonPhrase}. Check the URL.");
                return body;
            }
        }

        /// <summary>A URL for messages: never its user-info or query (which may hold a token).</summary>
        public static string Display(Uri url) => url == null ? "(none)" : url.GetLeftPart(UriPartial.Path);

        static Exception Innermost(Exception e) { while (e.InnerException != null) e = e.InnerException; return e; }
    }
}
