using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Text;

namespace EdgeOps.Transport
{
    public enum HostKeyStatus { Trusted, Unknown, Changed, Revoked }

    /// <summary>An OpenSSH known_hosts file: plain and hashed (|1|salt|hash) host patterns, [host]:port, markers.</summary>
    public sealed class KnownHosts
    {
        readonly string _path;
        public KnownHosts(string path) { _path = path; }
        public string Path => _path;

        public static string DefaultPath =>
            System.IO.Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".ssh", "known_hosts");

        /// <summary>The name OpenSSH records: host, or [host]:port when the port is not 22.</summary>
        public static string HostEntryName(string host, int port) => port == 22 || port == 0 ? host : $"[{host}]:{port}";

        public HostKeyStatus Check(string host, int port, string keyType, byte[] key, out string knownFingerprint)
        {
            knownFingerprint = null;
            if (!File.Exists(_path)) return HostKeyStatus.Unknown;
            var name = HostEntryName(host, port);
            var keyB64 = Convert.ToBase64String(key);
            bool sawOtherKeyOfType = false;
            foreach (var raw in File.ReadAllLines(_path))
            {
                var line = raw.Trim();
                if (line.Length == 0 || line[0] == '#') continue;
                var parts = line.Split(new[] { ' ', '\t' }, StringSplitOptions.RemoveEmptyEntries);
                string marker = null;
                if (parts[0].StartsWith("@", StringComparison.Ordinal)) { marker = parts[0]; parts = parts.Skip(1).ToArray(); }
                if (parts.Length < 3 || marker == "@cert-authority") continue;
                if (!Matches(parts[0], name)) continue;
                if (marker == "@revoked") { if (parts[2] == keyB64) return HostKeyStatus.Revoked; continue; }
                if (parts[1] == keyType && parts[2] == keyB64) return HostKeyStatus.Trusted;
                if (parts[1] == keyType) { sawOtherKeyOfType = true; knownFingerprint = Fingerprint(Convert.FromBase64String(parts[2])); }
            }
            return sawOtherKeyOfType ? HostKeyStatus.Changed : HostKeyStatus.Unknown;
        }

        static bool Matches(string patterns, string name)
        {
            bool matched = false;
            foreach (var p in patterns.Split(','))
            {
                if (p.StartsWith("|1|", StringComparison.Ordinal))
                {
                    var f = p.Split('|');
                    if (f.Length < 4) continue;
                    using (var h = new HMACSHA1(Convert.FromBase64String(f[2])))
                        if (Convert.ToBase64String(h.ComputeHash(Encoding.ASCII.GetBytes(name))) == f[3]) matched = true;
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

        /// <summary>Records a host key (hashed, as OpenSSH's HashKnownHosts does), creating the file and folder.</summary>
        public void Add(string host, int port, string keyType, byte[] key)
        {
            var dir = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(_path));
            if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
            var salt = new byte[20];
            using (var rng = RandomNumberGenerator.Create()) rng.GetBytes(salt);
            string hash;
            using (var h = new HMACSHA1(salt)) hash = Convert.ToBase64String(h.ComputeHash(Encoding.ASCII.GetBytes(HostEntryName(host, port))));
            var line = $"|1|{Convert.ToBase64String(salt)}|{hash} {keyType} {Convert.ToBase64String(key)}\n";
            lock (s_lock) File.AppendAllText(_path, line);
        }

        static readonly object s_lock = new object();

        /// <summary>SHA256:... as `ssh-keygen -l` prints it.</summary>
        public static string Fingerprint(byte[] key)
        {
            using (var sha = SHA256.Create()) return "SHA256:" + Convert.ToBase64String(sha.ComputeHash(key)).TrimEnd('=');
        }
    }
}
