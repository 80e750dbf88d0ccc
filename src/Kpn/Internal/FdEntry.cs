using Edsos.Memory;
using Edsos.Scheduler;

namespace Edsos.Kpn.Internal;

/// <summary>One descriptor of the process: the socket node, its TS (where sends are shared to) and per-descriptor flags.</summary>
internal sealed class FdEntry
{
    public FdEntry(ulong socketId, IActorRef node, TsId ts)
    {
        SocketId = socketId;
        Node = node;
        Ts = ts;
    }

    public ulong SocketId { get; }

    public IActorRef Node { get; }

    public TsId Ts { get; }

    /// <summary>O_NONBLOCK.</summary>
    public bool NonBlocking { get; set; }

    /// <summary>Connected: a send without destination is allowed.</summary>
    public bool Connected { get; set; }
}
