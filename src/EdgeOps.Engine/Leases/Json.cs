using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace EdgeOps.Leases
{
    /// <summary>
    /// The Blazar and Keystone bodies through System.Text.Json (shipped in the module's Dependencies): a parsed body
    /// becomes plain values (objects Dictionary&lt;string, object&gt;, arrays List&lt;object&gt;, numbers double, plus
    /// string/bool/null) that the navigation helpers below read without caring what is missing.
    /// </summary>
    public static class Json
    {
        // API bodies, not HTML: non-ASCII names stay readable, quotes are escaped as \"
        static readonly JsonSerializerOptions s_options = new JsonSerializerOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

        /// <summary>Parses a body; text that is not JSON is a <see cref="FormatException"/>.</summary>
        public static object Parse(string text)
        {
            try
            {
                using (var doc = JsonDocument.Parse(text ?? ""))
                    return Plain(doc.RootElement);
            }
            catch (JsonException e) { throw new FormatException("JSON: " + e.Message, e); }
        }

        public static string Write(object value) => JsonSerializer.Serialize(value, s_options);

        /// <summary>A JSON array of strings laid out as Python's json.dumps does (", "), as Blazar's resource_properties are written.</summary>
        public static string WriteList(IEnumerable<string> items) => "[" + string.Join(", ", items.Select(i => Write(i))) + "]";

        static object Plain(JsonElement e)
        {
            switch (e.ValueKind)
            {
                case JsonValueKind.Object:
                    var d = new Dictionary<string, object>(StringComparer.Ordinal);
                    foreach (var p in e.EnumerateObject()) d[p.Name] = Plain(p.Value);
                    return d;
                case JsonValueKind.Array: return e.EnumerateArray().Select(Plain).ToList();
                case JsonValueKind.String: return e.GetString();
                case JsonValueKind.Number: return e.GetDouble();
                case JsonValueKind.True: return true;
                case JsonValueKind.False: return false;
                default: return null;
            }
        }

        // ---- navigation helpers ----
        public static IDictionary<string, object> Obj(object o, string key) =>
            o is IDictionary<string, object> d && d.TryGetValue(key, out var v) ? v as IDictionary<string, object> : null;
        public static IList<object> Arr(object o, string key) =>
            o is IDictionary<string, object> d && d.TryGetValue(key, out var v) ? v as IList<object> : null;
        public static string Str(object o, string key)
        {
            if (!(o is IDictionary<string, object> d) || !d.TryGetValue(key, out var v) || v == null) return null;
            if (v is string s) return s;
            if (v is double n) return n.ToString("R", CultureInfo.InvariantCulture);
            if (v is bool b) return b ? "true" : "false";
            return null;
        }
        public static bool? Bool(object o, string key) =>
            o is IDictionary<string, object> d && d.TryGetValue(key, out var v) ? (v is bool b ? b : v is string s && bool.TryParse(s, out var p) ? p : (bool?)null) : null;
    }
}
