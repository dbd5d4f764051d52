using System;
using System.Globalization;
using System.Text;

namespace EdgeOps.Benchmark.Report
{
    /// <summary>
    /// Text for the report page, safe in HTML and in the inline SVG (which is XML): the five markup characters become
    /// references, characters XML 1.0 cannot hold (C0/C1 controls, lone surrogates, U+FFFE/U+FFFF) become U+FFFD,
    /// everything else (è, ß, 日本, emoji) stays itself in the UTF-8 page.
    /// </summary>
    public static class Markup
    {
        public static string Escape(string s)
        {
            if (string.IsNullOrEmpty(s)) return "";
            var sb = new StringBuilder(s.Length + 16);
            for (int i = 0; i < s.Length; i++)
            {
                char c = s[i];
                switch (c)
                {
                    case '&': sb.Append("&amp;"); break;
                    case '<': sb.Append("&lt;"); break;
                    case '>': sb.Append("&gt;"); break;
                    case '"': sb.Append("&quot;"); break;
                    case '\'': sb.Append("&#39;"); break;
                    default:
                        if (char.IsHighSurrogate(c) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1])) sb.Append(c).Append(s[++i]);
                        else if (char.IsSurrogate(c) || (c < 0x20 && c != '\t' && c != '\n' && c != '\r') || (c >= 0x7F && c <= 0x9F) || c == '\uFFFE' || c == '\uFFFF') sb.Append('\uFFFD');
                        else sb.Append(c);
                        break;
                }
            }
            return sb.ToString();
        }
    }

    /// <summary>A small writer of one inline SVG element: rectangles, lines and text, each with an optional tooltip (&lt;title&gt;).</summary>
    public sealed class SvgWriter
    {
        public const string Font = "system-ui, 'DejaVu Sans', 'Noto Sans', 'Noto Sans CJK JP', sans-serif";
        readonly StringBuilder _body = new StringBuilder();

        /// <summary>A coordinate: invariant, at most two decimals; 0 for NaN or infinity (a value missing from imported rows).</summary>
        public static string N(double v) => double.IsNaN(v) || double.IsInfinity(v) ? "0" : Math.Round(v, 2).ToString("0.##", CultureInfo.InvariantCulture);

        /// <summary>
        /// About how wide <paramref name="s"/> is at <paramref name="size"/> px in a sans-serif font, erring wide: East Asian
        /// wide characters count one em, everything else 0.62 em. Used to lay out label columns, never to cut text.
        /// </summary>
        public static double TextWidth(string s, double size)
        {
            double em = 0;
            for (int i = 0; i < (s ?? "").Length; i++)
            {
                int cp = char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]) ? char.ConvertToUtf32(s[i], s[++i]) : s[i];
                bool wide = (cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0xA4CF) || (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0xF900 && cp <= 0xFAFF)
                         || (cp >= 0xFE30 && cp <= 0xFE4F) || (cp >= 0xFF00 && cp <= 0xFF60) || (cp >= 0xFFE0 && cp <= 0xFFE6) || cp >= 0x1F300;
                em += wide ? 1.0 : 0.62;
            }
            return em * size;
        }

        static string Tip(string tooltip) => tooltip == null ? "" : "<title>" + Markup.Escape(tooltip) + "</title>";
        static string Cls(string cls) => cls == null ? "" : " class=\"" + Markup.Escape(cls) + "\"";

        public void Rect(double x, double y, double w, double h, string fill, string cls = null, string tooltip = null)
        {
            _body.Append("<rect").Append(Cls(cls)).Append(" x=\"").Append(N(x)).Append("\" y=\"").Append(N(y)).Append("\" width=\"").Append(N(w))
                 .Append("\" height=\"").Append(N(h)).Append("\" fill=\"").Append(fill).Append('"');
            _body.Append(tooltip == null ? "/>" : ">" + Tip(tooltip) + "</rect>").Append('\n');
        }

        public void Line(double x1, double y1, double x2, double y2, string stroke, double width = 1, string dash = null, string cls = null, string tooltip = null)
        {
            _body.Append("<line").Append(Cls(cls)).Append(" x1=\"").Append(N(x1)).Append("\" y1=\"").Append(N(y1)).Append("\" x2=\"").Append(N(x2))
                 .Append("\" y2=\"").Append(N(y2)).Append("\" stroke=\"").Append(stroke).Append("\" stroke-width=\"").Append(N(width)).Append('"');
            if (dash != null) _body.Append(" stroke-dasharray=\"").Append(dash).Append('"');
            _body.Append(tooltip == null ? "/>" : ">" + Tip(tooltip) + "</line>").Append('\n');
        }

        /// <summary>Text with its baseline at <paramref name="y"/>; <paramref name="anchor"/> start, middle or end.</summary>
        public void Text(double x, double y, string text, string fill, string anchor = "start", double size = 12, string cls = null, bool bold = false)
        {
            _body.Append("<text").Append(Cls(cls)).Append(" x=\"").Append(N(x)).Append("\" y=\"").Append(N(y)).Append("\" fill=\"").Append(fill).Append('"');
            if (anchor != "start") _body.Append(" text-anchor=\"").Append(anchor).Append('"');
            if (size != 12) _body.Append(" font-size=\"").Append(N(size)).Append('"');
            if (bold) _body.Append(" font-weight=\"600\"");
            _body.Append('>').Append(Markup.Escape(text)).Append("</text>\n");
        }

        /// <summary>The finished element, <paramref name="width"/> x <paramref name="height"/> px, described by <paramref name="label"/> for screen readers.</summary>
        public string ToSvg(double width, double height, string label) =>
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + N(width) + "\" height=\"" + N(height) + "\" viewBox=\"0 0 " + N(width) + " " + N(height)
            + "\" role=\"img\" aria-label=\"" + Markup.Escape(label) + "\" font-family=\"" + Markup.Escape(Font) + "\" font-size=\"12\">\n"
            + "<rect x=\"0\" y=\"0\" width=\"" + N(width) + "\" height=\"" + N(height) + "\" fill=\"#ffffff\"/>\n" + _body + "</svg>";
    }
}
