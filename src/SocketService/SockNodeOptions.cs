using Edsos.Memory;
using Edsos.Protocol;
using Akka.Actor;
using Edsos.Scheduler;

namespace Edsos.SocketService;

/// <summary>
/// What a socket (<see cref="DatagramSocket"/>, <see cref="StreamSocket"/>) needs: its id, the family that binds ports, the endpoint the
/// family opened for it (transmit worker, its TS, protocol, maximum payload), the data path and
/// its initial buffer sizes. Built by the <see cref="SocketTable"/>; tests build it with probes.
/// </summary>
public sealed record SockNodeOptions
{
    /// <summary>The socket id (the <c>ABCD</c> of <c>sock_0xABCD</c>).</summary>
    public required ulong SocketId { get; init; }

    /// <summary>The inet family: takes <c>BindRequest</c> (replies <c>BindReply</c>) and <c>Unbind</c>.</summary>
    public required IActorRef Family { get; init; }

    /// <summary>The protocol number the family resolved (17 for UDP).</summary>
    public required int Protocol { get; init; }

    /// <summary>The transmit worker that takes <c>XmitRequest</c>.</summary>
    public required IActorRef TxWorker { get; init; }

    /// <summary>The transmit worker's TS, where the socket <c>ct_share</c>s payload.</summary>
    public required TsId TxTs { get; init; }

    /// <summary>Largest payload one send may carry (<see cref="Edsos.Protocol.Udp.UdpLimits.MaxPayload"/> for UDP over IPv4, as the family registered it); more gets <c>EMSGSIZE</c>.</summary>
    public required int MaxPayload { get; init; }

    /// <summary>
    /// Whether the transmit worker takes <c>XmitBatchRequest</c>: then a batch of sends (a ring submission) reaches it in
    /// one event. False: one <c>XmitRequest</c> per send.
    /// </summary>
    public bool TxBatches { get; init; }

    /// <summary>The socket type: <see cref="SocketKind.Stream"/> sockets run connections through the transmit worker (TCP).</summary>
    public SocketKind Type { get; init; } = SocketKind.Dgram;

    /// <summary>Zero copy or copy.</summary>
    public DataPathMode Mode { get; init; } = DataPathMode.ZeroCopy;

    /// <summary>Initial SO_SNDBUF in payload bytes.</summary>
    public int SendBuffer { get; init; } = SocketTableOptions.LinuxDefaultBuffer;

    /// <summary>Initial SO_RCVBUF in payload bytes.</summary>
    public int ReceiveBuffer { get; init; } = SocketTableOptions.LinuxDefaultBuffer;
}
