using Edsos.Driver.Wires;

namespace Edsos.Scenarios.Tests.Wires;

/// <summary>
/// A wire end that passes everything on and watches what its device transmits: how many frames, and the
/// longest. Sits between a NIC and its real wire end, so it sees exactly what the NIC put on the wire (after
/// any segmentation offload). It can also lose one frame: the <c>dropTcpDataFrame</c>-th TCP frame that
/// carries payload (1-based; 0 loses none), for a retransmission at a known place. The TCP payload length of every
/// data frame it passed is recorded (<see cref="DataPayloads"/>).
/// </summary>
internal sealed class FrameSizeWire(IWire inner, int dropTcpDataFrame = 0) : IWire
{
    private long _frames;
    private int _longest;
    private int _tcpDataFrames;
    private byte[]? _dropped;
    private readonly System.Collections.Concurrent.ConcurrentQueue<int> _dataPayloads = new();

    public string Name => inner.Name + "+watch";

    /// <summary>Frames transmitted at this end.</summary>
    public long Frames => Interlocked.Read(ref _frames);

    /// <summary>The longest frame transmitted at this end, in bytes (without FCS).</summary>
    public int Longest => Volatile.Read(ref _longest);

    /// <summary>The TCP payload bytes of each data frame this end put on the wire, in order (the lost one excluded).</summary>
    public IReadOnlyCollection<int> DataPayloads => _dataPayloads;

    /// <summary>The frame this end lost on purpose, once it has.</summary>
    public byte[]? Dropped => Volatile.Read(ref _dropped);

    public void Transmit(ReadOnlySpan<byte> frame)
    {
        Interlocked.Increment(ref _frames);
        int seen = Volatile.Read(ref _longest);
        while (frame.Length > seen)
        {
            int before = Interlocked.CompareExchange(ref _longest, frame.Length, seen);
            if (before == seen)
            {
                break;
            }

            seen = before;
        }

        int payload = TcpPayload(frame);
        if (dropTcpDataFrame > 0 && payload > 0 && Interlocked.Increment(ref _tcpDataFrames) == dropTcpDataFrame)
        {
            Volatile.Write(ref _dropped, frame.ToArray());
            return;
        }

        if (payload > 0)
        {
            _dataPayloads.Enqueue(payload);
        }

        inner.Transmit(frame);
    }

    // Ethernet II, IPv4 (0x0800), protocol 6: the TCP payload after both headers (RFC 791, RFC 9293 data offset); 0 for anything else.
    private static int TcpPayload(ReadOnlySpan<byte> frame)
    {
        if (frame.Length < 54 || frame[12] != 0x08 || frame[13] != 0x00 || frame[23] != 6)
        {
            return 0;
        }

        int ipHeader = (frame[14] & 0x0F) * 4;
        int totalLength = (frame[16] << 8) | frame[17];
        int tcpHeader = (frame[14 + ipHeader + 12] >> 4) * 4;
        return Math.Max(0, totalLength - ipHeader - tcpHeader);
    }

    public void Attach(IWireReceiver receiver) => inner.Attach(receiver);

    public void Detach(IWireReceiver receiver) => inner.Detach(receiver);
}
