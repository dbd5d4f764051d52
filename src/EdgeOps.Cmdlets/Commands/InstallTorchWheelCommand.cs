using System;
using System.Collections.Generic;
using System.Management.Automation;
using EdgeOps.Fleet;
using EdgeOps.Storage;
using EdgeOps.Wheels;

namespace EdgeOps.Commands
{
    /// <summary>Installs a prebuilt PyTorch wheel (and companions) from cloud storage on every device of the pipeline.</summary>
    [Cmdlet(VerbsLifecycle.Install, "TorchWheel", SupportsShouldProcess = true, DefaultParameterSetName = "Catalog")]
    [OutputType(typeof(TorchWheelResult))]
    public sealed class InstallTorchWheelCommand : StorageDeviceCmdlet
    {
        [Parameter(Mandatory = true, ParameterSetName = "Catalog")]
        [ValidateNotNullOrEmpty]
        public string Catalog { get; set; }

        [Parameter(Mandatory = true, ParameterSetName = "Source")]
        [ValidateNotNullOrEmpty]
        public string Source { get; set; }

        [Parameter]
        [ValidateNotNullOrEmpty]
        public string Version { get; set; }

        [Parameter]
        [ValidateNotNullOrEmpty]
        public string Package { get; set; } = "torch";

        [Parameter]
        public string[] Companion { get; set; }

        [Parameter]
        [ValidateNotNullOrEmpty]
        public string PythonPath { get; set; } = "python3";

        [Parameter]
        [ValidateNotNullOrEmpty]
        public string VirtualEnv { get; set; }

        [Parameter] public SwitchParameter CreateVirtualEnv { get; set; }
        [Parameter] public SwitchParameter AllowIndex { get; set; }
        [Parameter] public SwitchParameter InstallSystemPackages { get; set; }
        [Parameter] public SwitchParameter BreakSystemPackages { get; set; }
        [Parameter] public SwitchParameter Force { get; set; }

        [Parameter]
        [ValidateNotNullOrEmpty]
        public string CacheDirectory { get; set; }


        protected override bool ForceRequested => Force.IsPresent;

        /// <summary>Allow a plain http:// -Source, -Catalog or -Endpoint on another machine (refused by default).</summary>
        [Parameter] public SwitchParameter AllowInsecureHttp { get; set; }

        /// <summary>The catalog file's own sha256: one trusted value that anchors every wheel it lists.</summary>
        [Parameter] [ValidatePattern("^[0-9a-fA-F]{64}$")] public string CatalogSha256 { get; set; }

        // Engine types are held as object: PowerShell scans this class before the engine's load context is hooked.
        object _source, _cache, _options;

        protected override void BeginFleet(IReadOnlyList<EdgeDevice> devices)
        {
            if (CreateVirtualEnv && string.IsNullOrEmpty(VirtualEnv))
                ThrowTerminatingError(ErrorRecords.New("CreateVirtualEnvWithoutPath", "InvalidArgument",
                    "-CreateVirtualEnv needs a folder to create: add -VirtualEnv <folder on the device>, e.g. -VirtualEnv ~/torch.", "CreateVirtualEnv"));
            var storage = StorageOptions();
            storage.AllowInsecureHttp = AllowInsecureHttp.IsPresent;
            storage.CatalogSha256 = CatalogSha256;
            WheelSource source = null;
            try
            {
                source = ParameterSetName == "Source"
                    ? WheelSource.FromSource(StorageParameters.Resolve(this, Source), storage, Token, m => WriteVerbose(m))
                    : WheelSource.FromCatalog(StorageParameters.Resolve(this, Catalog), storage, Token);
            }
            catch (EdgeOpsException e)
            {
                ThrowTerminatingError(ErrorRecords.For(e, ParameterSetName == "Source" ? "Source" : "Catalog"));
            }
            WriteVerbose($"{source.Entries.Count} wheel(s) in {source.Where}.");
            _source = source;
            _cache = new WheelCache(string.IsNullOrEmpty(CacheDirectory) ? null : GetUnresolvedProviderPathFromPSPath(CacheDirectory), storage.Retries);
            _options = new TorchInstallOptions
            {
                Package = Package, Version = Version, Companions = Companion ?? new string[0],
                PythonPath = PythonPath, VirtualEnv = VirtualEnv, CreateVirtualEnv = CreateVirtualEnv,
                AllowIndex = AllowIndex, InstallSystemPackages = InstallSystemPackages, BreakSystemPackages = BreakSystemPackages,
            };
        }

        protected override IEnumerable<object> ProcessDevice(IDeviceContext context)
        {
            var r = TorchInstaller.Install(context, (WheelSource)_source, (WheelCache)_cache, (TorchInstallOptions)_options);
            if (r != null)
            {
                r.Seconds = Math.Round(r.Seconds, 2);
                yield return r;
            }
        }

        protected override void EndFleet()
        {
            if (_cache is WheelCache c) WriteVerbose($"Fetched {c.Downloads} object(s), {c.BytesDownloaded} bytes, from storage in this run (cache {c.Root}).");
            (_source as IDisposable)?.Dispose();
            _source = null;
        }
    }

}
