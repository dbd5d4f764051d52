using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Text;

namespace EdgeOps.Transport
{
    public enum HostKeyStatus { Trusted, Unknown, Changed, Revoked, CertificateAuthority }

    /// <summary>
    /// An OpenSSH known_hosts file: plain and hashed (|1|salt|hash) host patterns, [host]:port, @revoked and
    /// @cert-authority markers. Keys are matched as OpenSSH matches them: by the key itself and its own type (the
    /// type inside the key blob), never by the signature algorithm it was negotiated under (an RSA key signs as
    /// rsa-sha2-512 or rsa-sha2-256, and is recorded as ssh-rsa).
    /// </summary>
    public sealed class KnownHosts
    {
        readonly string _path;
        public KnownHosts(string path) { _path = path; }
        public string Path => _path;

        public static string DefaultPath =>
            System.IO.Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".ssh", "known_hosts");

        /// <summary>The name OpenSSH records: host, or [host]:port when the port is not 22.</summary>
        public static string HostEntryName(string host, int port) => port == 22 || port == 0 ? host : $"[{host}]:{port}";

        /// <summary>One known_hosts line that names the host.</summary>
        public sealed class Entry
        {
            public string Marker;      // null, "@revoked" or "@cert-authority"
            public string KeyType;     // the type the line records (ssh-rsa, ssh-ed25519, ecdsa-sha2-nistp256, ...)
            public string KeyBase64;
            public string Fingerprint => KnownHosts.Fingerprint(Convert.FromBase64String(KeyBase64));
        }

        /// <summary>Every line that names this host (plain or hashed pattern, not negated).</summary>
        public IReadOnlyList<Entry> EntriesFor(string host, int port)
        {
            var found = new List<Entry>();
            if (!File.Exists(_path)) return found;
            var name = HostEntryName(host, port);
            foreach (var raw in File.ReadAllLines(_path))
            {
                var line = raw.Trim();
                if (line.Length == 0 || line[0] == '#') continue;
                var parts = line.Split(new[] { ' ', '\t' }, StringSplitOptions.RemoveEmptyEntries);
                string marker = null;
                if (parts[0].StartsWith("@", StringComparison.Ordinal)) { marker = parts[0]; parts = parts.Skip(1).ToArray(); }
                if (parts.Length < 3 || !Matches(parts[0], name)) continue;
                try { Convert.FromBase64String(parts[2]); } catch (FormatException) { continue; }
                found.Add(new Entry { Marker = marker, KeyType = parts[1], KeyBase64 = parts[2] });
            }
            return found;
        }

        /// <summary>
        /// Checks the key a host presented. Trusted: recorded for the host. Revoked: marked @revoked. Changed: the host
        /// has recorded keys, but not this one (whatever its type: OpenSSH's accept-new refuses it too). Unknown: nothing
        /// at all is recorded for the host. CertificateAuthority: the host is vouched for only by a @cert-authority line,
        /// which EdgeOps does not verify, so a plain key is not accepted in its place.
        /// </summary>
        public HostKeyStatus Check(string host, int port, byte[] key, out string knownFingerprints)
        {
            knownFingerprints = null;
            var keyB64 = Convert.ToBase64String(key);
            var keyType = KeyTypeOf(key);
            var entries = EntriesFor(host, port);
            if (entries.Any(e => e.Marker == "@revoked" && e.KeyBase64 == keyB64)) return HostKeyStatus.Revoked;
            var keys = entries.Where(e => e.Marker == null).ToList();
            if (keys.Any(e => e.KeyBase64 == keyB64 && SameKeyType(e.KeyType, keyType))) return HostKeyStatus.Trusted;
            if (keys.Count > 0)
            {
                knownFingerprints = string.Join(", ", keys.Select(e => $"{e.KeyType} {e.Fingerprint}"));
                return HostKeyStatus.Changed;
            }
            if (entries.Any(e => e.Marker == "@cert-authority")) return HostKeyStatus.CertificateAuthority;
            return HostKeyStatus.Unknown;
        }

