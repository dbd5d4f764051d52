using System.Security.Cryptography;
using System.Text;
using Xunit;

namespace EdgeOps.Tests
{
    /// <summary>The one hex helper (hash names of runners, wheels, backup chunks and blobs).</summary>
    public class HexTests
    {
        [Fact]
        public void Bytes_are_lower_case_hex_as_sha256sum_prints_them()
        {
            Assert.Equal("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", Hex.Lower(SHA256.HashData(Encoding.ASCII.GetBytes("abc"))));
            Assert.Equal("", Hex.Lower(Array.Empty<byte>()));
            var all = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray();
            Assert.Equal(Convert.ToHexString(all).ToLowerInvariant(), Hex.Lower(all));
            Assert.Throws<ArgumentNullException>(() => Hex.Lower(null!));
        }
    }
}
