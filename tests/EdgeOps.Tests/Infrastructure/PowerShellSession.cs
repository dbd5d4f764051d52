using System.Collections;
using System.Collections.ObjectModel;
using System.Globalization;
using System.Management.Automation;
using System.Management.Automation.Runspaces;

namespace EdgeOps.Tests.Infrastructure
{
    /// <summary>Where things are: the repository and the module folder that `dotnet build` laid out.</summary>
    public static class Repo
    {
        public static string Root { get; } = FindRoot();
        public static string ModuleManifest => Path.Combine(Root, "out", "module", "EdgeOps", "EdgeOps.psd1");
        /// <summary>./edgeops: real pwsh 7.6.10 (the repo's .NET tool) with the built module imported.</summary>
        public static string Edgeops => Path.Combine(Root, "edgeops");

        static string FindRoot()
        {
            var d = new DirectoryInfo(AppContext.BaseDirectory);
            while (d != null && !File.Exists(Path.Combine(d.FullName, "EdgeOps.sln"))) d = d.Parent;
            return d?.FullName ?? throw new InvalidOperationException("EdgeOps.sln not found above " + AppContext.BaseDirectory);
        }
    }

    /// <summary>What one script run produced.</summary>
    public sealed class PSRun
    {
        public required Collection<PSObject> Output { get; init; }
        public required List<ErrorRecord> Errors { get; init; }
        public required List<string> Verbose { get; init; }
        public required List<string> Warnings { get; init; }
        public required List<ProgressRecord> Progress { get; init; }
        /// <summary>What went to the console: the "What if:" messages of -WhatIf.</summary>
        public List<string> HostLines { get; init; } = new();
        public IEnumerable<string> WhatIf => HostLines.Where(l => l.StartsWith("What if:", StringComparison.Ordinal));
        public string AllText => string.Join("\n", Output.Select(o => o?.ToString()).Concat(Errors.Select(e => e.ToString())).Concat(Verbose).Concat(Warnings));
    }

    /// <summary>
    /// A real PowerShell 7.6 runspace (System.Management.Automation) that imports the built EdgeOps.psd1,
    /// exactly as a user would. One per test class or test; dispose to close it.
    /// </summary>
    public sealed class PowerShellSession : IDisposable
    {
        readonly Runspace _runspace;
        readonly CapturingHost _host = new();

        public PowerShellSession(bool importModule = true)
        {
            CultureInfo.CurrentUICulture = CultureInfo.GetCultureInfo("en-US");
            var iss = InitialSessionState.CreateDefault2();
            _runspace = RunspaceFactory.CreateRunspace(_host, iss);
            _runspace.Open();
            if (importModule)
            {
                var r = Run("Import-Module $args[0] -ErrorAction Stop", Repo.ModuleManifest);
                if (r.Errors.Count > 0) throw new InvalidOperationException("Import-Module failed: " + r.Errors[0]);
            }
        }

        public Runspace Runspace => _runspace;

        /// <summary>Runs a script; $args holds the extra arguments. Non-terminating errors are collected; terminating ones throw.</summary>
        public PSRun Run(string script, params object[] args)
        {
            using var ps = PowerShell.Create();
            ps.Runspace = _runspace;
            ps.AddScript(script);
            foreach (var a in args) ps.AddArgument(a);
            _host.TakeLines();
            Collection<PSObject> output;
            try { output = ps.Invoke(); }
            catch (RuntimeException e)
            {
                ErrorContract.Check(e.ErrorRecord);
                throw;
            }
            foreach (var error in ps.Streams.Error) ErrorContract.Check(error);
            return new PSRun
            {
                HostLines = _host.TakeLines(),
                Output = output,
                Errors = ps.Streams.Error.ToList(),
                Verbose = ps.Streams.Verbose.Select(v => v.Message).ToList(),
                Warnings = ps.Streams.Warning.Select(v => v.Message).ToList(),
                Progress = ps.Streams.Progress.ToList(),
            };
        }

        /// <summary>Sets a variable in the session (for objects that should not pass through script text).</summary>
        public void Set(string name, object? value) => _runspace.SessionStateProxy.SetVariable(name, value);

        public void Dispose() => _runspace.Dispose();
    }
}
