using Edsos.Memory;
using Edsos.Protocol.Tcp.Core;
using Akka.Actor;

namespace Edsos.Protocol.Tcp;

/// <summary>
/// What <see cref="TcpWorker"/> keeps beside each <see cref="TcpConnection"/>: who it serves (the socket, a connect
/// to answer, the listener it came through), data waiting for an accept, and the port binding it holds until deleted.
/// </summary>
internal sealed class ConnectionSlot
{
    public ConnectionSlot(TcpConnection connection) => Connection = connection;

    public TcpConnection Connection { get; }

    /// <summary>The socket served (null: detached by close, or not yet accepted).</summary>
    public IActorRef? Socket { get; set; }

    public TsId SocketTs { get; set; }

    /// <summary>Passive open: the listener's local endpoint (to announce to and count the backlog against).</summary>
    public Ipv4Endpoint? Listener { get; set; }

    /// <summary>Announced to the listener and not yet attached.</summary>
    public bool AwaitingAccept { get; set; }

    /// <summary>Active open: the connect request to answer.</summary>
    public ulong ConnectReqId { get; set; }

    public IActorRef? ConnectReplyTo { get; set; }

    /// <summary>Active open: who asked for it (kept after the answer, so a close racing the answer still finds it).</summary>
    public IActorRef? ConnectOwner { get; set; }

    /// <summary>
    /// In-order bytes could not be handed to the socket for a reason other than the socket being gone (revoked under us:
    /// the NIC driver whose RX buffer held them died between their checksum and the hand-over): the stream has a hole the
    /// peer thinks delivered, so the connection is reset once the segment's turn is over (<c>TcpWorker.ResetIfBroken</c>).
    /// </summary>
    public bool StreamBroken { get; set; }

    /// <summary>In-order data waiting for a socket to attach (accept), in the TCP TS; owned here until shared or released.</summary>
    public Queue<(Capability Node, int Length)> Undelivered { get; } = new();

    /// <summary>The closed socket waiting for <see cref="InetProtocol.StreamReleased"/> (the chunks it shared are still held).</summary>
    public IActorRef? ReleaseWaiter { get; set; }

    /// <summary>
    /// The port binding the socket handed over at close (<see cref="InetProtocol.StreamClose"/>): given back to the
    /// family when the connection is deleted, so the port stays taken through FIN_WAIT and TIME_WAIT.
    /// </summary>
    public Ipv4Endpoint? PortBinding { get; set; }
}
