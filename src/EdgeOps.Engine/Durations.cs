using System;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace EdgeOps
{
    /// <summary>
    /// The one grammar of every duration parameter (-Duration, -Within, -Align, -EndGuard, -MaxLeaseDuration):
    /// numbers with units (ms, s, m, h, d, w; each at most once, in any order, fractions allowed: 1500ms, 30s,
    /// 1.5h, 1h30m, 1d12h, 1w), a bare number of seconds (90, 2.5), hh:mm:ss or d.hh:mm:ss, or a TimeSpan.
    /// </summary>
    public static class Durations
    {
        /// <summary>What every error message offers.</summary>
        public const string Examples = "for example 30s, 90m, 1h30m, 2h, 1d or 1w (units ms, s, m, h, d, w), a number of seconds such as 90, or hh:mm:ss such as 01:30:00";

        static readonly Regex s_part = new Regex(
            @"\G\s*(?<n>\d+(?:\.\d+)?|\.\d+)\s*(?<u>ms|msec|milliseconds?|s|secs?|seconds?|m|mins?|minutes?|h|hrs?|hours?|d|days?|w|weeks?)(?![a-z])",
            RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);
        static readonly Regex s_number = new Regex(@"^(?:\d+(?:\.\d+)?|\.\d+)$", RegexOptions.CultureInvariant);

        /// <summary>
        /// Reads <paramref name="value"/> (text, a number of seconds, or a TimeSpan) as a duration. Negative durations,
        /// and zero unless <paramref name="allowZero"/>, are refused; every error names -<paramref name="parameterName"/>.
        /// </summary>
        public static TimeSpan Parse(object value, string parameterName, bool allowZero = true)
        {
            TimeSpan span;
            switch (value)
            {
                case null: throw Invalid("", parameterName, "is empty");
                case TimeSpan ts: span = ts; break;
                case string s: span = ParseText(s, parameterName); break;
                case IConvertible c when c.GetTypeCode() >= TypeCode.SByte && c.GetTypeCode() <= TypeCode.Decimal:
                    var shown = Convert.ToString(value, CultureInfo.InvariantCulture);
                    if ((value is double d && double.IsNaN(d)) || (value is float f && float.IsNaN(f))) throw Invalid(shown, parameterName, "is not a duration");
                    decimal seconds;
                    try { seconds = Convert.ToDecimal(value, CultureInfo.InvariantCulture); }
                    catch (OverflowException) { throw Invalid(shown, parameterName, value is double dd && dd < 0 || value is float ff && ff < 0 ? "is negative" : "is too long"); }
                    span = FromSeconds(seconds, shown, parameterName);
                    break;
                default: span = ParseText(Convert.ToString(value, CultureInfo.InvariantCulture), parameterName); break;
            }
            if (span < TimeSpan.Zero) throw Invalid(Show(value), parameterName, "is negative");
            if (span == TimeSpan.Zero && !allowZero) throw Invalid(Show(value), parameterName, "is zero");
            return span;
        }

        static TimeSpan ParseText(string text, string parameterName)
        {
            var t = (text ?? "").Trim();
            if (t.Length == 0) throw Invalid(text ?? "", parameterName, "is empty");
            if (t.StartsWith("-", StringComparison.Ordinal)) throw Invalid(text, parameterName, "is negative");
            if (s_number.IsMatch(t)) return FromSeconds(Number(t, text, parameterName), text, parameterName);
            if (t.IndexOf(':') >= 0)
            {
                if (TimeSpan.TryParseExact(t, new[] { @"h\:m\:s", @"h\:m\:s\.FFFFFFF", @"d\.h\:m\:s", @"d\.h\:m\:s\.FFFFFFF", @"h\:m" }, CultureInfo.InvariantCulture, out var ts))
                    return ts;
                throw Invalid(text, parameterName, "is not a duration");
            }
            decimal ticks = 0;
            string seen = "";
            int at = 0;
            while (at < t.Length)
            {
                var m = s_part.Match(t, at);
                if (!m.Success) throw Invalid(text, parameterName, "is not a duration");
                var unit = Unit(m.Groups["u"].Value);
                if (seen.IndexOf(unit) >= 0) throw Invalid(text, parameterName, "names a unit twice");
                seen += unit;
                var n = Number(m.Groups["n"].Value, text, parameterName);
                if (n > TimeSpan.MaxValue.Ticks) throw Invalid(text, parameterName, "is too long");
                ticks += n * TicksPer(unit);
                if (ticks > TimeSpan.MaxValue.Ticks) throw Invalid(text, parameterName, "is too long");
                at = m.Index + m.Length;
            }
            return TimeSpan.FromTicks((long)Math.Round(ticks));
        }

        // one letter per unit: 'x' for milliseconds, so "m" never matches "ms"
        static char Unit(string u)
        {
            u = u.ToLowerInvariant();
            if (u.StartsWith("ms", StringComparison.Ordinal) || u.StartsWith("mil", StringComparison.Ordinal)) return 'x';
            return u[0];
        }

        static decimal TicksPer(char unit)
        {
            switch (unit)
            {
                case 'x': return TimeSpan.TicksPerMillisecond;
                case 's': return TimeSpan.TicksPerSecond;
                case 'm': return TimeSpan.TicksPerMinute;
                case 'h': return TimeSpan.TicksPerHour;
                case 'd': return TimeSpan.TicksPerDay;
                default: return TimeSpan.TicksPerDay * 7;
            }
        }

        static decimal Number(string digits, string text, string parameterName)
        {
            if (decimal.TryParse(digits, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var n)) return n;
            throw Invalid(text, parameterName, "is too long"); // more digits than a decimal holds
        }

        static TimeSpan FromSeconds(decimal seconds, string shown, string parameterName)
        {
            if (seconds < 0) throw Invalid(shown, parameterName, "is negative");
            if (seconds > TimeSpan.MaxValue.Ticks / TimeSpan.TicksPerSecond) throw Invalid(shown, parameterName, "is too long");
            return TimeSpan.FromTicks((long)Math.Round(seconds * TimeSpan.TicksPerSecond));
        }

        static string Show(object value) => value is TimeSpan ts ? ts.ToString("c", CultureInfo.InvariantCulture) : Convert.ToString(value, CultureInfo.InvariantCulture);

        static EdgeOpsException Invalid(string text, string parameterName, string what)
        {
            // what the user typed, quoted, cut short and with control characters shown as '?': never a second line in the message
            var shown = new StringBuilder();
            foreach (var ch in text.Length > 60 ? text.Substring(0, 60) + "..." : text) shown.Append(char.IsControl(ch) ? '?' : ch);
            var name = string.IsNullOrEmpty(parameterName) ? "The duration" : "-" + parameterName;
            return new EdgeOpsException("InvalidTimeSpan", "InvalidArgument", $"{name} '{shown}' {what}. Give a duration, {Examples}.");
        }
    }
}
