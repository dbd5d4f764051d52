using System;
using System.IO;
using System.IO.Compression;
using System.Text;

namespace EdgeOps.Benchmark.Report
{
    /// <summary>An RGB colour.</summary>
    public struct Rgb : IEquatable<Rgb>
    {
        public Rgb(byte r, byte g, byte b) { R = r; G = g; B = b; }
        public byte R { get; }
        public byte G { get; }
        public byte B { get; }
        public static Rgb Hex(int rgb) => new Rgb((byte)(rgb >> 16), (byte)(rgb >> 8), (byte)rgb);
        public bool Equals(Rgb o) => R == o.R && G == o.G && B == o.B;
        public override bool Equals(object obj) => obj is Rgb o && Equals(o);
        public override int GetHashCode() => (R << 16) | (G << 8) | B;
        public override string ToString() => $"#{R:x2}{G:x2}{B:x2}";
    }

    /// <summary>
    /// A small raster canvas for the report's charts: filled rectangles, lines (solid or dashed), anti-aliased text
    /// from an embedded DejaVu Sans atlas, and a PNG encoder (zlib via DeflateStream, CRC-32 and Adler-32 by hand).
    /// No native dependency, so it works in every PowerShell host the module loads in.
    /// </summary>
    public sealed class Canvas
    {
        readonly byte[] _px;

        public Canvas(int width, int height, Rgb background)
        {
            if (width <= 0 || height <= 0) throw new ArgumentOutOfRangeException(nameof(width));
            Width = width; Height = height;
            _px = new byte[width * height * 3];
            FillRect(0, 0, width, height, background);
        }

        public int Width { get; }
        public int Height { get; }

        public Rgb Get(int x, int y) { int i = (y * Width + x) * 3; return new Rgb(_px[i], _px[i + 1], _px[i + 2]); }

        public void Set(int x, int y, Rgb c)
        {
            if (x < 0 || y < 0 || x >= Width || y >= Height) return;
            int i = (y * Width + x) * 3;
            _px[i] = c.R; _px[i + 1] = c.G; _px[i + 2] = c.B;
        }

        void Blend(int x, int y, Rgb c, int alpha15)
        {
            if (x < 0 || y < 0 || x >= Width || y >= Height || alpha15 <= 0) return;
            if (alpha15 >= 15) { Set(x, y, c); return; }
            int i = (y * Width + x) * 3;
            _px[i] = (byte)((_px[i] * (15 - alpha15) + c.R * alpha15) / 15);
            _px[i + 1] = (byte)((_px[i + 1] * (15 - alpha15) + c.G * alpha15) / 15);
            _px[i + 2] = (byte)((_px[i + 2] * (15 - alpha15) + c.B * alpha15) / 15);
        }

        public void FillRect(int x, int y, int w, int h, Rgb c)
        {
            int x0 = Math.Max(0, x), y0 = Math.Max(0, y), x1 = Math.Min(Width, x + w), y1 = Math.Min(Height, y + h);
            for (int yy = y0; yy < y1; yy++)
                for (int xx = x0; xx < x1; xx++) Set(xx, yy, c);
        }

        /// <summary>A horizontal line; <paramref name="dash"/> &gt; 0 draws dashes of that length.</summary>
        public void HLine(int x0, int x1, int y, Rgb c, int thickness = 1, int dash = 0)
        {
            for (int x = Math.Min(x0, x1); x <= Math.Max(x0, x1); x++)
                if (dash <= 0 || ((x - x0) / dash) % 2 == 0)
                    for (int t = 0; t < thickness; t++) Set(x, y + t, c);
        }

        public void VLine(int x, int y0, int y1, Rgb c, int thickness = 1)
        {
            for (int y = Math.Min(y0, y1); y <= Math.Max(y0, y1); y++)
                for (int t = 0; t < thickness; t++) Set(x + t, y, c);
        }

        /// <summary>A straight line between two points (Bresenham), <paramref name="thickness"/> pixels wide.</summary>
        public void Line(int x0, int y0, int x1, int y1, Rgb c, int thickness = 1)
        {
            int dx = Math.Abs(x1 - x0), dy = -Math.Abs(y1 - y0), sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1, err = dx + dy;
            while (true)
            {
                for (int a = 0; a < thickness; a++) for (int b = 0; b < thickness; b++) Set(x0 + a - thickness / 2, y0 + b - thickness / 2, c);
                if (x0 == x1 && y0 == y1) break;
                int e2 = 2 * err;
                if (e2 >= dy) { err += dy; x0 += sx; }
                if (e2 <= dx) { err += dx; y0 += sy; }
            }
        }

