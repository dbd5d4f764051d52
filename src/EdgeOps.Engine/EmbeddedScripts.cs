using System;
using System.Collections.Concurrent;
using System.IO;

namespace EdgeOps
{
    /// <summary>
    /// Scripts that run on devices, kept as files in src/EdgeOps.Engine/Scripts/ (so editors and linters see them:
    /// shellcheck and perl -c run in the tests) and embedded in the engine. They take their values as arguments
    /// ($1, @ARGV), passed quoted by <see cref="Transport.Sh"/>; none is a template.
    /// </summary>
    public static class EmbeddedScripts
    {
        static readonly ConcurrentDictionary<string, string> s_cache = new ConcurrentDictionary<string, string>(StringComparer.Ordinal);

        public static string Text(string name) => s_cache.GetOrAdd(name, n =>
        {
            using (var s = typeof(EmbeddedScripts).Assembly.GetManifestResourceStream("EdgeOps.Scripts." + n)
                           ?? throw new InvalidOperationException($"The device script '{n}' is not embedded in EdgeOps.Engine."))
            using (var r = new StreamReader(s))
                return r.ReadToEnd();
        });
    }
}
