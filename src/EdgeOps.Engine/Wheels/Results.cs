namespace EdgeOps
{
    /// <summary>Install-TorchWheel's result for one device.</summary>
    public sealed class TorchWheelResult
    {
        public string ComputerName { get; set; }
        public string Package { get; set; }
        /// <summary>The version installed now (after a rollback: the version restored).</summary>
        public string Version { get; set; }
        public string PreviousVersion { get; set; }
        public string Wheel { get; set; }
        public string Sha256 { get; set; }
        /// <summary>Companions installed with it ("torchvision 0.16.0, torchaudio 2.1.0").</summary>
        public string Companions { get; set; }
        /// <summary>Python version of the target interpreter.</summary>
        public string Python { get; set; }
        /// <summary>The interpreter or virtual environment installed into.</summary>
        public string Environment { get; set; }
        public string Platform { get; set; }
        public string L4T { get; set; }
        public bool CudaAvailable { get; set; }
        /// <summary>Installed, Upgraded, Unchanged, RolledBack. Nothing is written under -WhatIf.</summary>
        public string Action { get; set; }
        public long BytesUploaded { get; set; }
        public double Seconds { get; set; }
    }

    /// <summary>Publish-TorchWheel's result: the catalog entry written.</summary>
    public sealed class TorchWheelEntry
    {
        /// <summary>The machine that published.</summary>
        public string ComputerName { get; set; }
        public string Package { get; set; }
        public string Version { get; set; }
        public string Wheel { get; set; }
        public string Sha256 { get; set; }
        public long Size { get; set; }
        public string Tags { get; set; }
        public string L4T { get; set; }
        public string JetPack { get; set; }
        public string Cuda { get; set; }
        public string Devices { get; set; }
        public string Requires { get; set; }
        public string Torch { get; set; }
        /// <summary>Where the wheel is (no secrets).</summary>
        public string Location { get; set; }
        public string Catalog { get; set; }
        /// <summary>Published, Updated (same file, constraints changed), Replaced (-Force, new content) or Unchanged.</summary>
        public string Action { get; set; }
    }
}
