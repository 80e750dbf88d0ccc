namespace Edsos.Driver.Wires;

/// <summary>
/// A tee in front of any wire end: every frame transmitted at this end and (unless turned off)
/// every frame delivered to this end is written to a <see cref="PcapWriter"/> before it goes on,
/// so the capture opens in Wireshark or tshark. Mirror one end of a pair to see both directions
/// once; mirroring both ends into one writer records each frame twice.
/// <para>
/// The capture never fails the wire: once the writer throws (disposed, disk full) the mirror
/// stops capturing, counts what it missed in <see cref="FramesNotCaptured"/>, and frames keep
/// flowing. Thread-safe (the writer serialises records).
/// </para>
/// </summary>
public sealed class PcapMirrorWire : IWire
{
    private readonly IWire _inner;
    private readonly PcapWriter _writer;
    private readonly TimeProvider _time;
    private readonly bool _captureReceived;
    private Tap? _tap;
    private long _captured;
    private long _notCaptured;
    private int _broken;

    /// <summary>
    /// Mirrors <paramref name="inner"/> into <paramref name="writer"/>, stamping records with
    /// <paramref name="time"/> (default: the system clock). The mirror does not own the writer;
    /// dispose it after the NIC has stopped.
    /// </summary>
    public PcapMirrorWire(IWire inner, PcapWriter writer, TimeProvider? time = null, bool captureReceived = true)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentNullException.ThrowIfNull(writer);
        _inner = inner;
        _writer = writer;
        _time = time ?? TimeProvider.System;
        _captureReceived = captureReceived;
    }

    /// <inheritdoc />
    public string Name => _inner.Name + "+pcap";

    /// <summary>The wire end being mirrored.</summary>
    public IWire Inner => _inner;

    /// <summary>Frames written to the capture.</summary>
    public long FramesCaptured => Interlocked.Read(ref _captured);

    /// <summary>Frames that passed while the capture was broken.</summary>
    public long FramesNotCaptured => Interlocked.Read(ref _notCaptured);

    /// <summary>Captures <paramref name="frame"/>, then transmits it on the inner wire.</summary>
    public void Transmit(ReadOnlySpan<byte> frame)
    {
        Capture(frame);
        _inner.Transmit(frame);
    }

    /// <summary>Attaches <paramref name="receiver"/> behind a tap that captures what arrives (when enabled).</summary>
    public void Attach(IWireReceiver receiver)
    {
        ArgumentNullException.ThrowIfNull(receiver);
        var tap = new Tap(this, receiver);
        Volatile.Write(ref _tap, tap);
        _inner.Attach(tap);
    }

    /// <inheritdoc />
    public void Detach(IWireReceiver receiver)
    {
        var tap = Volatile.Read(ref _tap);
        if (tap is not null && ReferenceEquals(tap.Receiver, receiver))
        {
            _inner.Detach(tap);
            Interlocked.CompareExchange(ref _tap, null, tap);
        }
    }

    private void Capture(ReadOnlySpan<byte> frame)
    {
        if (Volatile.Read(ref _broken) != 0)
        {
            Interlocked.Increment(ref _notCaptured);
            return;
        }

        try
        {
            _writer.WriteFrame(frame, _time.GetUtcNow());
            Interlocked.Increment(ref _captured);
        }
        catch (Exception exception) when (exception is ObjectDisposedException or IOException or NotSupportedException)
        {
            // A capture is a diagnostic: losing it must not lose the frame.
            Volatile.Write(ref _broken, 1);
            Interlocked.Increment(ref _notCaptured);
        }
    }

    private sealed class Tap : IWireReceiver
    {
        private readonly PcapMirrorWire _mirror;

        public Tap(PcapMirrorWire mirror, IWireReceiver receiver)
        {
            _mirror = mirror;
            Receiver = receiver;
        }

        public IWireReceiver Receiver { get; }

        public void OnFrame(ReadOnlySpan<byte> frame)
        {
            if (_mirror._captureReceived)
            {
                _mirror.Capture(frame);
            }

            Receiver.OnFrame(frame);
        }
    }
}
