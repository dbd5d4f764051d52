using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using EdgeOps.Storage;
using Xunit;

namespace EdgeOps.Tests.Storage
{
    /// <summary>
    /// Real storage servers on loopback, each on a free port with a temporary data folder: s3rver (S3) and
    /// Azurite (Azure Blob) from npm (tests/setup/wheels.sh installs them), and <see cref="RangeHttpServer"/>.
    /// Started once for the test classes of the "storage" collection and killed in Dispose.
    /// </summary>
    public sealed class StorageServers : IDisposable
    {
        public const string S3Key = "S3RVER", S3Secret = "S3RVER";
        public const string AzureAccount = "devstoreaccount1";
        // Azurite's documented development key (public, not a secret).
        public const string AzureKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

        readonly List<Process> _processes = new();
        public string Temp { get; }
        public int S3Port { get; }
        public int AzurePort { get; }
        public RangeHttpServer Http { get; }
        public string S3Endpoint => $"http://127.0.0.1:{S3Port}";
        public string AzureEndpoint => $"http://127.0.0.1:{AzurePort}/{AzureAccount}";
        public string AzureConnectionString =>
            $"DefaultEndpointsProtocol=http;AccountName={AzureAccount};AccountKey={AzureKey};BlobEndpoint={AzureEndpoint};";

        public StorageServers()
        {
            Temp = Directory.CreateTempSubdirectory("edgeops-storage-").FullName;
            try
            {
                Directory.CreateDirectory(Path.Combine(Temp, "s3"));
                Directory.CreateDirectory(Path.Combine(Temp, "azurite"));
                Directory.CreateDirectory(Path.Combine(Temp, "http"));
                S3Port = FreePort();
                Start(Tool("s3rver"), "-d", Path.Combine(Temp, "s3"), "-a", "127.0.0.1", "-p", S3Port.ToString(), "-s");
                AzurePort = FreePort();
                Start(Tool("azurite-blob"), "--blobHost", "127.0.0.1", "--blobPort", AzurePort.ToString(), "-l", Path.Combine(Temp, "azurite"),
                      "--skipApiVersionCheck", "--disableTelemetry", "-s", "--loose");
                Http = new RangeHttpServer(Path.Combine(Temp, "http"));
                WaitForPort(S3Port, "s3rver");
                WaitForPort(AzurePort, "azurite");
            }
            catch
            {
                Dispose();
                throw;
            }
        }

        public StorageOptions S3Options => new() { Endpoint = S3Endpoint, Credential = new NetworkCredential(S3Key, S3Secret) };

        /// <summary>A new bucket (s3://name/prefix) for one test.</summary>
        public string NewS3Location(string prefix = "wheels")
        {
            var bucket = "b" + Guid.NewGuid().ToString("N")[..12];
            using (var s = new S3Store("s3://" + bucket, S3Options)) s.EnsureBucket(CancellationToken.None);
            return $"s3://{bucket}/{prefix}";
        }

        /// <summary>A new container; returns its URL with a SAS token (read, write, list, delete) plus prefix.</summary>
        public string NewAzureSasLocation(string prefix = "wheels")
        {
            var name = "c" + Guid.NewGuid().ToString("N")[..12];
            var container = new Azure.Storage.Blobs.BlobContainerClient(new Uri(AzureEndpoint + "/" + name),
                new Azure.Storage.StorageSharedKeyCredential(AzureAccount, AzureKey));
            container.CreateIfNotExists();
            var sas = container.GenerateSasUri(Azure.Storage.Sas.BlobContainerSasPermissions.All, DateTimeOffset.UtcNow.AddHours(2));
            var b = new UriBuilder(sas);
            b.Path = b.Path.TrimEnd('/') + "/" + prefix;
            return b.Uri.ToString();
        }

        /// <summary>A new container as az://container/prefix (for the connection string or account key).</summary>
        public string NewAzureContainer(string prefix = "wheels")
        {
            var name = "c" + Guid.NewGuid().ToString("N")[..12];
            new Azure.Storage.Blobs.BlobContainerClient(AzureConnectionString, name).CreateIfNotExists();
            return $"az://{name}/{prefix}";
        }

        /// <summary>A new folder served by the HTTP server; returns (local folder, URL).</summary>
        public (string Folder, string Url) NewHttpFolder()
        {
            var name = "h" + Guid.NewGuid().ToString("N")[..12];
            var dir = Path.Combine(Http.Root, name);
            Directory.CreateDirectory(dir);
            return (dir, Http.BaseUrl + name + "/");
        }

        static string Tool(string name)
        {
            foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':'))
            {
                var p = Path.Combine(dir, name);
                if (File.Exists(p)) return p;
            }
            throw new InvalidOperationException($"{name} is not installed: run tests/setup/wheels.sh (npm install -g s3rver azurite).");
        }

        void Start(string file, params string[] args)
        {
            var psi = new ProcessStartInfo(file) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var a in args) psi.ArgumentList.Add(a);
            var p = Process.Start(psi)!;
            p.OutputDataReceived += (_, _) => { };
            p.ErrorDataReceived += (_, _) => { };
            p.BeginOutputReadLine();
            p.BeginErrorReadLine();
            _processes.Add(p);
        }

        static int FreePort()
        {
            var l = new TcpListener(IPAddress.Loopback, 0);
            l.Start();
            int port = ((IPEndPoint)l.LocalEndpoint).Port;
            l.Stop();
            return port;
        }

        void WaitForPort(int port, string what)
        {
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (DateTime.UtcNow < deadline)
            {
                if (_processes.Any(p => p.HasExited)) throw new InvalidOperationException($"{what} exited at start.");
                try { using var c = new TcpClient(); c.Connect(IPAddress.Loopback, port); return; }
                catch (SocketException) { Thread.Sleep(100); }
            }
            throw new TimeoutException($"{what} did not listen on port {port} within 30 s.");
        }

        public void Dispose()
        {
            Http?.Dispose();
            foreach (var p in _processes)
            {
                try { if (!p.HasExited) p.Kill(entireProcessTree: true); p.WaitForExit(5000); } catch (Exception) { }
                p.Dispose();
            }
            try { Directory.Delete(Temp, true); } catch (Exception) { }
        }
    }

    [CollectionDefinition("storage")]
    public sealed class StorageCollection : ICollectionFixture<StorageServers> { }
}
