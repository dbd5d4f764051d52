using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;
using EdgeOps.Fleet;
using EdgeOps.Benchmark.Measure;
using EdgeOps.Leases;

namespace EdgeOps.Commands
{
    /// <summary>Completion results from a list of values: prefix or wildcard match, sorted, quoted when PowerShell needs it.</summary>
    static class Completion
    {
        static readonly char[] s_needsQuotes = { ' ', '\'', '"', '$', '`', ';', '(', ')', '{', '}', '@', ',', '&', '|', '#', '<', '>' };

        public static IEnumerable<CompletionResult> Results(IEnumerable<string> values, string wordToComplete)
        {
            var prefix = (wordToComplete ?? "").Trim('\'', '"');
            var pattern = new WildcardPattern(WildcardPattern.Escape(prefix).Replace("`*", "*").Replace("`?", "?") + "*", WildcardOptions.IgnoreCase);
            foreach (var value in values.Where(v => !string.IsNullOrEmpty(v) && pattern.IsMatch(v)).OrderBy(v => v, StringComparer.OrdinalIgnoreCase))
            {
                var text = value.IndexOfAny(s_needsQuotes) >= 0 ? "'" + value.Replace("'", "''") + "'" : value;
                yield return new CompletionResult(text, value, CompletionResultType.ParameterValue, value);
            }
        }
    }

    /// <summary>Tab completion of -Kind: the device kinds an inventory knows.</summary>
    public sealed class DeviceKindCompleter : IArgumentCompleter
    {
        public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
            CommandAst commandAst, IDictionary fakeBoundParameters) => Completion.Results(Inventory.Kinds, wordToComplete);
    }

    /// <summary>Tab completion of -TimeZone: Local, UTC, every IANA name and every Windows zone id.</summary>
    public sealed class TimeZoneCompleter : IArgumentCompleter
    {
        public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
            CommandAst commandAst, IDictionary fakeBoundParameters) => Completion.Results(LeaseTime.KnownZoneNames(), wordToComplete);
    }

    /// <summary>Tab completion of the execution providers this ONNX Runtime offers.</summary>
    public sealed class ExecutionProviderCompleter : IArgumentCompleter
    {
        public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
            CommandAst commandAst, IDictionary fakeBoundParameters) =>
            Completion.Results(BenchmarkCompletion.Providers(), wordToComplete);
    }

    static class BenchmarkCompletion
    {
        public static IEnumerable<string> Providers() =>
            Measurer.AvailableProviders().Select(p => p.EndsWith("ExecutionProvider", StringComparison.Ordinal) ? p.Substring(0, p.Length - 17) : p);
    }
}
