using System;
using System.IO;
using System.Net;
using System.Threading;

namespace EdgeOps.Transport
{
    /// <summary>How to reach a device: what cmdlet parameters override from the inventory.</summary>
    public sealed class ConnectionOptions
    {
        public string KnownHostsPath { get; set; }
        public bool AcceptNewHostKey { get; set; }
        /// <summary>User name, and the password for password auth (sent to the device itself only, never to a jump host).</summary>
        public NetworkCredential Credential { get; set; }
        /// <summary>The passphrase of the identity file: never sent anywhere, only used to open the key.</summary>
        public string KeyPassphrase { get; set; }
        /// <summary>Password fed to `sudo -S` on stdin, never on a command line.</summary>
        public NetworkCredential SudoCredential { get; set; }
        public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(15);
        public TimeSpan CommandTimeout { get; set; } = TimeSpan.FromMinutes(30);
    }

    public sealed class CommandOptions
    {
        /// <summary>Run with root privileges (sudo -n, or sudo -S with the sudo password on stdin).</summary>
        public bool Sudo { get; set; }
        public TimeSpan? Timeout { get; set; }
        /// <summary>
        /// A long stream of output (a card image): read on a named thread of its own ("EdgeOps stream"), in batches,
        /// pausing 20 ms when little has arrived, so it wakes at most fifty times a second instead of once per SSH packet
        /// (fewer thread hand-offs, writes and decoder calls: less controller CPU per MB).
        /// </summary>
        public bool BulkOutput { get; set; }
        public static readonly CommandOptions Default = new CommandOptions();
        public static readonly CommandOptions Root = new CommandOptions { Sudo = true };
    }

    public sealed class CommandResult
    {
        public int ExitCode { get; set; }
        public string Stdout { get; set; } = "";
        public string Stderr { get; set; } = "";
        public TimeSpan Elapsed { get; set; }
        public bool Succeeded => ExitCode == 0;

        /// <summary>Throws <see cref="DeviceCommandException"/> when the exit code is not 0.</summary>
        public CommandResult EnsureSuccess(string device, string what)
        {
            if (ExitCode != 0)
                throw new DeviceCommandException(device, what, ExitCode, Stderr);
            return this;
        }

        /// <summary><see cref="IDeviceTransport.Run"/> for every transport: RunStreaming with stdout collected as UTF-8 text.</summary>
        internal static CommandResult Collected(IDeviceTransport transport, ShellCommand command, CommandOptions options, CancellationToken ct)
        {
            using (var stdout = new MemoryStream())
            {
                var r = transport.RunStreaming(command, null, stdout, options, ct);
                r.Stdout = System.Text.Encoding.UTF8.GetString(stdout.ToArray());
                return r;
            }
        }
    }

    /// <summary>
    /// Runs commands and moves bytes on one device. SSH and local implementations.
    /// Every member honours the cancellation token promptly (Ctrl+C).
    /// </summary>
    public interface IDeviceTransport : IDisposable
    {
        EdgeDevice Device { get; }

        /// <summary>Runs a command; stdout and stderr are collected as text.</summary>
        CommandResult Run(ShellCommand command, CommandOptions options, CancellationToken cancellationToken);

        /// <summary>
        /// Runs a command streaming bytes: <paramref name="stdin"/> (may be null) is sent to the
        /// command's standard input, its standard output is copied into <paramref name="stdout"/>
        /// (may be null); stderr is collected as text in the result.
        /// </summary>
        CommandResult RunStreaming(ShellCommand command, Stream stdin, Stream stdout, CommandOptions options, CancellationToken cancellationToken);

        /// <summary>Writes <paramref name="content"/> to a file on the device (as the login user). Progress reports bytes sent.</summary>
        void Upload(Stream content, string remotePath, IProgress<long> progress, CancellationToken cancellationToken);

        /// <summary>Reads a file of the device into <paramref name="destination"/>. Progress reports bytes received.</summary>
        void Download(string remotePath, Stream destination, IProgress<long> progress, CancellationToken cancellationToken);
    }
}
