using System.Globalization;
using System.Management.Automation;
using System.Management.Automation.Host;
using System.Security;

namespace EdgeOps.Host;

sealed class ConsoleHost : PSHost
{
    readonly ConsoleUI _ui = new();
    public override CultureInfo CurrentCulture => CultureInfo.CurrentCulture;
    public override CultureInfo CurrentUICulture => CultureInfo.CurrentUICulture;
    public override Guid InstanceId { get; } = Guid.NewGuid();
    public override string Name => "EdgeOpsHost";
    public override PSHostUserInterface UI => _ui;
    public override Version Version => typeof(ConsoleHost).Assembly.GetName().Version ?? new Version(0, 1);
    public int ErrorsWritten => _ui.Errors;
    public override void EnterNestedPrompt() => throw new NotSupportedException();
    public override void ExitNestedPrompt() => throw new NotSupportedException();
    public override void NotifyBeginApplication() { }
    public override void NotifyEndApplication() { }
    public override void SetShouldExit(int exitCode) { }
}

sealed class ConsoleUI : PSHostUserInterface
{
    readonly RawUI _raw = new();
    public int Errors;
    public override PSHostRawUserInterface RawUI => _raw;
    public override string ReadLine() => Console.ReadLine() ?? "";
    public override SecureString ReadLineAsSecureString()
    {
        var s = new SecureString();
        foreach (var c in Console.ReadLine() ?? "") s.AppendChar(c);
        return s;
    }
    // Plain text when output is redirected or NO_COLOR is set: table headers carry VT colour codes otherwise.
    static readonly bool s_plain = Console.IsOutputRedirected || Environment.GetEnvironmentVariable("NO_COLOR") != null;
    static readonly System.Text.RegularExpressions.Regex s_vt = new("\u001b\\[[0-9;?]*[A-Za-z]", System.Text.RegularExpressions.RegexOptions.Compiled);
    static string Out(string v) => s_plain && v != null ? s_vt.Replace(v, "") : v!;
    public override void Write(string value) => Console.Out.Write(Out(value));
    public override void Write(ConsoleColor foregroundColor, ConsoleColor backgroundColor, string value) => Console.Out.Write(Out(value));
    public override void WriteLine(string value) => Console.Out.WriteLine(Out(value));
    public override void WriteErrorLine(string value) { Errors++; Console.Error.WriteLine(value); }
    public override void WriteDebugLine(string message) => Console.Error.WriteLine("DEBUG: " + message);
    public override void WriteVerboseLine(string message) => Console.Error.WriteLine("VERBOSE: " + message);
    public override void WriteWarningLine(string message) => Console.Error.WriteLine("WARNING: " + message);
    public override void WriteProgress(long sourceId, ProgressRecord record)
    {
        if (Console.IsErrorRedirected) return;
        var line = record.RecordType == ProgressRecordType.Completed ? "" : $"{record.Activity}: {record.StatusDescription}";
        Console.Error.Write("\r" + line.PadRight(Math.Max(0, _raw.BufferSize.Width - 1)).Substring(0, Math.Max(0, Math.Min(line.Length + 20, _raw.BufferSize.Width - 1))) + "\r");
    }
    public override Dictionary<string, PSObject> Prompt(string caption, string message, System.Collections.ObjectModel.Collection<FieldDescription> descriptions)
    {
        Console.Error.WriteLine(caption); Console.Error.WriteLine(message);
        var r = new Dictionary<string, PSObject>();
        foreach (var d in descriptions) { Console.Error.Write(d.Name + ": "); r[d.Name] = PSObject.AsPSObject(Console.ReadLine() ?? ""); }
        return r;
    }
    public override int PromptForChoice(string caption, string message, System.Collections.ObjectModel.Collection<ChoiceDescription> choices, int defaultChoice)
    {
        Console.Error.WriteLine(caption); Console.Error.WriteLine(message);
        for (int i = 0; i < choices.Count; i++) Console.Error.WriteLine($"  [{i}] {choices[i].Label.Replace("&", "")}");
        Console.Error.Write($"Choice (default {defaultChoice}): ");
        var line = Console.IsInputRedirected ? null : Console.ReadLine();
        return int.TryParse(line, out var n) && n >= 0 && n < choices.Count ? n : defaultChoice;
    }
    public override PSCredential PromptForCredential(string caption, string message, string userName, string targetName)
    {
        Console.Error.WriteLine(message);
        Console.Error.Write("Password for " + userName + ": ");
        return new PSCredential(userName, ReadLineAsSecureString());
    }
    public override PSCredential PromptForCredential(string caption, string message, string userName, string targetName, PSCredentialTypes allowedCredentialTypes, PSCredentialUIOptions options)
        => PromptForCredential(caption, message, userName, targetName);
}

sealed class RawUI : PSHostRawUserInterface
{
    public override ConsoleColor BackgroundColor { get; set; } = ConsoleColor.Black;
    public override ConsoleColor ForegroundColor { get; set; } = ConsoleColor.Gray;
    public override Size BufferSize
    {
        get { try { return Console.IsOutputRedirected ? new Size(160, 9999) : new Size(Math.Max(80, Console.BufferWidth), 9999); } catch (IOException) { return new Size(160, 9999); } }
        set { }
    }
    public override Coordinates CursorPosition { get; set; }
    public override int CursorSize { get; set; }
    public override bool KeyAvailable => false;
    public override Size MaxPhysicalWindowSize => BufferSize;
    public override Size MaxWindowSize => BufferSize;
    public override Coordinates WindowPosition { get; set; }
    public override Size WindowSize { get => new Size(BufferSize.Width, 50); set { } }
    public override string WindowTitle { get; set; } = "EdgeOps";
    public override void FlushInputBuffer() { }
    public override BufferCell[,] GetBufferContents(Rectangle rectangle) => new BufferCell[0, 0];
    public override KeyInfo ReadKey(ReadKeyOptions options) => throw new NotSupportedException();
    public override void ScrollBufferContents(Rectangle source, Coordinates destination, Rectangle clip, BufferCell fill) { }
    public override void SetBufferContents(Coordinates origin, BufferCell[,] contents) { }
    public override void SetBufferContents(Rectangle rectangle, BufferCell fill) { }
}
