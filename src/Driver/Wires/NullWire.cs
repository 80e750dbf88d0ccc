namespace Edsos.Driver.Wires;

/// <summary>
/// A wire that counts and discards every frame, for benchmarks where only the transmit path
/// matters. Nothing ever arrives at it, so an attached receiver is never called.
/// </summary>
public sealed class NullWire : IWire
{
    private long _frames;
    private long _bytes;

    /// <inheritdoc />
    public string Name => "null";

    /// <summary>What the wire swallowed so far.</summary>
    public WireCounters Counters => new(Interlocked.Read(ref _frames), Interlocked.Read(ref _bytes), 0, Interlocked.Read(ref _frames));

    /// <summary>Counts the frame and forgets it.</summary>
    public void Transmit(ReadOnlySpan<byte> frame)
    {
        Interlocked.Increment(ref _frames);
        Interlocked.Add(ref _bytes, frame.Length);
    }

    /// <summary>Accepted and ignored: nothing arrives on a null wire.</summary>
    public void Attach(IWireReceiver receiver)
    {
        ArgumentNullException.ThrowIfNull(receiver);
    }

    /// <summary>Accepted and ignored.</summary>
    public void Detach(IWireReceiver receiver)
    {
    }
}
