using System.Management.Automation;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Text;
using EdgeOps.Tests.Fleet;
using EdgeOps.Tests.Infrastructure;
using EdgeOps.Tests.Storage;
using EdgeOps.Tests.Wheels;
using Xunit;
using Spec = EdgeOps.Tests.Wheels.TestWheels.Spec;

namespace EdgeOps.Tests.Security;

/// <summary>
/// Untrusted networks and stores (issue 17, findings 6, 12 and 14): plain http:// to another machine refused unless
/// allowed, a catalog pinned by its own sha256, redirects that would take a token or password to another host refused,
/// keys with ':' refused by the folder store. Real HTTP servers on this machine's own non-loopback address and on
/// loopback, real pip (Transport Local).
/// </summary>
[Collection("storage")]
public sealed class UntrustedSourceTests : IClassFixture<WheelFixture>
{
    readonly WheelFixture _f;
    public UntrustedSourceTests(WheelFixture f) { _f = f; }

    static (string Id, string Text) ErrorOf(Func<PSRun> run)
    {
        try { var r = run(); var e = r.Errors.FirstOrDefault(); return (e?.Id() ?? "", e?.ToString() ?? ""); }
        catch (RuntimeException e) { return (e.ErrorRecord.Id(), e.Message); }
    }

    /// <summary>An IPv4 address of this machine that is not loopback: traffic to it is "another machine" for EdgeOps.</summary>
    static IPAddress NonLoopback() =>
        NetworkInterface.GetAllNetworkInterfaces().Where(n => n.OperationalStatus == OperationalStatus.Up)
            .SelectMany(n => n.GetIPProperties().UnicastAddresses).Select(a => a.Address)
            .FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(a))
        ?? throw new InvalidOperationException("This test needs a non-loopback IPv4 address on this machine.");

    string Store(string version)
    {
        var store = Path.Combine(_f.Temp, "src-" + Guid.NewGuid().ToString("N")[..6]);
        var r = _f.PS.Run("Publish-TorchWheel -Path $args[0] -Destination $args[1]", _f.Build(new Spec(Version: version)), store);
        Assert.True(r.Errors.Count == 0, string.Join("\n", r.Errors));
        return store;
    }

    PSRun Install(string how, string venv, string extra, params object[] args) =>
        _f.PS.Run($"Install-TorchWheel {how} -PythonPath $args[1] -VirtualEnv $args[2] -CreateVirtualEnv -CacheDirectory $args[3] {extra}",
                  new object[] { args[0], WheelFixture.Python, venv, _f.Cache }.Concat(args.Skip(1)).ToArray());

    string NewVenv() => Path.Combine(_f.Temp, "venv-" + Guid.NewGuid().ToString("N")[..6]);

    [Fact]
    public void An_http_source_on_another_machine_is_refused_without_AllowInsecureHttp()
    {
        using var server = new RangeHttpServer(Store("2.1.0"), NonLoopback());
        foreach (var how in new[] { "-Source $args[0]", "-Catalog ($args[0] + 'catalog.yaml')" })
        {
            var venv = NewVenv();
            var (id, text) = ErrorOf(() => Install(how, venv, "", server.BaseUrl));
            Assert.Equal("InsecureHttpRefused", id);
            Assert.Contains("-AllowInsecureHttp", text);
            Assert.Empty(server.Requests);                                  // refused before anything was fetched
            Assert.False(Directory.Exists(venv));
        }
        var ok = Install("-Source $args[0]", NewVenv(), "-AllowInsecureHttp", server.BaseUrl);
        Assert.True(ok.Errors.Count == 0, string.Join("\n", ok.Errors));
        Assert.Equal("Installed", Assert.Single(ok.Output).P("Action"));
        Assert.NotEmpty(server.Requests);
    }

    [Fact]
    public void A_catalog_pinned_by_its_sha256_anchors_every_wheel()
    {
        var store = Store("2.2.0");
        var catalog = Path.Combine(store, "catalog.yaml");
        var pin = TestWheels.Sha256(catalog);
        var good = Install("-Catalog $args[0]", NewVenv(), "-CatalogSha256 $args[4]", catalog, pin);
        Assert.True(good.Errors.Count == 0, string.Join("\n", good.Errors));
        Assert.Equal("2.2.0", Assert.Single(good.Output).P("Version"));

        // someone with write access to the store swaps the wheel and its catalog line together
        var evil = _f.Build(new Spec(Version: "2.2.0") { Build = "evil" }, Path.Combine(_f.Temp, "evil-" + Guid.NewGuid().ToString("N")[..6]));
        var name = Path.GetFileName(evil);
        File.Copy(evil, Path.Combine(store, name), overwrite: true);
        var text = File.ReadAllText(catalog);
        var oldHash = text.Split('\n').First(l => l.Contains("sha256:")).Split(':')[1].Trim().Trim('\'', '"');
        File.WriteAllText(catalog, text.Replace(oldHash, TestWheels.Sha256(evil)));
        var venv = NewVenv();
        var (id, msg) = ErrorOf(() => Install("-Catalog $args[0]", venv, "-CatalogSha256 $args[4]", catalog, pin));
        Assert.Equal("WheelCatalogHashMismatch", id);
        Assert.Contains(pin, msg);
        Assert.False(Directory.Exists(venv));
    }

    [Fact]
    public void Keys_with_a_colon_are_refused_by_the_folder_store()
    {
        var root = Path.Combine(_f.Temp, "fs-" + Guid.NewGuid().ToString("N")[..6]);
        using var store = new EdgeOps.Storage.FolderStore(root);
        foreach (var key in new[] { "C:/x.whl", "wheels/C:x.whl", "x.whl:stream" })
        {
            var e = Assert.IsAssignableFrom<EdgeOpsException>(Record.Exception(() =>
                store.Put(key, new MemoryStream(new byte[] { 1 }), 1, null, CancellationToken.None)));
            Assert.Equal("StorageInvalidKey", e.ErrorId);
        }
        Assert.False(Directory.Exists(Path.Combine(root, "C:")));
    }

    [Fact]
    public void Keystone_and_Blazar_over_http_to_another_machine_are_refused()
    {
        var ip = NonLoopback();
        using var listener = new RecordingServer(ip, _ => "HTTP/1.1 500 x\r\nContent-Length: 0\r\n\r\n");
        _f.PS.Set("cred", FleetTestKit.Credential("app-id", "app-secret-value"));
        var (id, text) = ErrorOf(() => _f.PS.Run("Get-LeaseWindow -Calendar $args[0] -AuthUrl $args[1] -Credential $cred -Duration 1h",
            listener.Url + "reservation", listener.Url + "identity/v3"));
        Assert.Equal("InsecureHttpRefused", id);
        Assert.Contains("-AllowInsecureHttp", text);
        Assert.Empty(listener.Requests);
        Assert.DoesNotContain("app-secret-value", text);
    }

    [Fact]
    public void A_redirect_to_another_host_never_gets_the_password()
    {
        // Keystone on 127.0.0.1 answers 307 to the same path on 127.0.0.2: the body (with the secret) must not follow
        using var other = new RecordingServer(IPAddress.Parse("127.0.0.2"), _ => "HTTP/1.1 201 Created\r\nX-Subject-Token: stolen\r\nContent-Length: 2\r\n\r\n{}");
        using var keystone = new RecordingServer(IPAddress.Loopback, req => $"HTTP/1.1 307 Temporary Redirect\r\nLocation: {other.Url}identity/v3/auth/tokens\r\nContent-Length: 0\r\n\r\n");
        _f.PS.Set("cred", FleetTestKit.Credential("app-id", "app-secret-value"));
        var (id, text) = ErrorOf(() => _f.PS.Run("Get-LeaseWindow -Calendar $args[0] -AuthUrl $args[1] -Credential $cred -Duration 1h",
            keystone.Url + "reservation", keystone.Url + "identity/v3"));
        Assert.Equal("RedirectRefused", id);
        Assert.Single(keystone.Requests);
        Assert.Contains("app-secret-value", keystone.Requests.Single());
        Assert.Empty(other.Requests);
        Assert.DoesNotContain("app-secret-value", text);
    }

    /// <summary>A minimal HTTP/1.1 server that records each request (head and body) and answers with a fixed response.</summary>
    sealed class RecordingServer : IDisposable
    {
        readonly TcpListener _l;
        readonly Task _loop;
        public System.Collections.Concurrent.ConcurrentQueue<string> Requests { get; } = new();
        public string Url { get; }

        public RecordingServer(IPAddress ip, Func<string, string> answer)
        {
            _l = new TcpListener(ip, 0);
            _l.Start();
            Url = $"http://{ip}:{((IPEndPoint)_l.LocalEndpoint).Port}/";
            _loop = Task.Run(async () =>
            {
                while (true)
                {
                    TcpClient c;
                    try { c = await _l.AcceptTcpClientAsync(); } catch (Exception) { return; }
                    using (c)
                    {
                        var s = c.GetStream();
                        var buf = new byte[65536];
                        var sb = new StringBuilder();
                        s.ReadTimeout = 5000;
                        while (true)
                        {
                            int n;
                            try { n = s.Read(buf, 0, buf.Length); } catch (IOException) { break; }
                            if (n <= 0) break;
                            sb.Append(Encoding.UTF8.GetString(buf, 0, n));
                            var t = sb.ToString();
                            int end = t.IndexOf("\r\n\r\n", StringComparison.Ordinal);
                            if (end < 0) continue;
                            var m = System.Text.RegularExpressions.Regex.Match(t, @"Content-Length:\s*(\d+)", System.Text.RegularExpressions.RegexOptions.IgnoreCase);
                            if (!m.Success || t.Length - end - 4 >= int.Parse(m.Groups[1].Value)) break;
                        }
                        Requests.Enqueue(sb.ToString());
                        var bytes = Encoding.ASCII.GetBytes(answer(sb.ToString()));
                        try { s.Write(bytes); } catch (IOException) { }
                    }
                }
            });
        }

        public void Dispose() { _l.Stop(); try { _loop.Wait(2000); } catch (Exception) { } }
    }
}
