namespace Edsos.Driver.Wires;

/// <summary>
/// The receive-side twin of <see cref="LossyWire"/>: frames arriving at this end go through a fault schedule
/// (drop, duplicate, reorder, seeded) before the attached receiver sees them; frames transmitted here pass
/// untouched. It lets a test lose what a peer it does not control sends (the Linux kernel behind a
/// <see cref="TapWire"/>), so that peer's recovery is exercised. The schedule is a <see cref="LossyWire"/>
/// whose far end is the receiver, so both directions share one implementation of the faults.
/// </summary>
public sealed class InboundLossyWire : IWire, IDisposable
{
    private readonly IWire _inner;
    private readonly LossyWire _schedule;
    private readonly Arrivals _arrivals;
    private IWireReceiver? _receiver;

    /// <summary>Puts the fault schedule <paramref name="options"/> on the frames arriving at <paramref name="inner"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public InboundLossyWire(IWire inner, LossyWireOptions options)
    {
        ArgumentNullException.ThrowIfNull(inner);
        _inner = inner;
        _schedule = new LossyWire(new Deliver(this), options);
        _arrivals = new Arrivals(_schedule);
    }

    /// <inheritdoc />
    public string Name => _inner.Name + "+inbound-lossy";

    /// <summary>Arriving frames the schedule dropped.</summary>
    public long FramesDropped => _schedule.FramesDropped;

    /// <summary>Passes <paramref name="frame"/> to the inner wire untouched.</summary>
    public void Transmit(ReadOnlySpan<byte> frame) => _inner.Transmit(frame);

    /// <summary>Attaches <paramref name="receiver"/> behind the fault schedule.</summary>
    public void Attach(IWireReceiver receiver)
    {
        ArgumentNullException.ThrowIfNull(receiver);
        Volatile.Write(ref _receiver, receiver);
        _inner.Attach(_arrivals);
    }

    /// <inheritdoc />
    public void Detach(IWireReceiver receiver)
    {
        if (Interlocked.CompareExchange(ref _receiver, null, receiver) == receiver)
        {
            _inner.Detach(_arrivals);
        }
    }

    /// <summary>Delivers a frame still held back for reordering, then stops the schedule's timer.</summary>
    public void Dispose() => _schedule.Dispose();

    private sealed class Arrivals(LossyWire schedule) : IWireReceiver
    {
        public void OnFrame(ReadOnlySpan<byte> frame) => schedule.Transmit(frame);
    }

    /// <summary>The schedule's far end: the receiver attached to the outer wire.</summary>
    private sealed class Deliver(InboundLossyWire owner) : IWire
    {
        public string Name => owner.Name;

        public void Transmit(ReadOnlySpan<byte> frame) => Volatile.Read(ref owner._receiver)?.OnFrame(frame);

        public void Attach(IWireReceiver receiver)
        {
        }

        public void Detach(IWireReceiver receiver)
        {
        }
    }
}
