using System.Management.Automation;
using System.Security;
using EdgeOps.Tests.Storage;
using Xunit;
using Spec = EdgeOps.Tests.Wheels.TestWheels.Spec;

namespace EdgeOps.Tests.Wheels
{
    /// <summary>Publish to and install from HTTP (with a transfer cut half-way), s3rver and Azurite, on the local device.</summary>
    [Collection("storage")]
    public sealed class InstallSourcesLocalTests : IClassFixture<WheelFixture>
    {
        readonly WheelFixture _f;
        readonly StorageServers _servers;
        public InstallSourcesLocalTests(WheelFixture f, StorageServers servers) { _f = f; _servers = servers; }

        static T P<T>(PSObject o, string name) => (T)o.Properties[name].Value;

        static PSObject One(Infrastructure.PSRun r)
        {
            Assert.True(r.Errors.Count == 0, string.Join("\n", r.Errors.Select(e => e.ToString())));
            return Assert.Single(r.Output);
        }

        static PSCredential Cred(string user, string password)
        {
            var s = new SecureString();
            foreach (var c in password) s.AppendChar(c);
            return new PSCredential(user, s);
        }

        PSObject InstallFrom(string catalog, string version, string extra = "", params object[] more)
        {
            var args = new object[] { catalog, WheelFixture.Python, _f.Venv, _f.Cache }.Concat(more).ToArray();
            var r = _f.PS.Run($"Install-TorchWheel -Catalog $args[0] -Version {version} -PythonPath $args[1] -VirtualEnv $args[2] -CacheDirectory $args[3] {extra} -Verbose", args);
            var o = One(r);
            Assert.Equal(version, P<string>(o, "Version"));
            Assert.Contains(P<string>(o, "Action"), new[] { "Installed", "Upgraded" });
            Assert.Equal(version, WheelFixture.ImportedVersion(_f.Venv));
            return o;
        }

        [Fact]
        public void Http_catalog_with_a_download_cut_half_way_resumes()
        {
            var (folder, url) = _servers.NewHttpFolder();
            var wheel = _f.Build(new Spec(Version: "3.1.0") { PadBytes = 3 << 20 }, Path.Combine(_f.Temp, "http-built"));
            One(_f.PS.Run("Publish-TorchWheel -Path $args[0] -Destination $args[1]", wheel, folder));
            var path = new Uri(url).AbsolutePath + Path.GetFileName(wheel);
            _servers.Http.CutNextTransfer(path, 1 << 20);
            var o = InstallFrom(url + "catalog.yaml?token=s3cr3t-token", "3.1.0");
            Assert.Equal(TestWheels.Sha256(wheel), P<string>(o, "Sha256"));
            var gets = _servers.Http.Requests.Where(r => r.Path == path && r.Method == "GET").ToList();
            Assert.Equal(2, gets.Count);
            Assert.Equal("bytes=" + (1 << 20) + "-", gets[1].Range);
            Assert.Equal(new FileInfo(wheel).Length, _servers.Http.BodyBytesSent(path));
        }

        [Fact]
        public void S3_publish_and_install_through_a_custom_endpoint()
        {
            var loc = _servers.NewS3Location("torch wheels");
            var wheel = _f.Build(new Spec(Version: "3.2.0") { Cuda = true }, Path.Combine(_f.Temp, "s3-built"));
            var cred = Cred(StorageServers.S3Key, StorageServers.S3Secret);
            var p = One(_f.PS.Run("Publish-TorchWheel -Path $args[0] -Destination $args[1] -Endpoint $args[2] -StorageCredential $args[3]",
                                  wheel, loc, _servers.S3Endpoint, cred));
            Assert.Equal(loc + "/" + Path.GetFileName(wheel), P<string>(p, "Location"));
            var o = InstallFrom(loc + "/catalog.yaml", "3.2.0", "-Endpoint $args[4] -StorageCredential $args[5]", _servers.S3Endpoint, cred);
            Assert.True(P<bool>(o, "CudaAvailable"));
        }

        [Fact]
        public void S3_credentials_from_the_standard_chain()
        {
            var loc = _servers.NewS3Location();
            var wheel = _f.Build(new Spec(Version: "3.3.0"), Path.Combine(_f.Temp, "s3env-built"));
            var saved = new[] { "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_ENDPOINT_URL_S3" }.ToDictionary(k => k, Environment.GetEnvironmentVariable);
            Environment.SetEnvironmentVariable("AWS_ACCESS_KEY_ID", StorageServers.S3Key);
            Environment.SetEnvironmentVariable("AWS_SECRET_ACCESS_KEY", StorageServers.S3Secret);
            Environment.SetEnvironmentVariable("AWS_ENDPOINT_URL_S3", _servers.S3Endpoint);
            try
            {
                One(_f.PS.Run("Publish-TorchWheel -Path $args[0] -Destination $args[1]", wheel, loc));
                InstallFrom(loc + "/catalog.yaml", "3.3.0");
            }
            finally { foreach (var kv in saved) Environment.SetEnvironmentVariable(kv.Key, kv.Value); }
        }

        [Fact]
        public void Azure_publish_with_a_connection_string_install_with_a_sas_url()
        {
            var az = _servers.NewAzureContainer("torch");
            var wheel = _f.Build(new Spec(Version: "3.4.0"), Path.Combine(_f.Temp, "az-built"));
            var saved = Environment.GetEnvironmentVariable("AZURE_STORAGE_CONNECTION_STRING");
            Environment.SetEnvironmentVariable("AZURE_STORAGE_CONNECTION_STRING", _servers.AzureConnectionString);
            PSObject p;
            try { p = One(_f.PS.Run("Publish-TorchWheel -Path $args[0] -Destination $args[1] -Verbose", wheel, az)); }
            finally { Environment.SetEnvironmentVariable("AZURE_STORAGE_CONNECTION_STRING", saved); }
            Assert.Equal("Published", P<string>(p, "Action"));
            // the same container through a SAS URL
            var container = az.Substring("az://".Length).Split('/')[0];
            var client = new Azure.Storage.Blobs.BlobContainerClient(new Uri(_servers.AzureEndpoint + "/" + container),
                new Azure.Storage.StorageSharedKeyCredential(StorageServers.AzureAccount, StorageServers.AzureKey));
            var sas = new UriBuilder(client.GenerateSasUri(Azure.Storage.Sas.BlobContainerSasPermissions.Read | Azure.Storage.Sas.BlobContainerSasPermissions.List, DateTimeOffset.UtcNow.AddHours(1)));
            sas.Path += "/torch/catalog.yaml";
            var r = _f.PS.Run("Install-TorchWheel -Catalog $args[0] -Version 3.4.0 -PythonPath $args[1] -VirtualEnv $args[2] -CacheDirectory $args[3] -Verbose",
                              sas.Uri.ToString(), WheelFixture.Python, _f.Venv, _f.Cache);
            var o = One(r);
            Assert.Equal("3.4.0", P<string>(o, "Version"));
            var sig = System.Web.HttpUtility.ParseQueryString(sas.Query)["sig"]!;
            Assert.DoesNotContain(r.Verbose, v => v.Contains(sig) || v.Contains(Uri.EscapeDataString(sig)));
        }
    }
}
