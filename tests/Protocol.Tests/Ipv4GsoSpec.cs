using Edsos.Driver;
using Edsos.Memory;
using Edsos.Protocol.Ipv4;
using Edsos.Protocol.Wire;

namespace Edsos.Protocol.Tests;

/// <summary>
/// IPv4 output of a TCP super-segment for the NIC's segmentation offload (<see cref="Ipv4Protocol.IpQueueXmit.GsoSize"/>):
/// one skb, not fragmented, DF, the super-packet's total length, and a <see cref="TxOffload"/> to the driver.
/// </summary>
public sealed class Ipv4GsoSpec : InetSpecBase
{
    private const int PayloadLength = 20_000;

    [Fact]
    public async Task IpQueueXmit_GsoSizeOnATsoInterface_OneUnfragmentedSkbWithDfAndTheOffload()
    {
        // Arrange
        StartStack(o => o with { Tso = true });
        LearnNeighbour(PeerIp, PeerMac);
        var data = TestFrames.Pattern(PayloadLength, seed: 5);

        // Act
        Stack.IpTx.Tell(SuperSegment(30, data, PeerIp, gsoSize: 1460), Socket.Ref);

        // Assert
        var xmit = ExpectFrame();
        Assert.Equal(new TxOffload(1460, 14, 34, 54), xmit.Offload);
        Assert.Equal(54 + PayloadLength, xmit.Length);
        var frame = TestFrames.ParseIpv4(ReadFrame(xmit));
        Assert.True(frame.Ip.DontFragment);
        Assert.False(frame.Ip.IsFragment);
        Assert.Equal(IpProtocol.Tcp, frame.Ip.Protocol);
        Assert.Equal(20 + PayloadLength, frame.IpPayload.Length);
        Assert.Equal(data, frame.IpPayload.AsSpan(20).ToArray());
        Complete(xmit);
        Assert.Equal(new Ipv4Protocol.IpXmitComplete(30, PayloadLength, Errno.None), Socket.ExpectMsg<Ipv4Protocol.IpXmitComplete>());

        // The NIC gives the 14 segments identifications first..first+13: the next datagram starts after them.
        SendUdp(31, TestFrames.Pattern(100), PeerIp);
        var udp = ExpectFrame();
        var next = TestFrames.ParseIpv4(ReadFrame(udp));
        Complete(udp);
        Assert.Equal((ushort)(frame.Ip.Identification + 14), next.Ip.Identification);
        Assert.Null(udp.Offload);
        Assert.False(next.Ip.DontFragment);
        Socket.ExpectMsg<Ipv4Protocol.IpXmitComplete>();
        var counters = await CountersAsync<Ipv4TxCounters>(Stack.IpTx);
        Assert.Equal(1, counters.GsoDatagrams);
        Assert.Equal(0, counters.Fragmented);
        await StopAndAssertNoLeakAsync();
    }

    [Theory]
    [InlineData("interface-without-tso")]
    [InlineData("to-our-own-address")]
    [InlineData("not-tcp")]
    public async Task IpQueueXmit_GsoSizeWhereNoNicCanCutIt_FailsEopnotsuppSendsNothingLeaksNothing(string where)
    {
        StartStack(o => o with { Tso = where != "interface-without-tso" });
        LearnNeighbour(PeerIp, PeerMac);
        var destination = where == "to-our-own-address" ? OurIp : PeerIp;
        var request = SuperSegment(32, TestFrames.Pattern(PayloadLength), destination, gsoSize: 1460);
        if (where == "not-tcp")
        {
            request = request with { Protocol = IpProtocol.Udp };
        }

        Stack.IpTx.Tell(request, Socket.Ref);

        Assert.Equal(new Ipv4Protocol.IpXmitComplete(32, 0, Errno.EOPNOTSUPP), Socket.ExpectMsg<Ipv4Protocol.IpXmitComplete>());
        DriverTx.ExpectNoMsg(Quiet);
        await StopAndAssertNoLeakAsync();
    }

    [Fact]
    public async Task IpQueueXmit_DriverRefusesTheOffload_SenderGetsEopnotsupp()
    {
        StartStack(o => o with { Tso = true });
        LearnNeighbour(PeerIp, PeerMac);

        Stack.IpTx.Tell(SuperSegment(33, TestFrames.Pattern(PayloadLength), PeerIp, gsoSize: 1460), Socket.Ref);
        Complete(ExpectFrame(), TxStatus.OffloadUnsupported);

        Assert.Equal(new Ipv4Protocol.IpXmitComplete(33, 0, Errno.EOPNOTSUPP), Socket.ExpectMsg<Ipv4Protocol.IpXmitComplete>());
        await StopAndAssertNoLeakAsync();
    }

    /// <summary>What TCP hands IPv4 for TSO: headroom with a TCP header (checksum left to the NIC) and the payload shared into the transmit TS.</summary>
    private Ipv4Protocol.IpQueueXmit SuperSegment(ulong requestId, byte[] data, Ipv4Address destination, int gsoSize)
    {
        var headroom = Memory.Push(Stack.TxTs, "tcp-hdr", FrameLayout.EthernetIpv4HeaderLength + TcpRepr.MinHeaderLength).Unwrap();
        Span<byte> tcp = stackalloc byte[TcpRepr.MinHeaderLength];
        new TcpRepr(40000, 7, 1000, 1, TcpFlags.Ack | TcpFlags.Psh, 65535).EmitOffloadHeader(tcp);
        Memory.Write(Stack.TxTs, headroom, FrameLayout.EthernetIpv4HeaderLength, tcp, CopyKind.Header).ThrowIfFailed();
        var payload = SharePayload(data);
        return new Ipv4Protocol.IpQueueXmit(
            RequestId: requestId,
            ReplyTo: Socket.Ref,
            ReportedBytes: data.Length,
            Source: OurIp,
            Destination: destination,
            Protocol: IpProtocol.Tcp,
            Tos: 0,
            Headroom: headroom,
            TransportHeaderLength: TcpRepr.MinHeaderLength,
            Payload: payload,
            PayloadLength: data.Length,
            GsoSize: gsoSize);
    }
}
