using System.Globalization;
using System.Management.Automation;
using System.Management.Automation.Runspaces;

namespace EdgeOps.Host;

/// <summary>
/// edgeops: a small PowerShell host (System.Management.Automation 7.6) that imports EdgeOps and runs a
/// command or a .ps1 file, printing objects through the module's format views. Exit code 1 when any
/// error record was written, 2 for a terminating error or bad usage.
/// </summary>
public static class Program
{
    const string Usage = """
        usage: edgeops [-Module <path to EdgeOps.psd1>] [-NoModule] -Command '<script>'
               edgeops [-Module <path>] -File <script.ps1> [args...]
               edgeops [-Module <path>]            (no command: benchmark the bundled sample models)
        """;

    public static int Main(string[] argv)
    {
        string? command = null, file = null, module = null;
        bool noModule = false;
        var scriptArgs = new List<string>();
        for (int i = 0; i < argv.Length; i++)
        {
            string a = argv[i];
            string Next() => i + 1 < argv.Length ? argv[++i] : throw new ArgumentException($"{a} needs a value");
            try
            {
                if (file != null) { scriptArgs.Add(a); continue; }
                switch (a.ToLowerInvariant())
                {
                    case "-command": case "-c": command = Next(); break;
                    case "-file": case "-f": file = Next(); break;
                    case "-module": module = Next(); break;
                    case "-nomodule": noModule = true; break;
                    case "-help": case "--help": case "-?": Console.WriteLine(Usage); return 0;
                    default:
                        if (command == null && !a.StartsWith('-')) { command = string.Join(' ', argv.Skip(i)); i = argv.Length; }
                        else { Console.Error.WriteLine($"edgeops: unknown argument '{a}'.\n{Usage}"); return 2; }
                        break;
                }
            }
            catch (ArgumentException e) { Console.Error.WriteLine($"edgeops: {e.Message}\n{Usage}"); return 2; }
        }
        module ??= FindModule();
        command ??= file == null ? "Invoke-EdgeBenchmark" : null;

        CultureInfo.CurrentUICulture = CultureInfo.GetCultureInfo("en-US");
        var host = new ConsoleHost();
        var iss = InitialSessionState.CreateDefault2();
        using var runspace = RunspaceFactory.CreateRunspace(host, iss);
        runspace.Open();
        using var ps = PowerShell.Create();
        ps.Runspace = runspace;
        Console.CancelKeyPress += (_, e) => { e.Cancel = true; ps.BeginStop(null, null); };

        if (Console.IsOutputRedirected || Environment.GetEnvironmentVariable("NO_COLOR") != null)
        {
            ps.AddScript("$PSStyle.OutputRendering = 'PlainText'");
            ps.Invoke();
            ps.Commands.Clear();
        }
        if (!noModule)
        {
            if (module == null || !File.Exists(module))
            {
                Console.Error.WriteLine("edgeops: EdgeOps.psd1 not found: run `dotnet build` first, or give -Module <path>.");
                return 2;
            }
            ps.AddCommand("Import-Module").AddParameter("Name", module).AddParameter("ErrorAction", "Stop");
            try { ps.Invoke(); }
            catch (RuntimeException e) { Console.Error.WriteLine("edgeops: " + e.Message); return 2; }
            ps.Commands.Clear();
        }

        if (file != null)
        {
            ps.AddCommand(Path.GetFullPath(file));
            // -Name value pairs become named parameters, a -Name alone a switch, anything else positional.
            for (int i = 0; i < scriptArgs.Count; i++)
            {
                var a = scriptArgs[i];
                if (a.Length > 1 && a[0] == '-' && !double.TryParse(a, out _))
                {
                    bool hasValue = i + 1 < scriptArgs.Count && !(scriptArgs[i + 1].StartsWith('-') && scriptArgs[i + 1].Length > 1 && !double.TryParse(scriptArgs[i + 1], out _));
                    if (hasValue) ps.AddParameter(a.Substring(1), scriptArgs[++i]);
                    else ps.AddParameter(a.Substring(1));
                }
                else ps.AddArgument(a);
            }
        }
        else ps.AddScript(command!);
        ps.AddCommand("Out-Default");
        try
        {
            ps.Invoke();
            foreach (var err in ps.Streams.Error) host.UI.WriteErrorLine(err.ToString());
        }
        catch (RuntimeException e)
        {
            host.UI.WriteErrorLine(e.ErrorRecord?.ToString() ?? e.Message);
            return 2;
        }
        if (ps.InvocationStateInfo.State == PSInvocationState.Stopped) return 130;
        return ps.HadErrors || host.ErrorsWritten > 0 ? 1 : 0;
    }

    static string? FindModule()
    {
        var env = Environment.GetEnvironmentVariable("EDGEOPS_MODULE");
        if (!string.IsNullOrEmpty(env)) return env;
        var d = new DirectoryInfo(AppContext.BaseDirectory);
        while (d != null)
        {
            var p = Path.Combine(d.FullName, "out", "module", "EdgeOps", "EdgeOps.psd1");
            if (File.Exists(p)) return p;
            p = Path.Combine(d.FullName, "EdgeOps.psd1");
            if (File.Exists(p) && File.Exists(Path.Combine(d.FullName, "EdgeOps.dll"))) return p;
            d = d.Parent;
        }
        return null;
    }
}
