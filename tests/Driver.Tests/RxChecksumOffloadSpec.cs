using Edsos.Driver.Tests.Support;
using Akka.Actor;
using static Edsos.Driver.DriverProtocol;

namespace Edsos.Driver.Tests;

/// <summary>
/// Receive checksum offload through the driver: the NIC's report on each frame reaches the handler in
/// <see cref="FrameReceivedEvent.Checksum"/>, and a frame whose checksum the NIC found wrong is still handed up (the stack
/// counts and drops it), not dropped by the driver as a frame error.
/// </summary>
public sealed class RxChecksumOffloadSpec : DriverSpecBase
{
    [Theory]
    [InlineData(true, false, RxChecksum.Ipv4Good | RxChecksum.TransportGood)]
    [InlineData(true, true, RxChecksum.Ipv4Good | RxChecksum.TransportBad)]
    [InlineData(false, false, RxChecksum.None)]
    [InlineData(false, true, RxChecksum.None)]
    public async Task Xmit_TcpFrameOverLoopbackPair_HandlerGetsTheNicsChecksumReport(bool offload, bool corrupt, RxChecksum expected)
    {
        var (a, b) = await NicDriver.StartPairAsync(Sys, Small("nic_a"), Small("nic_b") with { RxChecksumOffload = offload }, Long);
        var handler = CreateTestProbe("rx-handler");
        b.RxWorker.Tell(new AttachRx(handler, Skbs.HandlerTs));
        var frame = TcpFrames.Tcp(Bytes.Pattern(1200, 6));
        if (corrupt)
        {
            frame[^3] ^= 0x40;
        }

        var skb = Send(a, frame[..TcpFrames.HeaderLength], frame[TcpFrames.HeaderLength..], 1, TestActor);

        ExpectMsg<SendCompleteEvent>(m => m.Status == TxStatus.Sent);
        var received = handler.ExpectMsg<FrameReceivedEvent>();
        Assert.Equal(expected, received.Checksum);
        Assert.Equal(skb.Bytes, Skbs.ReadAndPop(received.Frame, received.Length));
        await NicDriver.StopAsync(Sys, a, Long);
        await NicDriver.StopAsync(Sys, b, Long);
        AssertNoLeak();
    }
}
