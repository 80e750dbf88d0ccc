using Edsos.Scheduler.Faults;

namespace Edsos.Driver;

/// <summary>The driver's and the NIC's fault injection points (seed 000 stages 4 and 5, and the receive duals).</summary>
public static class DriverFaultPoints
{
    /// <summary>The driver pinned the skb and wrote its descriptors; the doorbell is not rung yet.</summary>
    public static readonly FaultPoint DescriptorsPosted = new("descriptors-posted", "with descriptors posted, not yet DMA-read", FaultKind.TsExit | FaultKind.DriverCrash | FaultKind.RingFull | FaultKind.SocketClose);

    /// <summary>The NIC is about to DMA-read a frame's buffers.</summary>
    public static readonly FaultPoint Dma = new("dma", "during the NIC's DMA", FaultKind.TsExit | FaultKind.DmaFail | FaultKind.SocketClose);

    /// <summary>The frame is on the wire; its descriptors are not written back yet.</summary>
    public static readonly FaultPoint AfterTransmit = new("after-transmit", "after transmit, before completion", FaultKind.TsExit | FaultKind.SocketClose);

    /// <summary>The driver reclaimed the frame and is about to signal <c>send_complete_event</c>.</summary>
    public static readonly FaultPoint Completion = new("completion", "in the completion chain", FaultKind.TsExit | FaultKind.DriverCrash | FaultKind.SocketClose);

    /// <summary>Receive dual of <see cref="Dma"/>: the NIC is about to DMA-write a frame into a posted RX buffer.</summary>
    public static readonly FaultPoint RxDma = new("rx-dma", "while the NIC DMA-writes a received frame", FaultKind.TsExit | FaultKind.DmaFail, isReceive: true);

    /// <summary>Receive dual of <see cref="Completion"/>: the driver RX worker is about to share a received frame up.</summary>
    public static readonly FaultPoint RxDriver = new("rx-driver", "as the driver shares a received frame up", FaultKind.TsExit | FaultKind.DriverCrash, isReceive: true);
}
