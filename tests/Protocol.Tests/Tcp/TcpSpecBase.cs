using Edsos.Memory;
using Edsos.Protocol.Tcp;
using Edsos.Protocol.Wire;
using Akka.Actor;
using Edsos.Scheduler;

namespace Edsos.Protocol.Tests.Tcp;

/// <summary>
/// A real stack (IPv4, TCP, the family) on probe drivers and a manual clock, with the test playing the remote
/// TCP: it builds each segment it sends with the wire types (checksum and all) and delivers it as a received
/// frame, and reads every segment the stack sends off the probe driver, checking its checksum. The socket is a
/// probe that talks to the TCP worker directly.
/// </summary>
public abstract class TcpSpecBase : InetSpecBase
{
    /// <summary>Our ISS (fixed through <see cref="TcpOptions.InitialSequence"/>).</summary>
    protected const uint OurIss = 1000;

    protected const ushort ServerPort = 7;
    protected const ushort PeerPort = 40000;

    private readonly List<Capability> _appBuffers = new();
    private ulong _nextReqId;

    protected IActorRef Tcp => Stack.Tcp!;

    /// <summary>The id of the connection last attached (<see cref="Attach"/>): what the socket's requests name.</summary>
    protected ulong ConnectionId { get; private set; }

    protected static Ipv4Endpoint OurServer => new(OurIp, ServerPort);

    protected static Ipv4Endpoint Peer => new(PeerIp, PeerPort);

    /// <summary>Starts the stack with TCP options tuned by <paramref name="tune"/> and learns the peer's MAC.</summary>
    protected void StartTcp(Func<TcpOptions, TcpOptions>? tune = null)
    {
        var tcp = new TcpOptions { InitialSequence = OurIss };
        tcp = tune?.Invoke(tcp) ?? tcp;
        StartStack(o => o with { Tcp = tcp });
        LearnNeighbour(PeerIp, PeerMac);
    }

    protected ulong NextReqId() => ++_nextReqId;

    /// <summary>A passive open on <paramref name="port"/> with the socket probe as the listener.</summary>
    protected void Listen(ushort port = ServerPort)
    {
        ulong reqId = NextReqId();
        Tcp.Tell(new InetProtocol.StreamListen(reqId, new Ipv4Endpoint(Ipv4Address.Any, port), 8, Socket.Ref), Socket.Ref);
        Assert.Equal(new InetProtocol.StreamListening(reqId, Errno.None), Socket.ExpectMsg<InetProtocol.StreamListening>());
    }

    /// <summary>Sends the stack a segment from <paramref name="from"/> (default <see cref="Peer"/>) to <paramref name="to"/> (default <see cref="OurServer"/>).</summary>
    protected void DeliverSegment(TcpRepr header, byte[]? payload = null, Ipv4Endpoint? from = null, Ipv4Endpoint? to = null)
    {
        var source = from ?? Peer;
        var destination = to ?? OurServer;
        header = header with { SourcePort = source.Port, DestinationPort = destination.Port };
        payload ??= [];
        ChecksumAccumulator sum = default;
        sum.Add(payload);
        var segment = new byte[header.HeaderLength + payload.Length];
        header.EmitHeader(segment, source.Address, destination.Address, in sum);
        payload.CopyTo(segment.AsSpan(header.HeaderLength));
        Deliver(TestFrames.Ipv4(OurMac, PeerMac, new Ipv4Repr(source.Address, destination.Address, IpProtocol.Tcp, segment.Length), segment));
    }

    /// <summary>A segment header from the peer; ports are filled in by <see cref="DeliverSegment"/>.</summary>
    protected static TcpRepr Segment(uint sequence, uint ack, TcpFlags flags, ushort window = 65535, ushort mss = 0, byte? windowScale = null) =>
        new(0, 0, sequence, ack, flags, window, mss, windowScale);

    /// <summary>Takes the next frame the stack sent, checks it is a TCP segment to the peer with a good checksum, and parses it.</summary>
    protected (TcpRepr Header, byte[] Payload) TakeSegment()
    {
        var frame = TestFrames.ParseIpv4(TakeFrame());
        Assert.Equal(IpProtocol.Tcp, frame.Ip.Protocol);
        Assert.Equal(PeerIp, frame.Ip.Destination);
        Assert.True(TcpPacket.TryCreate(frame.IpPayload, out var packet, out var error), $"TCP view: {error}");
        Assert.True(TcpRepr.TryParse(packet, out var header, out error), $"TCP parse: {error}");
        var payload = frame.IpPayload[packet.HeaderLength..];
        ChecksumAccumulator sum = default;
        sum.Add(payload);
        Assert.True(TcpRepr.VerifyChecksum(frame.IpPayload.AsSpan(0, packet.HeaderLength), frame.Ip.Source, frame.Ip.Destination, in sum), "bad TCP checksum");
        return (header, payload);
    }

    /// <summary>Asserts the stack sends nothing for a while.</summary>
    protected void ExpectNoSegment() => DriverTx.ExpectNoMsg(Quiet);

