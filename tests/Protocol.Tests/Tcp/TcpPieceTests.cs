using Edsos.Protocol.Tcp;
using Edsos.Protocol.Wire;

namespace Edsos.Protocol.Tests.Tcp;

public sealed class TcpPieceTests
{
    [Fact]
    public void SeqNum_AcrossTheWrap_OrdersCorrectly()
    {
        Assert.True(SeqNum.Lt(0xFFFF_FFF0u, 0x10u));
        Assert.True(SeqNum.Gt(0x10u, 0xFFFF_FFF0u));
        Assert.Equal(0x20, SeqNum.Diff(0xFFFF_FFF0u, 0x10u));
        Assert.True(SeqNum.InWindow(0x5u, 0xFFFF_FFF0u, 0x10u));
        Assert.False(SeqNum.InWindow(0x10u, 0xFFFF_FFF0u, 0x10u));
    }

    [Fact]
    public void RtoEstimator_FirstSampleThenBackOff_FollowsRfc6298()
    {
        var rto = new RtoEstimator(TimeSpan.FromSeconds(1), TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(10));
        Assert.Equal(TimeSpan.FromSeconds(1), rto.Rto);
        rto.Sample(TimeSpan.FromMilliseconds(100));
        Assert.Equal(TimeSpan.FromMilliseconds(100), rto.Srtt);
        Assert.Equal(TimeSpan.FromMilliseconds(50), rto.RttVar);
        Assert.Equal(TimeSpan.FromMilliseconds(300), rto.Rto);
        rto.BackOff();
        Assert.Equal(TimeSpan.FromMilliseconds(600), rto.Rto);
    }

    [Fact]
    public void NewReno_ThreeDuplicatesThenFullAck_RecoversToSsthresh()
    {
        var cc = new NewRenoCongestion(1000);
        Assert.Equal(4000, cc.Cwnd);
        Assert.False(cc.OnDuplicateAck(8000, 108000, 100000));
        Assert.False(cc.OnDuplicateAck(8000, 108000, 100000));
        Assert.True(cc.OnDuplicateAck(8000, 108000, 100000));
        Assert.True(cc.InRecovery);
        Assert.Equal(4000, cc.Ssthresh);
        Assert.Equal(7000, cc.Cwnd);
        Assert.True(cc.OnNewAck(104000, 4000));
        Assert.False(cc.OnNewAck(108000, 4000));
        Assert.False(cc.InRecovery);
        Assert.Equal(4000, cc.Cwnd);
    }

    [Fact]
    public void ReassemblyQueue_GapFilled_ReturnsHeldInOrder()
    {
        var queue = new ReassemblyQueue<string>();
        Assert.True(queue.TryAdd(2000, 1000, "c"));
        Assert.True(queue.TryAdd(1000, 1000, "b"));
        Assert.False(queue.TryAdd(1500, 1000, "overlap"));
        var stale = new List<string>();
        Assert.True(queue.TryTakeNext(1000, out _, out int length, out var first, stale));
        Assert.Equal(("b", 1000), (first, length));
        Assert.True(queue.TryTakeNext(2000, out _, out _, out var second, stale));
        Assert.Equal("c", second);
        Assert.Equal(0, queue.Count);
    }

    [Fact]
    public void TcpRepr_EmitThenParse_RoundTripsWithValidChecksum()
    {
        // SYN with MSS 1460 from 10.0.0.1:49152 to 10.0.0.2:7; bytes checked against RFC 9293 3.1 layout.
        var source = Ipv4Address.Parse("10.0.0.1");
        var destination = Ipv4Address.Parse("10.0.0.2");
        var repr = new TcpRepr(49152, 7, 0x01020304, 0, TcpFlags.Syn, 65535, 1460);
        var bytes = new byte[repr.HeaderLength];
        repr.EmitHeader(bytes, source, destination, default);
        Assert.Equal(new byte[] { 0xC0, 0x00, 0x00, 0x07, 0x01, 0x02, 0x03, 0x04, 0, 0, 0, 0, 0x60, 0x02, 0xFF, 0xFF }, bytes[..16]);
        Assert.Equal(new byte[] { 0x02, 0x04, 0x05, 0xB4 }, bytes[20..24]);
        Assert.True(TcpRepr.VerifyChecksum(bytes, source, destination, default));
        Assert.True(TcpPacket.TryCreate(bytes, out var packet, out _));
        Assert.True(TcpRepr.TryParse(packet, out var parsed, out _));
        Assert.Equal(repr, parsed);
        bytes[5] ^= 1;
        Assert.False(TcpRepr.VerifyChecksum(bytes, source, destination, default));
    }
}
