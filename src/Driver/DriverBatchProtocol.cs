using Akka.Actor;

namespace Edsos.Driver;

/// <summary>
/// The driver's batch events (see the README, "Batches"): one event carrying many of the one-frame events of
/// <see cref="DriverProtocol"/>, exchanged with a client that attached with <c>Batches: true</c>
/// (<see cref="DriverProtocol.AttachTx"/>, <see cref="DriverProtocol.AttachRx"/>). They stay inside one process: the
/// console cluster's link to a driver process attaches without batches, so they never cross a role boundary and are
/// not among the cluster serializer's messages.
/// </summary>
public static class DriverBatchProtocol
{
    /// <summary>
    /// Protocol (qdisc) → driver TX worker: the frames of one qdisc run, in order, each an <see cref="DriverProtocol.XmitSkbEvent"/>
    /// meaning exactly what it means alone; the driver writes all their descriptors and rings the doorbell once (one
    /// DMA pass of the NIC over them). Each skb completes on its own (<see cref="DriverProtocol.SendCompleteEvent"/>, or within a
    /// <see cref="SendCompleteBatchEvent"/> to a client attached with batches). Pooled (<see cref="MessageBatch{TSelf, TItem}"/>).
    /// </summary>
    public sealed record XmitSkbBatchEvent : MessageBatch<XmitSkbBatchEvent, DriverProtocol.XmitSkbEvent>;

    /// <summary>
    /// Driver TX worker → the TX client attached with <see cref="DriverProtocol.AttachTx.Batches"/>: the completions of its frames that
    /// one interrupt reclaimed, in ring order, each a <see cref="DriverProtocol.SendCompleteEvent"/> meaning what it means alone. Pooled.
    /// </summary>
    public sealed record SendCompleteBatchEvent : MessageBatch<SendCompleteBatchEvent, DriverProtocol.SendCompleteEvent>;

    /// <summary>
    /// Driver RX worker → the handler attached with <see cref="DriverProtocol.AttachRx.Batches"/>: the frames of one NAPI poll (at most
    /// <see cref="NicOptions.NapiBudget"/>), in ring order, each a <see cref="DriverProtocol.FrameReceivedEvent"/> the handler owns as
    /// it would own it alone. Pooled.
    /// </summary>
    public sealed record FrameReceivedBatchEvent : MessageBatch<FrameReceivedBatchEvent, DriverProtocol.FrameReceivedEvent>;
}
