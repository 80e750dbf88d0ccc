using System.Buffers;

namespace Edsos.Driver.Wires;

/// <summary>
/// One end of a wire, as a device sees it: a sink for the frames the device transmits, and a
/// place where a receiver attaches to get the frames that arrive at this end. Frames are opaque
/// bytes (no FCS); the wire never parses them.
/// <para>
/// <see cref="Transmit"/> returns once the wire is done with <c>frame</c>: a wire that delivers
/// later copies the bytes first, so the caller may reuse its buffer at once. Implementations are
/// thread-safe: the transmitting device and the attached receiver run on different threads.
/// </para>
/// </summary>
public interface IWire
{
    /// <summary>A short name for logs and statistics (for example <c>loopback:a</c>).</summary>
    string Name { get; }

    /// <summary>
    /// Puts <paramref name="frame"/> on the wire. Never throws for a frame it cannot carry: it
    /// counts it as dropped (a wire loses frames, it does not fail the sender).
    /// </summary>
    void Transmit(ReadOnlySpan<byte> frame);

    /// <summary>
    /// Puts the first <paramref name="length"/> bytes of <paramref name="buffer"/> on the wire, handing the buffer over:
    /// it was rented from <see cref="ArrayPool{T}.Shared"/> and the caller never touches it again; the wire (or the
    /// receiver it hands it to) returns it. A wire that delivers in process may pass it to the far end's receiver as it
    /// is (<see cref="IWireReceiver.OnFrameOwned"/>), so the frame crosses by value without a copy. By default: as
    /// <see cref="Transmit"/>, then the buffer goes back to the pool.
    /// </summary>
    void TransmitOwned(byte[] buffer, int length)
    {
        try
        {
            Transmit(buffer.AsSpan(0, length));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// Attaches the receiver of the frames arriving at this end, replacing any previous one.
    /// Frames arriving with no receiver attached are dropped and counted.
    /// </summary>
    void Attach(IWireReceiver receiver);

    /// <summary>Detaches <paramref name="receiver"/> if it is the one attached; otherwise does nothing.</summary>
    void Detach(IWireReceiver receiver);
}
