using System;
using System.Collections;
using System.Collections.Generic;
using System.Management.Automation;
using System.Text.RegularExpressions;
using EdgeOps.Builds;
using EdgeOps.Fleet;

namespace EdgeOps.Commands
{
    /// <summary>Start-WheelBuild: a native wheel build on each build host, detached there; returns at once.</summary>
    [Cmdlet(VerbsLifecycle.Start, "WheelBuild", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low, DefaultParameterSetName = "Source")]
    [OutputType(typeof(WheelBuild))]
    public sealed class StartWheelBuildCommand : WheelBuildCmdlet
    {
        [Parameter(Mandatory = true, ParameterSetName = "Source")]
        [ValidateNotNullOrEmpty]
        public string Source { get; set; }

        [Parameter(ParameterSetName = "Source")]
        [ValidateNotNullOrEmpty]
        public string Ref { get; set; }

        [Parameter(ParameterSetName = "Source")]
        [ValidateSet("generic", "pytorch", "opencv", IgnoreCase = true)]
        public string Recipe { get; set; } = "generic";

        [Parameter(ParameterSetName = "Source")]
        public SwitchParameter Contrib { get; set; }

        [Parameter(ParameterSetName = "Source")]
        [ValidateNotNullOrEmpty]
        public string Project { get; set; }

        [Parameter(ParameterSetName = "Source")]
        [ValidateNotNullOrEmpty]
        public string PythonPath { get; set; } = "python3";

        [Parameter(Mandatory = true, ParameterSetName = "Resume")]
        public SwitchParameter Resume { get; set; }

        /// <summary>Resume: the build to continue (bound by property name from WheelBuild objects). Source: the new build's id.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)]
        [ValidateNotNullOrEmpty]
        public string Id { get; set; }

        [Parameter]
        public Hashtable Environment { get; set; }

        [Parameter]
        [ValidateRange(1, 256)]
        public int Jobs { get; set; }

        [Parameter]
        public SwitchParameter EnsureSwap { get; set; }

        protected override string[] RecordIds => Id == null ? null : new[] { Id };

        object _request;   // BuildRequest (engine types held as object: see InstallTorchWheelCommand)

        protected override void BeginFleet(IReadOnlyList<EdgeDevice> devices)
        {
            if (Resume) return;
            var source = Source;
            bool git = IsGitUrl(source);
            if (!git) source = GetUnresolvedProviderPathFromPSPath(source);
            else if (System.IO.Directory.Exists(source)) git = false;
            if (Ref != null && !git)
                ThrowTerminatingError(ErrorRecords.New("WheelBuildRefWithoutGit", "InvalidArgument",
                    "-Ref names a git branch, tag or commit: it goes with a git URL as -Source. Give -Source as a git URL, or leave -Ref out.", Ref));
            _request = new BuildRequest
            {
                SourcePath = git ? null : source, GitUrl = git ? source : null, Ref = Ref, Recipe = Recipe,
                Environment = ToStrings(Environment), PythonPath = PythonPath, Contrib = Contrib, Project = Project,
                Jobs = Bound(nameof(Jobs)) ? Jobs : (int?)null, EnsureSwap = EnsureSwap,
            };
        }

        bool Bound(string n) => MyInvocation.BoundParameters.ContainsKey(n);

        internal static bool IsGitUrl(string s) =>
            Regex.IsMatch(s ?? "", @"^(https?|ssh|git|file)://", RegexOptions.IgnoreCase) || Regex.IsMatch(s ?? "", @"^[\w.-]+@[\w.-]+:");

        internal static IDictionary<string, string> ToStrings(Hashtable h)
        {
            if (h == null) return null;
            var d = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (DictionaryEntry e in h)
                d[LanguagePrimitives.ConvertTo<string>(e.Key)] = e.Value == null ? "" : LanguagePrimitives.ConvertTo<string>(e.Value);
            return d;
        }

        protected override IEnumerable<object> ProcessDevice(IDeviceContext context)
        {
            var ids = IdsOf(context);
            var service = new WheelBuildService(context, BuildRoot);
            if (Resume)
            {
                if (ids.Count == 0)
                    throw new EdgeOpsException("WheelBuildIdMissing", "InvalidArgument",
                        $"{context.Device.ComputerName}: -Resume needs the build: give -Id, or pipe the build from Get-WheelBuild.");
                foreach (var id in ids)
                {
                    var b = service.Resume(id, Bound(nameof(Jobs)) ? Jobs : (int?)null, ToStrings(Environment), EnsureSwap);
                    if (b != null) yield return b;
                }
                yield break;
            }
            var r = (BuildRequest)_request;
            var request = new BuildRequest
            {
                SourcePath = r.SourcePath, GitUrl = r.GitUrl, Ref = r.Ref, Recipe = r.Recipe, Environment = r.Environment,
                PythonPath = r.PythonPath, Contrib = r.Contrib, Project = r.Project, Jobs = r.Jobs, EnsureSwap = r.EnsureSwap,
                Id = ids.Count > 0 ? ids[0] : null,
            };
            var build = service.Start(request);
            if (build != null) yield return build;
        }
    }
}
