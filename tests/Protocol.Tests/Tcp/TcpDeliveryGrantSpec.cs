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
}
