using System;

namespace EdgeOps
{
    /// <summary>Bytes as lower-case hexadecimal (hashes, content keys). netstandard2.0 has no Convert.ToHexString.</summary>
    public static class Hex
    {
        public static string Lower(byte[] bytes)
        {
            if (bytes == null) throw new ArgumentNullException(nameof(bytes));
            var chars = new char[bytes.Length * 2];
            for (int i = 0; i < bytes.Length; i++)
            {
                chars[2 * i] = Digit(bytes[i] >> 4);
                chars[2 * i + 1] = Digit(bytes[i] & 0xF);
            }
            return new string(chars);
        }

        static char Digit(int n) => (char)(n < 10 ? '0' + n : 'a' + n - 10);
    }
}
