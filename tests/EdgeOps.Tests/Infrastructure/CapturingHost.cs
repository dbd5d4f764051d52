using System.Collections.ObjectModel;
using System.Globalization;
using System.Management.Automation;
using System.Management.Automation.Host;
using System.Security;

namespace EdgeOps.Tests.Infrastructure
{
    /// <summary>
    /// A PowerShell host that keeps what is written to the console (the "What if:" messages of -WhatIf go
    /// only there) so tests can read the plan a cmdlet showed. It answers no prompts: a test that would
    /// prompt fails instead of hanging.
    /// </summary>
    public sealed class CapturingHost : PSHost
    {
        readonly CapturingUI _ui = new();
        public override string Name => "EdgeOps.Tests";
        public override Version Version => new(1, 0);
        public override Guid InstanceId { get; } = Guid.NewGuid();
        public override PSHostUserInterface UI => _ui;
        public override CultureInfo CurrentCulture => CultureInfo.GetCultureInfo("en-US");
        public override CultureInfo CurrentUICulture => CultureInfo.GetCultureInfo("en-US");
        public override void SetShouldExit(int exitCode) { }
        public override void EnterNestedPrompt() => throw new NotSupportedException();
        public override void ExitNestedPrompt() => throw new NotSupportedException();
        public override void NotifyBeginApplication() { }
        public override void NotifyEndApplication() { }

        /// <summary>The lines written since the last call, and forgets them.</summary>
        public List<string> TakeLines() => _ui.Take();

        sealed class CapturingUI : PSHostUserInterface
        {
            readonly List<string> _lines = new();
            readonly System.Text.StringBuilder _partial = new();

            public List<string> Take()
            {
                lock (_lines)
                {
                    if (_partial.Length > 0) { _lines.Add(_partial.ToString()); _partial.Clear(); }
                    var r = new List<string>(_lines);
                    _lines.Clear();
                    return r;
                }
            }

            public override PSHostRawUserInterface? RawUI => null;
            public override void Write(string value) { lock (_lines) _partial.Append(value); }
            public override void Write(ConsoleColor foregroundColor, ConsoleColor backgroundColor, string value) => Write(value);
            public override void WriteLine(string value)
            {
                lock (_lines) { _partial.Append(value); _lines.Add(_partial.ToString()); _partial.Clear(); }
            }
            public override void WriteErrorLine(string value) => WriteLine(value);
            public override void WriteDebugLine(string message) { }
            public override void WriteProgress(long sourceId, ProgressRecord record) { }
            public override void WriteVerboseLine(string message) { }
            public override void WriteWarningLine(string message) { }

            static Exception NoPrompt() => new InvalidOperationException("The test host answers no prompts: give the value as a parameter.");
            public override string ReadLine() => throw NoPrompt();
            public override SecureString ReadLineAsSecureString() => throw NoPrompt();
            public override Dictionary<string, PSObject> Prompt(string caption, string message, Collection<FieldDescription> descriptions) => throw NoPrompt();
            public override PSCredential PromptForCredential(string caption, string message, string userName, string targetName) => throw NoPrompt();
            public override PSCredential PromptForCredential(string caption, string message, string userName, string targetName,
                PSCredentialTypes allowedCredentialTypes, PSCredentialUIOptions options) => throw NoPrompt();
            public override int PromptForChoice(string caption, string message, Collection<ChoiceDescription> choices, int defaultChoice) => throw NoPrompt();
        }
    }
}
