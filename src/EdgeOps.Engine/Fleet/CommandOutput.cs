namespace EdgeOps
{
    /// <summary>Result of Invoke-EdgeCommand.</summary>
    public sealed class CommandOutput
    {
        public string ComputerName { get; set; }
        public int ExitCode { get; set; }
        public string Stdout { get; set; }
        public string Stderr { get; set; }
        public double Seconds { get; set; }
    }
}
