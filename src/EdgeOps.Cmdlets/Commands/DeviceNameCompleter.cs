using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;
using EdgeOps.Fleet;

namespace EdgeOps.Commands
{
    /// <summary>
    /// Tab completion of device names, useful in a new session: the devices of the inventory that this command
    /// names with -Inventory, that a Get-EdgeDevice earlier in the same pipeline names, or that
    /// $PSDefaultParameterValues gives Get-EdgeDevice; and the devices Get-EdgeDevice returned in this session.
    /// </summary>
    public sealed class DeviceNameCompleter : IArgumentCompleter
    {
        public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
            CommandAst commandAst, IDictionary fakeBoundParameters)
        {
            var names = new HashSet<string>(KnownDevices.Names(), StringComparer.OrdinalIgnoreCase);
            foreach (var path in InventoryPaths(commandAst, fakeBoundParameters))
            {
                try
                {
                    foreach (var entry in Inventory.Load(path)) names.Add(entry.Device.ComputerName);
                }
                catch (Exception) { /* a missing or half-written inventory gives no names; completion never fails */ }
            }
            return Completion.Results(names, wordToComplete);
        }

        static IEnumerable<string> InventoryPaths(CommandAst commandAst, IDictionary fakeBoundParameters)
        {
            var given = new List<string>();
            if (fakeBoundParameters != null)
                foreach (DictionaryEntry kv in fakeBoundParameters)
                    if (string.Equals(kv.Key as string, "Inventory", StringComparison.OrdinalIgnoreCase)) given.Add(Text(kv.Value));
            if (commandAst?.Parent is PipelineAst pipeline)
                foreach (var element in pipeline.PipelineElements.OfType<CommandAst>().Where(c => c != commandAst))
                    given.Add(InventoryArgument(element));
            given.AddRange(DefaultInventories());
            return given.Where(p => !string.IsNullOrWhiteSpace(p)).Select(Resolve).Where(p => p != null).Distinct();
        }

        /// <summary>The constant -Inventory (or first positional) argument of a Get-EdgeDevice command, or null.</summary>
        static string InventoryArgument(CommandAst command)
        {
            if (!string.Equals(command.GetCommandName(), "Get-EdgeDevice", StringComparison.OrdinalIgnoreCase)) return null;
            var elements = command.CommandElements;
            for (int i = 1; i < elements.Count; i++)
            {
                if (elements[i] is CommandParameterAst p)
                {
                    if (!"Inventory".StartsWith(p.ParameterName, StringComparison.OrdinalIgnoreCase) &&
                        !string.Equals(p.ParameterName, "Path", StringComparison.OrdinalIgnoreCase)) { if (p.Argument == null) i++; continue; }
                    var value = p.Argument ?? (i + 1 < elements.Count ? elements[i + 1] : null);
                    return (value as StringConstantExpressionAst)?.Value;
                }
                if (i == 1 && elements[i] is StringConstantExpressionAst positional) return positional.Value;
            }
            return null;
        }

        /// <summary>Inventories that $PSDefaultParameterValues gives Get-EdgeDevice ('Get-EdgeDevice:Inventory', '*:Inventory'...).</summary>
        static IEnumerable<string> DefaultInventories()
        {
            var result = new List<string>();
            try
            {
                foreach (var o in ScriptBlock.Create("$PSDefaultParameterValues").Invoke())
                {
                    if (!(o?.BaseObject is IDictionary defaults)) continue;
                    foreach (DictionaryEntry kv in defaults)
                    {
                        var key = (kv.Key as string ?? "").Split(':');
                        if (key.Length == 2 && string.Equals(key[1].Trim(), "Inventory", StringComparison.OrdinalIgnoreCase)
                            && new WildcardPattern(key[0].Trim(), WildcardOptions.IgnoreCase).IsMatch("Get-EdgeDevice"))
                            result.Add(Text(kv.Value));
                    }
                }
            }
            catch (Exception) { /* no session state to read: no defaults */ }
            return result;
        }

        static string Text(object value) => (value as PSObject)?.BaseObject is string s ? s : value as string;

        static string Resolve(string path)
        {
            try
            {
                return ScriptBlock.Create("$ExecutionContext.SessionState.Path.GetUnresolvedProviderPathFromPSPath($args[0])")
                    .Invoke(path).FirstOrDefault()?.BaseObject as string;
            }
            catch (Exception) { return null; }
        }
    }
}
