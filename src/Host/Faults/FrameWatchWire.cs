using Edsos.Driver.Wires;

namespace Edsos.Host.Faults;

/// <summary>
/// A wire end that passes every frame on to <see cref="Inner"/> and watches the frames transmitted
/// through it for one app's traffic: UDP datagrams from <see cref="WatchedSourcePort"/> (the first
/// fragment carries the port; later fragments are known by the first one's IP identification, as
/// the stack sends a datagram's fragments in order), or frames holding <see cref="WatchedPattern"/>. Once
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

    // IP identifications of watched datagrams whose last fragment has not passed yet.
    private readonly HashSet<ushort> _openDatagrams = [];

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
        var moreFragments = (ip[6] & 0x20) != 0;
        var identification = (ushort)((ip[4] << 8) | ip[5]);
        if (ip[9] != 17)
        {
            return false;
        }

        lock (_openDatagrams)
        {
            if (fragmentOffset != 0)
            {
                var watched = _openDatagrams.Contains(identification);
                if (watched && !moreFragments)
                {
                    _openDatagrams.Remove(identification);
                }

                return watched;
            }

            if (ip.Length < headerLength + 8 || ((ip[headerLength] << 8) | ip[headerLength + 1]) != port)
            {
                return false;
            }

            if (moreFragments)
            {
                _openDatagrams.Add(identification);
            }

            return true;
        }
    }
}
