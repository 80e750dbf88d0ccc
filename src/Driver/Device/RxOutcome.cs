namespace Edsos.Driver.Device;

/// <summary>What <see cref="VirtualNic.Receive"/> did with a frame from the wire.</summary>
public enum RxOutcome
{
    /// <summary>DMA-written into the next posted buffer; its descriptor says DD | EOP.</summary>
    Delivered,

    /// <summary>No RX descriptor was posted (or RX is not configured): dropped, counted in RxMissed.</summary>
    Missed,

    /// <summary>Longer than an RX buffer or the maximum frame: dropped, counted in RxErrors; no descriptor used.</summary>
    TooLong,

    /// <summary>The DMA write into the posted buffer failed (not pinned): the descriptor completes with an error bit.</summary>
    DmaFault,
}
