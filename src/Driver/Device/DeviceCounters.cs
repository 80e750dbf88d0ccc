namespace Edsos.Driver.Device;

/// <summary>A snapshot of a <see cref="VirtualNic"/>'s statistics registers.</summary>
/// <param name="FramesSent">Frames put on the wire (GPTC).</param>
/// <param name="BytesSent">Bytes of those frames, without FCS (GOTC).</param>
/// <param name="FramesReceived">Frames DMA-written into an RX buffer (GPRC).</param>
/// <param name="BytesReceived">Bytes of those frames (GORC).</param>
/// <param name="RxMissed">Frames dropped because no RX descriptor was posted (MPC).</param>
/// <param name="TxErrors">Frames not sent: a buffer could not be DMA-read, the frame was too long, had too many descriptors, mixed descriptor formats, or was a TSO frame with a bad context (or on a device without TSO).</param>
/// <param name="RxErrors">Frames not received although a buffer was free: too long for it, or its DMA write failed.</param>
/// <param name="TxInterrupts">TX completion interrupts raised (one per processed batch).</param>
/// <param name="RxInterrupts">RX interrupts raised.</param>
/// <param name="TsoFrames">TSO super-frames the device cut into segments (each segment counts in <paramref name="FramesSent"/>).</param>
/// <param name="TsoSegments">Frames put on the wire by cutting TSO super-frames.</param>
public readonly record struct DeviceCounters(
    long FramesSent,
    long BytesSent,
    long FramesReceived,
    long BytesReceived,
    long RxMissed,
    long TxErrors,
    long RxErrors,
    long TxInterrupts,
    long RxInterrupts,
    long TsoFrames = 0,
    long TsoSegments = 0);
