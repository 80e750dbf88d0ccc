using Edsos.Memory;
using Edsos.Protocol.Tcp;
using Edsos.Protocol.Wire;

namespace Edsos.Protocol.Tests.Tcp;

/// <summary>
/// In-order data becomes the socket's own (a grant, its only origin the socket): bytes TCP has acknowledged do not
/// depend on the NIC driver whose RX buffers they lie in, so the driver's death does not revoke them under the reader.
/// </summary>
public sealed class TcpDeliveryGrantSpec : TcpSpecBase
{
    private const uint PeerIss = 5000;

    [Fact]
    public async Task DataDelivered_DriverTsLifted_TheSocketStillReadsEveryByte()
    {
        StartTcp();
        Established(PeerIss);
        var data = TestFrames.Pattern(700, 3);
        DeliverSegment(Segment(PeerIss + 1, OurIss + 1, TcpFlags.Ack | TcpFlags.Psh), data);
        var delivered = Socket.ExpectMsg<InetProtocol.DatagramReceivedEvent>();

        // The NIC driver dies: its TS, whose RX buffer the frame arrived in, is lifted, and every CTRN of it revoked.
        Memory.Lift(DriverTs);

        Assert.Equal(data, Consume(delivered));
        await StopTcpAndAssertNoLeakAsync();
    }

    [Fact]
    public async Task DriverTsLiftedBetweenIpv4AndTcp_BytesLostBeforeTheHandOver_ConnectionResetAndTheSocketToldEnetdown()
    {
        StartTcp();
        Established(PeerIss);

        // The driver dies right after IPv4 checked the segment and shared its payload into TCP's TS, before TCP took it:
        // TCP acknowledges bytes that are revoked before it can hand them to the socket, a hole in the stream.
        int lifted = 0;
        using (Memory.Observe(record =>
        {
            if (record.Op == MemoryOp.CtShare && record.Caller == Stack.RxTs && Interlocked.Exchange(ref lifted, 1) == 0)
            {
                Memory.Lift(DriverTs);
            }
        }))
        {
            DeliverSegment(Segment(PeerIss + 1, OurIss + 1, TcpFlags.Ack | TcpFlags.Psh), TestFrames.Pattern(500, 4));

            // The reader learns the stream broke there: it does not read past the hole.
            var broken = Socket.ExpectMsg<InetProtocol.StreamErrorEvent>();
            Assert.Equal(Errno.ENETDOWN, broken.Error);
        }

        // TCP sent its RST (the frame itself dies with the driver's TS, as on a NIC that is gone; the peer's next
        // segment to the closed connection is answered with another) and forgot the connection.
        Assert.Equal(1, lifted);
        var counters = await TcpCountersAsync();
        Assert.Equal((1, 1, 0), (counters.RevokedAborts, counters.ResetsSent, counters.ActiveConnections));
        Socket.ExpectNoMsg(Quiet);
        await StopTcpAndAssertNoLeakAsync();
    }
}
