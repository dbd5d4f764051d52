using EdgeOps.Transport;
using Xunit;

namespace EdgeOps.Tests
{
    /// <summary>The ssh_config KexAlgorithms syntax over SSH.NET's own list.</summary>
    public class KexPreferenceTests
    {
        const string Pq = "sntrup761x25519-sha512@openssh.com";

        [Fact]
        public void Default_list_is_SSH_NETs_with_post_quantum_hybrids_first()
        {
            var d = KexPreference.Defaults;
            Assert.Equal(d, KexPreference.Resolve(null));
            Assert.Equal(d, KexPreference.Resolve("  "));
            Assert.Equal("mlkem768x25519-sha256", d[0]);
            Assert.Contains(Pq, d);
            Assert.True(d.ToList().IndexOf(Pq) < d.ToList().IndexOf("curve25519-sha256"));
        }

        [Fact]
        public void Plain_list_is_exactly_that_list_in_that_order()
        {
            Assert.Equal(new[] { "curve25519-sha256", Pq }, KexPreference.Resolve("curve25519-sha256, " + Pq + ",curve25519-sha256"));
        }

        [Fact]
        public void Caret_moves_names_to_the_front_and_keeps_the_rest()
        {
            var r = KexPreference.Resolve("^curve25519-sha256");
            Assert.Equal("curve25519-sha256", r[0]);
            Assert.Equal(KexPreference.Defaults.Count, r.Count);
            Assert.Equal(KexPreference.Defaults.Where(n => n != "curve25519-sha256"), r.Skip(1));
        }

        [Fact]
        public void Minus_removes_with_wildcards_and_plus_keeps_the_defaults()
        {
            var r = KexPreference.Resolve("-sntrup*,mlkem768x25519-sha25?");
            Assert.DoesNotContain(r, n => n.StartsWith("sntrup") || n.StartsWith("mlkem"));
            Assert.Equal(KexPreference.Defaults.Where(n => !n.StartsWith("sntrup") && !n.StartsWith("mlkem")), r);
            Assert.Equal(KexPreference.Defaults, KexPreference.Resolve("+curve25519-sha256"));
        }

        [Theory]
        [InlineData("curve25519-sha256,no-such-kex", "'no-such-kex'")]
        [InlineData("^x;rm -rf /", "'x;rm -rf /'")]
        [InlineData("-*", "at least one must remain")]
        [InlineData("a,,b", "empty name")]
        public void Bad_specs_say_what_is_wrong(string spec, string what)
        {
            var e = Assert.Throws<ArgumentException>(() => KexPreference.Resolve(spec));
            Assert.Contains(what, e.Message);
        }
    }
}
