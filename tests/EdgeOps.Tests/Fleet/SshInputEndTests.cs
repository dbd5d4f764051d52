using System.Text;
using EdgeOps.Transport;
using Xunit;

namespace EdgeOps.Tests.Fleet;

/// <summary>
/// The end of a command's input (SSH EOF) must never reach sshd after the command's channel is gone: OpenSSH answers a
/// message for a channel it has freed by dropping the whole connection ("ieof packet referred to nonexistent channel"),
/// and every other command on it with it. Eight backups at once on a starved controller did just that: a command's
/// input thread sent its EOF more than five seconds late, after the command had ended and its channel was closed, and
/// the card headers being read beside it on the same connection failed. Here the input's end is held back on purpose
/// (a source that takes six seconds to say it has no more), against a real sshd.
/// </summary>
[Collection(FleetCollection.Name)]
public class SshInputEndTests
{
    readonly FleetFixture _f;
    public SshInputEndTests(FleetFixture f) { _f = f; }

    /// <summary>Gives its bytes at once, then waits before telling the end (as a starved input thread is late to).</summary>
    sealed class LateEnd : Stream
    {
        readonly MemoryStream _data;
        readonly int _waitMs;
        public LateEnd(string text, int waitMs) { _data = new MemoryStream(Encoding.ASCII.GetBytes(text)); _waitMs = waitMs; }
        public override int Read(byte[] buffer, int offset, int count)
        {
            int n = _data.Read(buffer, offset, count);
            if (n == 0) Thread.Sleep(_waitMs);
            return n;
        }
        public override bool CanRead => true;
        public override bool CanSeek => true;
        public override bool CanWrite => false;
        public override long Length => _data.Length;
        public override long Position { get => _data.Position; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    [FleetFact]
    public void A_late_end_of_input_never_drops_the_connection_under_the_commands_beside_it()
    {
        var d = _f.Fleet.Devices[0];
        TransportFactory.Close(d.Name);
        var t = FleetTestKit.OpenTransport(_f.Fleet, d);
        try
        {
            t.Run(Sh.Cmd("true"), CommandOptions.Default, default).EnsureSuccess(d.Name, "a first command");
            // a command beside it on the same connection, running through the whole of the other one
            var beside = Task.Run(() => t.Run(Sh.Script("sleep 8; echo still here"), CommandOptions.Default, default));
            Thread.Sleep(300);
            // a command that ends without reading its input ("a plan"), whose input's end comes six seconds late
            var quick = t.RunStreaming(Sh.Cmd("true"), new LateEnd("c\nr 0 512\ne\n", 6000), null, CommandOptions.Default, default);
            Assert.Equal(0, quick.ExitCode);
            var r = beside.Result;
            Assert.Equal(0, r.ExitCode);
            Assert.Contains("still here", r.Stdout);
            // and the connection is still the same one: sshd logged no disconnect
            var log = File.ReadAllText(d.HostPath("/var/log/sshd.log"));
            Assert.DoesNotContain("nonexistent channel", log);
        }
        finally { TransportFactory.Close(d.Name); }
    }
}
