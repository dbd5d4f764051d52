using System;
using System.Diagnostics;
using System.Threading;
using EdgeOps.Transport;

namespace EdgeOps
{
    /// <summary>Result of Test-EdgeDevice: can we reach, log in, and become root on the device?</summary>
    public sealed class DeviceStatus
    {
        public string ComputerName { get; set; }
        public string HostName { get; set; }
        public bool Reachable { get; set; }
        public bool Authenticated { get; set; }
        /// <summary>Ok, NoPassword (sudo -n works), Password (needs -SudoCredential, given and accepted), Failed, NotTested.</summary>
        public string Sudo { get; set; }
        /// <summary>Trusted, Accepted (new key recorded), Unknown, Changed, Local.</summary>
        public string HostKey { get; set; }
        public string HostKeyFingerprint { get; set; }
        /// <summary>The key exchange agreed with the device (a post-quantum hybrid such as sntrup761x25519 or mlkem768x25519 where both sides have it).</summary>
        public string KeyExchange { get; set; }
        /// <summary>The cipher of the connection (the device's data to us).</summary>
        public string Cipher { get; set; }
        public double RoundTripMs { get; set; }
        public string User { get; set; }
        public string Message { get; set; }
    }
}
