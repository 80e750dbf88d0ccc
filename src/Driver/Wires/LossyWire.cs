namespace Edsos.Driver.Wires;

/// <summary>
/// A faulty wire end in front of another (smoltcp's fault injector): each frame transmitted here is dropped,
/// duplicated, or held back and delivered after the next one (reordered, or after a short delay when none
/// follows), as a PRNG seeded by <see cref="LossyWireOptions.Seed"/> decides, one draw sequence per frame
/// in transmit order. The schedule of which frame suffers what is therefore deterministic for a given
/// sequence of frames, so retransmission and recovery can be tested reproducibly. Thread-safe (one lock
/// around the schedule; frames are copied only when held back).
/// </summary>
public sealed class LossyWire : IWire, IDisposable
{
    private readonly IWire _inner;
    private readonly LossyWireOptions _options;
    private readonly Random _random;
    private readonly object _gate = new();
    private readonly Timer _flush;
    private byte[]? _held;
    private long _transmitted;
    private long _dropped;
    private long _duplicated;
    private long _reordered;
    private volatile bool _armed = true;

    /// <summary>Puts the fault schedule <paramref name="options"/> in front of <paramref name="inner"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public LossyWire(IWire inner, LossyWireOptions options)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _inner = inner;
        _options = options;
        _random = new Random(options.Seed);
        _flush = new Timer(_ => FlushHeld(), null, Timeout.Infinite, Timeout.Infinite);
    }

    /// <inheritdoc />
    public string Name => _inner.Name + "+lossy";

    /// <summary>
    /// True (the default): frames go through the fault schedule. False: every frame passes untouched and draws nothing,
    /// so the schedule starts where it would have when the wire is armed (the TCP demo pings before it arms the loss).
    /// </summary>
    public bool Armed
    {
        get => _armed;
        set => _armed = value;
    }

    /// <summary>Frames transmitted at this end.</summary>
    public long FramesTransmitted => Interlocked.Read(ref _transmitted);

    /// <summary>Frames dropped by the schedule.</summary>
    public long FramesDropped => Interlocked.Read(ref _dropped);

    /// <summary>Frames delivered twice.</summary>
    public long FramesDuplicated => Interlocked.Read(ref _duplicated);

    /// <summary>Frames delivered after their successor.</summary>
    public long FramesReordered => Interlocked.Read(ref _reordered);

    /// <summary>Transmits <paramref name="frame"/> through the fault schedule.</summary>
    public void Transmit(ReadOnlySpan<byte> frame)
    {
        Interlocked.Increment(ref _transmitted);
        if (!_armed)
        {
            lock (_gate)
            {
                _inner.Transmit(frame);
            }

            return;
        }

        bool subject = !_options.IpOnly || (frame.Length >= 14 && frame[12] == 0x08 && frame[13] == 0x00);
        lock (_gate)
        {
            // Three draws per frame whatever happens, so one fault never shifts the schedule of the others.
            double drop = _random.NextDouble();
            double duplicate = _random.NextDouble();
            double reorder = _random.NextDouble();
            if (subject && drop < _options.Drop)
            {
                Interlocked.Increment(ref _dropped);
                return;
            }

            if (subject && _held is null && reorder < _options.Reorder)
            {
                _held = frame.ToArray();
                Interlocked.Increment(ref _reordered);
                _flush.Change(_options.Delay, Timeout.InfiniteTimeSpan);
                return;
            }

            _inner.Transmit(frame);
            if (subject && duplicate < _options.Duplicate)
            {
                Interlocked.Increment(ref _duplicated);
                _inner.Transmit(frame);
            }

            if (_held is { } held)
            {
                _held = null;
                _inner.Transmit(held);
            }
        }
    }

    /// <inheritdoc />
    public void Attach(IWireReceiver receiver) => _inner.Attach(receiver);

    /// <inheritdoc />
    public void Detach(IWireReceiver receiver) => _inner.Detach(receiver);

    /// <summary>Stops the delay timer; a frame still held back is delivered first.</summary>
    public void Dispose()
    {
        FlushHeld();
        _flush.Dispose();
    }

    private void FlushHeld()
    {
        lock (_gate)
        {
            if (_held is { } held)
            {
                _held = null;
                _inner.Transmit(held);
            }
        }
    }
}
