using Edsos.Memory;
using Akka.Actor;
using Edsos.Scheduler;

namespace Edsos.Protocol.Qdisc;

/// <summary>
/// Events of the qdisc actor (seed 003 steps 8-10: the device-independent layer queues to the qdisc,
/// which feeds the driver). Frames ride as capabilities of the transmit TS.
/// </summary>
public static class QdiscProtocol
{
    /// <summary>
    /// IPv4 transmit worker → qdisc (<c>dev_queue_xmit</c>): queue <paramref name="Skb"/>, a whole frame
    /// node of the transmit TS, in the pfifo_fast band for <paramref name="Priority"/>. The qdisc owns it
    /// from now on. Reply to <paramref name="Owner"/>: <see cref="SkbSentEvent"/> with
    /// <paramref name="Token"/> once the driver completed it, or at once when it is dropped. With
    /// <paramref name="Offload"/> the frame is a TCP super-frame for the NIC's segmentation offload: it needs
    /// one more descriptor (the context) and is handed to the driver with the offload.
    /// </summary>
    public sealed record DevQueueXmit(Capability Skb, int Length, int Priority, ulong Token, IActorRef Owner, Driver.TxOffload? Offload = null);

    /// <summary>
    /// Qdisc → owner: the frame of <paramref name="Token"/> is done: <see cref="Errno.None"/> when it left
    /// the NIC, <see cref="Errno.ENOBUFS"/> when the queue or ring was full, <see cref="Errno.EFAULT"/>
    /// when its memory was revoked, <see cref="Errno.EMSGSIZE"/> when the driver found it malformed,
    /// <see cref="Errno.EOPNOTSUPP"/> when it asked for an offload the NIC does not have enabled,
    /// <see cref="Errno.ENETDOWN"/> when the stack or the device stopped first (driver reset: Aborted).
    /// </summary>
    public sealed record SkbSentEvent(ulong Token, Errno Error);

    /// <summary>Qdisc → itself: run again (Linux raises NET_TX_SOFTIRQ when the quota ran out).</summary>
    public sealed record NetTxAction
    {
        /// <summary>The one instance; the message carries nothing.</summary>
        public static NetTxAction Instance { get; } = new();
    }
}
