using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.RegularExpressions;
using Renci.SshNet;

namespace EdgeOps.Transport
{
    /// <summary>
    /// The key exchange algorithms a connection offers, from a spec in ssh_config's KexAlgorithms syntax:
    /// "a,b" offers exactly these in this order; "+a,b" appends them to the default list; "-a,b*" removes them
    /// (wildcards * and ?); "^a,b" moves them to the front. Names are SSH.NET's (the protocol names).
    /// </summary>
    public static class KexPreference
    {
        static readonly Lazy<IReadOnlyList<string>> s_defaults = new Lazy<IReadOnlyList<string>>(() =>
            new ConnectionInfo("localhost", "edgeops", new NoneAuthenticationMethod("edgeops")).KeyExchangeAlgorithms.Keys.ToArray());

        /// <summary>SSH.NET's own list, most preferred first (every key exchange it implements).</summary>
        public static IReadOnlyList<string> Defaults => s_defaults.Value;

        /// <summary>The ordered list a spec gives; an ArgumentException says what is wrong with it.</summary>
        public static IReadOnlyList<string> Resolve(string spec)
        {
            var defaults = Defaults;
            if (string.IsNullOrWhiteSpace(spec)) return defaults;
            spec = spec.Trim();
            char op = spec[0] == '+' || spec[0] == '-' || spec[0] == '^' ? spec[0] : '\0';
            var names = (op == '\0' ? spec : spec.Substring(1))
                .Split(',').Select(n => n.Trim()).ToList();
            if (names.Any(n => n.Length == 0))
                throw new ArgumentException($"'{spec}' has an empty name: give a comma-separated list such as 'curve25519-sha256,sntrup761x25519-sha512@openssh.com'.");
            if (op == '-')
            {
                var patterns = names.Select(n => new Regex("^" + Regex.Escape(n).Replace("\\*", ".*").Replace("\\?", ".") + "$")).ToList();
                var left = defaults.Where(d => !patterns.Any(p => p.IsMatch(d))).ToList();
                if (left.Count == 0) throw new ArgumentException($"'{spec}' removes every key exchange algorithm; at least one must remain.");
                return left;
            }
            var unknown = names.Where(n => !defaults.Contains(n, StringComparer.Ordinal)).ToList();
            if (unknown.Count > 0)
                throw new ArgumentException($"unsupported key exchange algorithm{(unknown.Count > 1 ? "s" : "")} {string.Join(", ", unknown.Select(u => "'" + u + "'"))}. Use names from this list: {string.Join(", ", defaults)}.");
            var chosen = names.Distinct(StringComparer.Ordinal).ToList();
            switch (op)
            {
                case '+': return defaults.Concat(chosen.Where(n => !defaults.Contains(n))).ToList();
                case '^': return chosen.Concat(defaults.Where(d => !chosen.Contains(d))).ToList();
                default: return chosen;
            }
        }

        /// <summary>Leaves in <paramref name="info"/> only the resolved algorithms, in the resolved order.</summary>
        internal static void Apply(ConnectionInfo info, IReadOnlyList<string> order)
        {
            foreach (var name in info.KeyExchangeAlgorithms.Keys.ToList())
                if (!order.Contains(name)) info.KeyExchangeAlgorithms.Remove(name);
            for (int i = 0; i < order.Count; i++) info.KeyExchangeAlgorithms.SetPosition(order[i], i);
        }
    }
}
