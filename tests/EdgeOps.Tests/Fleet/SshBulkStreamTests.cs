using EdgeOps.Transport;
using Xunit;

namespace EdgeOps.Tests.Fleet;

/// <summary>
/// A stream that trickles in (as a card read at 40 MiB/s does) must not cost the controller a thread-pool hand-off per
/// SSH packet: see InlineSocketEvents. Counted with the runtime's own counter of completed pool work items; the test
/// classes run one after another, so little else uses the pool meanwhile.
/// </summary>
[Collection(FleetCollection.Name)]
public class SshBulkStreamTests
{
    readonly FleetFixture _f;
    public SshBulkStreamTests(FleetFixture f) { _f = f; }

    sealed class Counting : EdgeOps.Storage.WriteOnlyStream
    {
        public long Bytes;
        public override void Write(byte[] buffer, int offset, int count) => Bytes += count;
    }

    [FleetFact]
    public void A_stream_that_trickles_in_is_received_without_a_pool_hand_off_per_piece()
    {
        var d = _f.Fleet.Devices[0];
        TransportFactory.Close(d.Name);
        var t = FleetTestKit.OpenTransport(_f.Fleet, d);
        try
        {
            t.Run(Sh.Cmd("true"), CommandOptions.Default, default).EnsureSuccess(d.Name, "a first command");

            // 400 pieces of 64 KiB with a pause after each: the listener finds no data 400 times and waits for the next piece
            const int Pieces = 400;
            var sink = new Counting();
            long before = ThreadPool.CompletedWorkItemCount;
            var r = t.RunStreaming(Sh.Script("for i in $(seq {0}); do head -c 65536 /dev/zero; sleep 0.005; done", Pieces.ToString()),
                null, sink, new CommandOptions { BulkOutput = true }, default);
            long handOffs = ThreadPool.CompletedWorkItemCount - before;

            Assert.Equal(0, r.ExitCode);
            Assert.Equal(Pieces * 65536L, sink.Bytes);
            // without inline socket events every wait of the listener ends in a pool work item: at least one per piece
            Assert.True(handOffs < Pieces / 4, $"{handOffs} thread-pool work items ran while {Pieces} pieces arrived");
        }
        finally { TransportFactory.Close(d.Name); }
    }
}
