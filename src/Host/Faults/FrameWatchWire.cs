using Edsos.Driver.Wires;

namespace Edsos.Host.Faults;

/// <summary>
/// A wire end that passes every frame on to <see cref="Inner"/> and watches the frames transmitted
/// through it for one app's traffic: UDP datagrams (first fragments) from
/// <see cref="WatchedSourcePort"/>, or frames holding <see cref="WatchedPattern"/>. Once
/// <see cref="Mark"/> was called (the app's TS was lifted), every such frame is counted in
/// <see cref="WatchedAfterMark"/>: a frame built from a lifted or freed page. Thread-safe.
/// </summary>
public sealed class FrameWatchWire : IWire
{
    private const int EthernetHeader = 14;
    private readonly IWire _inner;
    private long _frames;
    private long _watched;
    private long _watchedAfterMark;
    private int _marked;

    /// <summary>Wraps <paramref name="inner"/>.</summary>
    public FrameWatchWire(IWire inner)
    {
        ArgumentNullException.ThrowIfNull(inner);
        _inner = inner;
    }

    /// <summary>The wrapped wire end.</summary>
    public IWire Inner => _inner;

    /// <inheritdoc />
    public string Name => _inner.Name + "+watch";

    /// <summary>The UDP source port of the watched app (0: none).</summary>
    public ushort WatchedSourcePort { get; set; }

    /// <summary>A byte pattern only the watched app's payload holds (null: none).</summary>
    public byte[]? WatchedPattern { get; set; }

    /// <summary>Frames transmitted through this end.</summary>
    public long Frames => Interlocked.Read(ref _frames);

    /// <summary>Frames of the watched app.</summary>
    public long Watched => Interlocked.Read(ref _watched);

    /// <summary>Frames of the watched app transmitted after <see cref="Mark"/>: each one carried bytes of a lifted page.</summary>
    public long WatchedAfterMark => Interlocked.Read(ref _watchedAfterMark);

    /// <summary>True once <see cref="Mark"/> was called.</summary>
    public bool IsMarked => Volatile.Read(ref _marked) != 0;

    /// <summary>From now on, a watched frame is a frame from a lifted page (call it when the app's TS is lifted).</summary>
    public void Mark() => Volatile.Write(ref _marked, 1);

    /// <inheritdoc />
    public void Transmit(ReadOnlySpan<byte> frame)
    {
        Interlocked.Increment(ref _frames);
        if (IsWatched(frame))
        {
            Interlocked.Increment(ref _watched);
            if (IsMarked)
            {
                Interlocked.Increment(ref _watchedAfterMark);
            }
        }

        _inner.Transmit(frame);
    }

    /// <inheritdoc />
    public void Attach(IWireReceiver receiver) => _inner.Attach(receiver);

    /// <inheritdoc />
    public void Detach(IWireReceiver receiver) => _inner.Detach(receiver);

    private bool IsWatched(ReadOnlySpan<byte> frame)
    {
        if (WatchedPattern is { Length: > 0 } pattern && frame.IndexOf(pattern) >= 0)
        {
            return true;
        }

        var port = WatchedSourcePort;
        if (port == 0 || frame.Length < EthernetHeader + 20 || frame[12] != 0x08 || frame[13] != 0x00)
        {
            return false;
        }

        var ip = frame[EthernetHeader..];
        var headerLength = (ip[0] & 0x0F) * 4;
        var fragmentOffset = ((ip[6] & 0x1F) << 8) | ip[7];
        if (ip[9] != 17 || fragmentOffset != 0 || ip.Length < headerLength + 8)
        {
            return false;
        }

        return ((ip[headerLength] << 8) | ip[headerLength + 1]) == port;
    }
}