    /// <summary>
    /// The peer opens a connection to our listener: SYN (ISS <paramref name="peerIss"/>), our SYN-ACK checked,
    /// the peer's ACK, the listener told. Returns the connection id and the SYN-ACK.
    /// </summary>
    protected (ulong Id, TcpRepr SynAck) PeerConnects(uint peerIss, ushort window = 65535, byte? windowScale = null, ushort peerPort = PeerPort)
    {
        var from = new Ipv4Endpoint(PeerIp, peerPort);
        DeliverSegment(Segment(peerIss, 0, TcpFlags.Syn, window, 1460, windowScale), from: from);
        var (synAck, _) = TakeSegment();
        Assert.Equal(TcpFlags.Syn | TcpFlags.Ack, synAck.Flags);
        Assert.Equal(peerIss + 1, synAck.Acknowledgement);
        DeliverSegment(Segment(peerIss + 1, synAck.Sequence + 1, TcpFlags.Ack, window), from: from);
        var incoming = Socket.ExpectMsg<InetProtocol.StreamIncoming>();
        Assert.Equal(from, incoming.Remote);
        return (incoming.ConnectionId, synAck);
    }

    /// <summary>The socket probe takes the accepted connection (data held so far comes to it).</summary>
    protected void Attach(ulong connectionId)
    {
        ulong reqId = NextReqId();
        Tcp.Tell(new InetProtocol.StreamAttach(reqId, connectionId, Socket.Ref, SocketTs), Socket.Ref);
        var attached = Socket.ExpectMsg<InetProtocol.StreamConnected>();
        Assert.Equal((Errno.None, connectionId), (attached.Error, attached.ConnectionId));
        ConnectionId = connectionId;
    }

    /// <summary>Listens, accepts a connection from the peer (ISS <paramref name="peerIss"/>) and attaches the socket probe.</summary>
    protected TcpRepr Established(uint peerIss, ushort window = 65535, byte? windowScale = null)
    {
        Listen();
        var (id, synAck) = PeerConnects(peerIss, window, windowScale);
        Attach(id);
        return synAck;
    }

    /// <summary>
    /// The socket's send: <paramref name="data"/> in an app buffer, <c>ct_share</c>d into TCP's TS and queued on
    /// the connection <paramref name="connectionId"/> (default <see cref="ConnectionId"/>) from <paramref name="local"/>
    /// (default <see cref="OurServer"/>) to the peer.
    /// </summary>
    protected void Send(ulong requestId, byte[] data, Ipv4Endpoint? local = null, ulong? connectionId = null)
    {
        var buffer = Memory.Push(UserTs, "buf", data.Length).Unwrap();
        _appBuffers.Add(buffer);
        Memory.Write(UserTs, buffer, 0, data, CopyKind.Payload).ThrowIfFailed();
        var info = Memory.Inspect(UserTs, buffer).Unwrap();
        var shared = Memory.CtShare(UserTs, buffer, info.Gva, data.Length, Stack.TcpTs, "send_q/1", Rights.Read | Rights.Share | Rights.Map).Unwrap();
        Tcp.Tell(
            new InetProtocol.XmitRequest(
                RequestId: requestId,
                Payload: shared,
                Length: data.Length,
                Source: local ?? OurServer,
                Destination: Peer,
                ReplyTo: Socket.Ref,
                ConnectionId: connectionId ?? ConnectionId),
            Socket.Ref);
    }

    /// <summary>Stops the stack, pops the app buffers <see cref="Send"/> made, and asserts the arena is empty.</summary>
    protected async Task StopTcpAndAssertNoLeakAsync()
    {
        foreach (var buffer in _appBuffers)
        {
            Memory.Pop(UserTs, buffer);
        }

        await StopAndAssertNoLeakAsync();
    }

    /// <summary>
    /// TCP grants in-order data to the socket: an ordinary node of the socket's whose only origin is the socket, so it
    /// survives the NIC driver's death (a CTRN of the driver's RX buffer would be revoked with it).
    /// </summary>
    protected override void AssertHandedToSocket(NodeInfo info)
    {
        Assert.False(info.IsCtrn);
        Assert.Equal([SocketTs], info.Origins);
    }

    /// <summary>Reads the next stream bytes the socket probe receives (and pops their node).</summary>
    protected byte[] ReceiveStream() => Consume(Socket.ExpectMsg<InetProtocol.DatagramReceivedEvent>());

    protected Task<TcpCounters> TcpCountersAsync() => Tcp.Ask<TcpCounters>(TcpProtocol.GetTcpCounters.Instance, TimeSpan.FromSeconds(15));

    protected async Task<IReadOnlyList<TcpConnectionInfo>> ConnectionsAsync() =>
        (await Tcp.Ask<TcpProtocol.TcpConnections>(TcpProtocol.GetTcpConnections.Instance, TimeSpan.FromSeconds(15))).Connections;

    protected async Task<TcpConnectionInfo> OnlyConnectionAsync()
    {
        var connections = await ConnectionsAsync();
        return Assert.Single(connections);
    }

    /// <summary>Moves the manual clock on: the TCP timer fires at each connection deadline passed (then its handler runs).</summary>
    protected void AdvanceClock(TimeSpan by) => Clock.Advance(by);
}
