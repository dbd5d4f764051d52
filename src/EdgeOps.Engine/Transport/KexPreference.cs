using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.RegularExpressions;
using Renci.SshNet;

namespace EdgeOps.Transport
{
    /// <summary>
    /// The algorithms a connection offers, from a spec in ssh_config's KexAlgorithms/Ciphers syntax: "a,b" offers
    /// exactly these in this order; "+a,b" appends them to the default list; "-a,b*" removes them (wildcards * and ?);
    /// "^a,b" moves them to the front. Names are SSH.NET's (the protocol names). The default list is SSH.NET's without
    /// the legacy algorithms (SHA-1 key exchanges, CBC and 3DES ciphers): those are offered only when a spec names them.
    /// </summary>
    public sealed class AlgorithmPreference
    {
        readonly Func<ConnectionInfo, IEnumerable<string>> _table;
        readonly Lazy<IReadOnlyList<string>> _all;
        readonly string _what, _example;
        readonly Func<string, bool> _legacy;

        AlgorithmPreference(string what, string example, Func<ConnectionInfo, IEnumerable<string>> table, Func<string, bool> legacy)
        {
            _what = what; _example = example; _table = table; _legacy = legacy;
            _all = new Lazy<IReadOnlyList<string>>(() => table(new ConnectionInfo("localhost", "edgeops", new NoneAuthenticationMethod("edgeops"))).ToArray());
        }

        public static readonly AlgorithmPreference Kex = new AlgorithmPreference("key exchange algorithm",
            "'curve25519-sha256,sntrup761x25519-sha512@openssh.com'", i => i.KeyExchangeAlgorithms.Keys,
            n => n.EndsWith("-sha1", StringComparison.Ordinal));

        public static readonly AlgorithmPreference Ciphers = new AlgorithmPreference("cipher",
            "'aes128-gcm@openssh.com,chacha20-poly1305@openssh.com'", i => i.Encryptions.Keys,
            n => n.EndsWith("-cbc", StringComparison.Ordinal) || n.StartsWith("3des", StringComparison.Ordinal) ||
                 n.StartsWith("arcfour", StringComparison.Ordinal) || n.StartsWith("blowfish", StringComparison.Ordinal) || n.StartsWith("cast", StringComparison.Ordinal));

        /// <summary>Every algorithm SSH.NET implements, most preferred first.</summary>
        public IReadOnlyList<string> All => _all.Value;
        /// <summary>What is offered when nothing is asked: <see cref="All"/> without the legacy ones.</summary>
        public IReadOnlyList<string> Defaults => All.Where(n => !_legacy(n)).ToList();
        public bool IsLegacy(string name) => _legacy(name);

        /// <summary>The ordered list a spec gives; an ArgumentException says what is wrong with it.</summary>
        public IReadOnlyList<string> Resolve(string spec)
        {
            var defaults = Defaults;
            if (string.IsNullOrWhiteSpace(spec)) return defaults;
            spec = spec.Trim();
            char op = spec[0] == '+' || spec[0] == '-' || spec[0] == '^' ? spec[0] : '\0';
            var names = (op == '\0' ? spec : spec.Substring(1)).Split(',').Select(n => n.Trim()).ToList();
            if (names.Any(n => n.Length == 0))
                throw new ArgumentException($"'{spec}' has an empty name: give a comma-separated list such as {_example}.");
            if (op == '-')
            {
                var patterns = names.Select(n => new Regex("^" + Regex.Escape(n).Replace("\\*", ".*").Replace("\\?", ".") + "$")).ToList();
                var left = defaults.Where(d => !patterns.Any(p => p.IsMatch(d))).ToList();
                if (left.Count == 0) throw new ArgumentException($"'{spec}' removes every {_what}; at least one must remain.");
                return left;
            }
            var unknown = names.Where(n => !All.Contains(n, StringComparer.Ordinal)).ToList();
            if (unknown.Count > 0)
                throw new ArgumentException($"unsupported {_what}{(unknown.Count > 1 ? "s" : "")} {string.Join(", ", unknown.Select(u => "'" + u + "'"))}. Use names from this list: {string.Join(", ", All)}.");
            var chosen = names.Distinct(StringComparer.Ordinal).ToList();
            switch (op)
            {
                case '+': return defaults.Concat(chosen.Where(n => !defaults.Contains(n))).ToList();
                case '^': return chosen.Concat(defaults.Where(d => !chosen.Contains(d))).ToList();
                default: return chosen;
            }
        }

        /// <summary>Leaves in the connection's table only the resolved algorithms, in the resolved order.</summary>
        internal void Apply(ConnectionInfo info, IReadOnlyList<string> order)
        {
            if (ReferenceEquals(this, Kex)) ApplyTo(info.KeyExchangeAlgorithms, order);
            else ApplyTo(info.Encryptions, order);
        }

        static void ApplyTo<T>(IOrderedDictionary<string, T> table, IReadOnlyList<string> order)
        {
            foreach (var name in table.Keys.ToList())
                if (!order.Contains(name)) table.Remove(name);
            for (int i = 0; i < order.Count; i++) table.SetPosition(order[i], i);
        }
    }

    /// <summary>The key exchange algorithms a connection offers (see <see cref="AlgorithmPreference"/>).</summary>
    public static class KexPreference
    {
        /// <summary>SSH.NET's list without the SHA-1 key exchanges, most preferred first.</summary>
        public static IReadOnlyList<string> Defaults => AlgorithmPreference.Kex.Defaults;
        public static IReadOnlyList<string> Resolve(string spec) => AlgorithmPreference.Kex.Resolve(spec);
        internal static void Apply(ConnectionInfo info, IReadOnlyList<string> order) => AlgorithmPreference.Kex.Apply(info, order);
    }
}
