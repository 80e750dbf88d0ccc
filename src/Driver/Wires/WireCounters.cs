namespace Edsos.Driver.Wires;

/// <summary>A snapshot of what a wire end carried.</summary>
/// <param name="FramesTransmitted">Frames put on the wire at this end.</param>
/// <param name="BytesTransmitted">Bytes of those frames.</param>
/// <param name="FramesDelivered">Frames handed to a receiver (at the far end for a pair, this end for a self loop).</param>
/// <param name="FramesDropped">Frames lost: no receiver attached, or dropped by fault injection.</param>
public readonly record struct WireCounters(long FramesTransmitted, long BytesTransmitted, long FramesDelivered, long FramesDropped);
