using System.Buffers;

namespace Edsos.Driver.Wires;

/// <summary>
/// An in-process wire. <see cref="CreatePair"/> connects two ends (two NICs): a frame transmitted
/// at one end is delivered to the receiver attached at the other. <see cref="CreateSelf"/> is a
/// single end looped to itself (a NIC in loopback mode). Delivery is synchronous on the
/// transmitting thread; the receiver (a device) copies the bytes and hands them to its own actor,
/// so frames cross by value and the hop to the peer is asynchronous. A frame handed over in a buffer of its own
/// (<see cref="TransmitOwned"/>) is passed to the receiver as it is, without that copy.
/// <para>
/// Fault injection, smoltcp style: <see cref="DropEveryNth"/> drops every n-th transmitted frame.
/// </para>
/// </summary>
public sealed class LoopbackWire : IWire
{
    private LoopbackWire? _peer;
    private IWireReceiver? _receiver;
    private long _transmitted;
    private long _bytes;
    private long _delivered;
    private long _dropped;
    private int _dropEveryNth;

    private LoopbackWire(string name)
    {
        Name = name;
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <summary>The far end: where this end's frames arrive.</summary>
    public LoopbackWire Peer => _peer!;

    /// <summary>
    /// When positive, every n-th frame transmitted at this end is dropped instead of delivered
    /// (counted in <see cref="WireCounters.FramesDropped"/>). Zero (the default) drops nothing.
    /// </summary>
    public int DropEveryNth
    {
        get => Volatile.Read(ref _dropEveryNth);
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            Volatile.Write(ref _dropEveryNth, value);
        }
    }

    /// <summary>What this end transmitted, and what happened to it.</summary>
    public WireCounters Counters => new(
        Interlocked.Read(ref _transmitted),
        Interlocked.Read(ref _bytes),
        Interlocked.Read(ref _delivered),
        Interlocked.Read(ref _dropped));

    /// <summary>Two connected ends, named <c>loopback:a</c> and <c>loopback:b</c>.</summary>
    public static (LoopbackWire A, LoopbackWire B) CreatePair()
    {
        var a = new LoopbackWire("loopback:a");
        var b = new LoopbackWire("loopback:b");
        a._peer = b;
        b._peer = a;
        return (a, b);
    }

    /// <summary>One end whose transmitted frames come back to its own receiver.</summary>
    public static LoopbackWire CreateSelf()
    {
        var wire = new LoopbackWire("loopback:self");
        wire._peer = wire;
        return wire;
    }

    /// <summary>Delivers <paramref name="frame"/> to the far end's receiver, or counts it dropped.</summary>
    public void Transmit(ReadOnlySpan<byte> frame)
    {
        var sequence = Interlocked.Increment(ref _transmitted);
        Interlocked.Add(ref _bytes, frame.Length);
        var nth = DropEveryNth;
        var receiver = Volatile.Read(ref _peer!._receiver);
        if (receiver is null || (nth > 0 && sequence % nth == 0))
        {
            Interlocked.Increment(ref _dropped);
            return;
        }

        receiver.OnFrame(frame);
        Interlocked.Increment(ref _delivered);
    }

    /// <summary>Hands <paramref name="buffer"/> to the far end's receiver as it is (no copy), or counts it dropped and returns it to the pool.</summary>
    public void TransmitOwned(byte[] buffer, int length)
    {
        var sequence = Interlocked.Increment(ref _transmitted);
        Interlocked.Add(ref _bytes, length);
        var nth = DropEveryNth;
        var receiver = Volatile.Read(ref _peer!._receiver);
        if (receiver is null || (nth > 0 && sequence % nth == 0))
        {
            Interlocked.Increment(ref _dropped);
            ArrayPool<byte>.Shared.Return(buffer);
            return;
        }

        receiver.OnFrameOwned(buffer, length);
        Interlocked.Increment(ref _delivered);
    }

    /// <inheritdoc />
    public void Attach(IWireReceiver receiver)
    {
        ArgumentNullException.ThrowIfNull(receiver);
        Volatile.Write(ref _receiver, receiver);
    }

    /// <inheritdoc />
    public void Detach(IWireReceiver receiver)
    {
        Interlocked.CompareExchange(ref _receiver, null, receiver);
    }
}