        /// <summary>Width in pixels of a text in the embedded font.</summary>
        public static int TextWidth(string text)
        {
            int w = 0;
            foreach (var ch in text ?? "") w += Glyph(ch).advance;
            return w;
        }

        public static int TextHeight => GlyphAtlas.Height;

        /// <summary>Draws text with its top-left corner at (x, y); align 0 left, 1 centre, 2 right of x.</summary>
        public void Text(int x, int y, string text, Rgb c, int align = 0)
        {
            text = text ?? "";
            if (align == 1) x -= TextWidth(text) / 2;
            else if (align == 2) x -= TextWidth(text);
            foreach (var ch in text)
            {
                var g = Glyph(ch);
                for (int gy = 0; gy < GlyphAtlas.Height; gy++)
                    for (int gx = 0; gx < g.width; gx++)
                    {
                        char a = g.bits[gy * g.width + gx];
                        if (a != '0') Blend(x + gx, y + gy, c, a <= '9' ? a - '0' : a - 'a' + 10);
                    }
                x += g.advance;
            }
        }

        static readonly (int advance, int width, string bits)[] s_glyphs = LoadGlyphs();

        static (int, int, string)[] LoadGlyphs()
        {
            var list = new (int, int, string)[GlyphAtlas.Glyphs.Length];
            for (int i = 0; i < list.Length; i++)
            {
                var parts = GlyphAtlas.Glyphs[i].Split(':');
                list[i] = (int.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture), int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture), parts[2]);
            }
            return list;
        }

        static (int advance, int width, string bits) Glyph(char ch) => s_glyphs[ch >= 32 && ch <= 126 ? ch - 32 : '?' - 32];

        /// <summary>The canvas as a PNG (8-bit RGB, no interlace).</summary>
        public byte[] ToPng()
        {
            using (var ms = new MemoryStream())
            {
                ms.Write(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }, 0, 8);
                var ihdr = new byte[13];
                PutBE(ihdr, 0, Width); PutBE(ihdr, 4, Height);
                ihdr[8] = 8; ihdr[9] = 2; // bit depth 8, colour type 2 (RGB)
                Chunk(ms, "IHDR", ihdr);
                Chunk(ms, "IDAT", Zlib());
                Chunk(ms, "IEND", new byte[0]);
                return ms.ToArray();
            }
        }

        byte[] Zlib()
        {
            int stride = Width * 3;
            var raw = new byte[(stride + 1) * Height];
            for (int y = 0; y < Height; y++)
            {
                // Filter "Sub" (1): each byte minus the one a pixel to its left; charts compress far better.
                int o = y * (stride + 1);
                raw[o] = 1;
                for (int i = 0; i < stride; i++)
                    raw[o + 1 + i] = (byte)(_px[y * stride + i] - (i >= 3 ? _px[y * stride + i - 3] : 0));
            }
            using (var ms = new MemoryStream())
            {
                ms.WriteByte(0x78); ms.WriteByte(0x9C);
                using (var d = new DeflateStream(ms, CompressionLevel.Optimal, leaveOpen: true)) d.Write(raw, 0, raw.Length);
                uint a = 1, b = 0;
                foreach (var v in raw) { a = (a + v) % 65521; b = (b + a) % 65521; }
                var adler = new byte[4];
                PutBE(adler, 0, (int)((b << 16) | a));
                ms.Write(adler, 0, 4);
                return ms.ToArray();
            }
        }

        static void Chunk(Stream s, string type, byte[] data)
        {
            var len = new byte[4];
            PutBE(len, 0, data.Length);
            s.Write(len, 0, 4);
            var t = Encoding.ASCII.GetBytes(type);
            s.Write(t, 0, 4);
            s.Write(data, 0, data.Length);
            uint crc = Crc32(Crc32(0xFFFFFFFF, t), data) ^ 0xFFFFFFFF;
            var c = new byte[4];
            PutBE(c, 0, (int)crc);
            s.Write(c, 0, 4);
        }

        static readonly uint[] s_crc = MakeCrcTable();

        static uint[] MakeCrcTable()
        {
            var t = new uint[256];
            for (uint n = 0; n < 256; n++)
            {
                uint c = n;
                for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320 ^ (c >> 1) : c >> 1;
                t[n] = c;
            }
            return t;
        }

        static uint Crc32(uint crc, byte[] data)
        {
            foreach (var b in data) crc = s_crc[(crc ^ b) & 0xFF] ^ (crc >> 8);
            return crc;
        }

        static void PutBE(byte[] b, int at, int v) { b[at] = (byte)(v >> 24); b[at + 1] = (byte)(v >> 16); b[at + 2] = (byte)(v >> 8); b[at + 3] = (byte)v; }
    }
}
