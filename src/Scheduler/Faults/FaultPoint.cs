namespace Edsos.Scheduler.Faults;

/// <summary>
/// A stage boundary of the send or receive path where a <see cref="FaultInjector"/> can inject a
/// fault (seed 000 stages 1 to 5 and their receive duals). Services call
/// <see cref="FaultInjector.Hit"/> with one of these as a send crosses the boundary.
/// </summary>
public enum FaultPoint
{
    /// <summary>The KPN has <c>ct_share</c>d the user's buffer under the socket's <c>send_q</c> (stage 1 → 2).</summary>
    KpnShare,

    /// <summary>The socket node holds the CTRN and is about to hand it to the transmit worker (stage 2 → 3).</summary>
    SocketQueue,

    /// <summary>The IPv4 worker has merged header and payload into the skb node (stage 3).</summary>
    SkbMerge,

    /// <summary>The datagram is parked on an unresolved ARP entry (stage 3).</summary>
    ArpParked,

    /// <summary>The skb is enqueued on the qdisc (stage 3 → 4).</summary>
    Qdisc,

    /// <summary>The driver pinned the skb and wrote its descriptors; the doorbell is not rung yet (stage 4).</summary>
    DescriptorsPosted,

    /// <summary>The NIC is about to DMA-read a frame's buffers (stage 4).</summary>
    Dma,

    /// <summary>The frame is on the wire; its descriptors are not written back yet (stage 4 → 5).</summary>
    AfterTransmit,

    /// <summary>The driver reclaimed the frame and is about to signal <c>send_complete_event</c> (stage 5).</summary>
    Completion,

    /// <summary>Receive dual of <see cref="Dma"/>: the NIC is about to DMA-write a frame into a posted RX buffer.</summary>
    RxDma,

    /// <summary>Receive dual of <see cref="Completion"/>: the driver RX worker is about to share a received frame up to the protocol.</summary>
    RxDriver,

    /// <summary>Receive dual of <see cref="SocketQueue"/>: a datagram is queued on the socket, not yet taken by <c>recv</c>.</summary>
    RxSocketQueue,
}
