namespace Edsos.Driver;

/// <summary>How a transmit ended.</summary>
public enum TxStatus
{
    /// <summary>Put on the wire.</summary>
    Sent,

    /// <summary>The skb's GVA no longer translates (its origin TS exited): dropped, nothing sent.</summary>
    InvalidGva,

    /// <summary>The ring had no room for the skb's descriptors: dropped.</summary>
    RingFull,

    /// <summary>The skb has more extents than a frame may have descriptors, or is longer than a frame.</summary>
    Malformed,

    /// <summary>The NIC was stopped before the frame left: dropped, unpinned and popped.</summary>
    Aborted,

    /// <summary>The NIC wrote the descriptor back with an error (its DMA read failed, for example a lifted page): nothing sent.</summary>
    DeviceError,

    /// <summary>
    /// The skb asked for an offload (TCP segmentation) that this NIC does not have enabled
    /// (<see cref="NicOptions.Tso"/> false): dropped, nothing sent. The driver never puts a super-frame
    /// on the wire whole.
    /// </summary>
    OffloadUnsupported,
}
