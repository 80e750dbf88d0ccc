namespace Edsos.Protocol.Qdisc;

/// <summary>How a <see cref="PfifoFast{T}.Run"/> pass ended, which tells the caller whether to run again.</summary>
public enum QdiscRunResult
{
    /// <summary>The queue is empty: nothing to reschedule.</summary>
    Idle,

    /// <summary>The quota was used up with packets still queued: reschedule (Linux raises NET_TX_SOFTIRQ
    /// again) so other work gets the CPU in between.</summary>
    QuotaExhausted,

    /// <summary>The device refused a packet (ring full); it was put back at the head. Do not spin: run
    /// again when the device reports free space (netif_wake_queue).</summary>
    DeviceBusy,
}
