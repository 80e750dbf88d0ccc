using Edsos.Memory;
using Akka.Actor;
using Edsos.Scheduler;

namespace Edsos.Driver;

/// <summary>
/// The driver's event contract (seed 000 stage 4 and the receive dual). Events carry
/// capabilities and handles, never frame bytes; the frame bytes move only by the device's DMA.
/// </summary>
public static class DriverProtocol
{
    /// <summary>
    /// Protocol (qdisc) → driver TX worker: transmit <paramref name="Skb"/>, a CTRN already mounted
    /// in the driver's TS (the protocol <c>ct_share</c>d it there). The driver validates its GVAs,
    /// pins it, writes its descriptors (<see cref="TxDescriptorBudget"/>) and rings the doorbell. It owns the CTRN
    /// from now on and pops it on completion or drop. With <paramref name="Offload"/> the skb is a TCP
    /// super-frame: the driver writes a TCP/IP context descriptor and TSE data descriptors and the NIC
    /// cuts it into MSS-sized frames; the skb still completes once. Refused with
    /// <see cref="TxStatus.OffloadUnsupported"/> when TSO is not enabled (<see cref="NicOptions.Tso"/>),
    /// <see cref="TxStatus.Malformed"/> when the offload does not fit the skb. Reply:
    /// <see cref="SendCompleteEvent"/> to <paramref name="ReplyTo"/> carrying <paramref name="Token"/>.
    /// </summary>
    public sealed record XmitSkbEvent(Capability Skb, int Length, ulong Token, IActorRef ReplyTo, TxOffload? Offload = null);

    /// <summary>
    /// Driver → the sender of <see cref="XmitSkbEvent"/>: the frame left the NIC (or was dropped,
    /// see <paramref name="Status"/>), its descriptors are done, the driver unpinned and popped its
    /// CTRN. <paramref name="FreeDescriptors"/> is the TX ring's room after this completion, so the
    /// qdisc can resume (netif_wake_queue).
    /// </summary>
    public sealed record SendCompleteEvent(ulong Token, int Length, TxStatus Status, int FreeDescriptors);

    /// <summary>
    /// A qdisc → driver: register as the TX client. Reply: <see cref="TxCredit"/> with the ring's
    /// free descriptor count. The driver sends a fresh <see cref="TxCredit"/> whenever room frees.
    /// </summary>
    public sealed record AttachTx(IActorRef Client);

    /// <summary>Driver → TX client: how many descriptors are free; an skb takes <see cref="TxDescriptorBudget"/>'s count of them.</summary>
    public sealed record TxCredit(int FreeDescriptors)
    {
        private static readonly TxCredit?[] s_byCount = new TxCredit?[4097];

        /// <summary>The credit message for <paramref name="freeDescriptors"/>: one shared instance per count (a record is immutable), so the credit after every TX interrupt allocates nothing.</summary>
        public static TxCredit Of(int freeDescriptors) =>
            (uint)freeDescriptors < (uint)s_byCount.Length ? s_byCount[freeDescriptors] ??= new TxCredit(freeDescriptors) : new TxCredit(freeDescriptors);
    }

    /// <summary>
    /// Protocol RX worker → driver: deliver received frames to <paramref name="Handler"/> as CTRNs
    /// mounted in <paramref name="HandlerTs"/>.
    /// </summary>
    public sealed record AttachRx(IActorRef Handler, Edsos.Memory.TsId HandlerTs);

    /// <summary>
    /// Driver RX worker → the attached handler: a frame the NIC DMA-wrote into an RX buffer,
    /// shared into the handler's TS. The handler owns <paramref name="Frame"/> and pops it.
    /// </summary>
    public sealed record FrameReceivedEvent(Capability Frame, int Length);

    /// <summary>Anyone → driver: reply with <see cref="NicStatistics"/>.</summary>
    public sealed record GetNicStatistics;

    /// <summary>
    /// Reply to <see cref="GetNicStatistics"/>: device and driver counters. <paramref name="RxMissed"/>
    /// counts frames the device dropped for want of a posted buffer; <paramref name="RxDropped"/>
    /// frames the driver dropped after receiving them (no handler attached, device error).
    /// <paramref name="TsoFrames"/> counts the TSO super-frames the device cut, <paramref name="TsoSegments"/>
    /// the frames that made (also counted in <paramref name="FramesSent"/>).
    /// </summary>
    public sealed record NicStatistics(
        long FramesSent,
        long FramesReceived,
        long BytesSent,
        long BytesReceived,
        long RxMissed,
        long TxDropped,
        int TxRingInUse,
        int TxRingSize,
        long RxDropped = 0,
        long TsoFrames = 0,
        long TsoSegments = 0);
}
