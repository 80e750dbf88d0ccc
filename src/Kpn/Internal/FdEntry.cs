using Edsos.Memory;
using Akka.Actor;
using Edsos.Scheduler;

namespace Edsos.Kpn.Internal;

/// <summary>One descriptor of the process: the socket node, its TS (where sends are shared to) and per-descriptor flags.</summary>
internal sealed class FdEntry
{
    public FdEntry(ulong socketId, IActorRef node, TsId ts, bool stream = false)
    {
        Stream = stream;
        SocketId = socketId;
        Node = node;
        Ts = ts;
    }

    public ulong SocketId { get; }

    public IActorRef Node { get; }

    public TsId Ts { get; }

    /// <summary>A stream (TCP) socket: sends are a byte stream of any length, receives may be partial.</summary>
    public bool Stream { get; }

    /// <summary>O_NONBLOCK.</summary>
    public bool NonBlocking { get; set; }

    /// <summary>Connected: a send without destination is allowed.</summary>
    public bool Connected { get; set; }

    /// <summary>Its socket died with the net process (<see cref="KpnProtocol.NetDown"/>): calls are ENETDOWN, close is 0.</summary>
    public bool Dead { get; set; }
}