        /// <summary>The key types recorded (unmarked lines) for the host, as recorded: what the connection may offer.</summary>
        public IReadOnlyList<string> RecordedKeyTypes(string host, int port) =>
            EntriesFor(host, port).Where(e => e.Marker == null).Select(e => e.KeyType).Distinct(StringComparer.Ordinal).ToList();

        /// <summary>The SSH host-key (signature) algorithms that can prove a key of this type: ssh-rsa keys sign as rsa-sha2-*.</summary>
        public static IEnumerable<string> SignatureAlgorithmsFor(string keyType)
        {
            if (keyType == "ssh-rsa") return new[] { "rsa-sha2-512", "rsa-sha2-256", "ssh-rsa" };
            return new[] { keyType };
        }

        /// <summary>The key's own type: the first string of its SSH wire encoding.</summary>
        public static string KeyTypeOf(byte[] key)
        {
            if (key == null || key.Length < 4) return "";
            int n = (key[0] << 24) | (key[1] << 16) | (key[2] << 8) | key[3];
            if (n <= 0 || n > key.Length - 4 || n > 64) return "";
            return Encoding.ASCII.GetString(key, 4, n);
        }

        static bool SameKeyType(string recorded, string actual) =>
            string.Equals(recorded, actual, StringComparison.Ordinal) ||
            (actual == "ssh-rsa" && recorded.StartsWith("rsa-sha2-", StringComparison.Ordinal));

        static bool Matches(string patterns, string name)
        {
            bool matched = false;
            foreach (var p in patterns.Split(','))
            {
                if (p.StartsWith("|1|", StringComparison.Ordinal))
                {
                    var f = p.Split('|');
                    if (f.Length < 4) continue;
                    try
                    {
                        using (var h = new HMACSHA1(Convert.FromBase64String(f[2])))
                            if (Convert.ToBase64String(h.ComputeHash(Encoding.ASCII.GetBytes(name))) == f[3]) matched = true;
                    }
                    catch (FormatException) { }
                }
                else if (p.StartsWith("!", StringComparison.Ordinal))
                {
                    if (Glob(p.Substring(1), name)) return false;
                }
                else if (Glob(p, name)) matched = true;
            }
            return matched;
        }

        static bool Glob(string pattern, string text)
        {
            if (pattern.IndexOfAny(new[] { '*', '?' }) < 0) return string.Equals(pattern, text, StringComparison.OrdinalIgnoreCase);
            var rx = "^" + System.Text.RegularExpressions.Regex.Escape(pattern).Replace("\\*", ".*").Replace("\\?", ".") + "$";
            return System.Text.RegularExpressions.Regex.IsMatch(text, rx, System.Text.RegularExpressions.RegexOptions.IgnoreCase);
        }

        /// <summary>
        /// Records a host key under its own type (hashed, as OpenSSH's HashKnownHosts does), creating the file and folder.
        /// Only for a host with nothing recorded: re-checked under the lock, so two connections cannot both add.
        /// </summary>
        public bool AddIfUnknown(string host, int port, byte[] key)
        {
            var dir = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(_path));
            if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
            var salt = new byte[20];
            using (var rng = RandomNumberGenerator.Create()) rng.GetBytes(salt);
            string hash;
            using (var h = new HMACSHA1(salt)) hash = Convert.ToBase64String(h.ComputeHash(Encoding.ASCII.GetBytes(HostEntryName(host, port))));
            var line = $"|1|{Convert.ToBase64String(salt)}|{hash} {KeyTypeOf(key)} {Convert.ToBase64String(key)}\n";
            lock (s_lock)
            {
                if (EntriesFor(host, port).Count > 0) return false;
                File.AppendAllText(_path, line);
                return true;
            }
        }

        static readonly object s_lock = new object();

        /// <summary>SHA256:... as `ssh-keygen -l` prints it.</summary>
        public static string Fingerprint(byte[] key)
        {
            using (var sha = SHA256.Create()) return "SHA256:" + Convert.ToBase64String(sha.ComputeHash(key)).TrimEnd('=');
        }
    }
}
