using Edsos.Memory;
using Edsos.Protocol.Tcp.Core;
using Edsos.Protocol.Wire;

namespace Edsos.Protocol.Tests.Tcp.Core;

/// <summary>
/// A segment as the connection sent it, with its payload bytes read out of the chunks it spans, the nodes its TS held
/// then and how many send chunks its payload touched.
/// </summary>
public sealed record SentSegment(TcpRepr Header, byte[] Payload, int GsoSize, int NodesHeld, int Chunks)
{
    public uint Sequence => Header.Sequence;

    public uint Ack => Header.Acknowledgement;

    public TcpFlags Flags => Header.Flags;
}

/// <summary>
/// The <see cref="ITcpConnectionHost"/> of the core tests: records what a connection sends and tells, reads delivered
/// bytes and releases their nodes (it owns them once delivered). <see cref="Outcome"/> makes transmissions fail.
/// </summary>
public sealed class RecordingHost : ITcpConnectionHost
{
    private readonly MemoryManager _memory;
    private readonly TsId _ts;

    public RecordingHost(MemoryManager memory, TsId ts)
    {
        _memory = memory;
        _ts = ts;
    }

    public Queue<SentSegment> Sent { get; } = new();

    public List<byte> Received { get; } = new();

    public int Deliveries { get; private set; }

    public int EstablishedCount { get; private set; }

    public int EndOfStreamCount { get; private set; }

    public int ChunksReleasedCount { get; private set; }

    public Errno? ClosedWith { get; private set; }

    public int ClosedCount { get; private set; }

    /// <summary>What <see cref="ITcpConnectionHost.Transmit"/> answers.</summary>
    public TransmitOutcome Outcome { get; set; } = TransmitOutcome.Sent;

    /// <summary>What <see cref="ITcpConnectionHost.Established"/> answers.</summary>
    public bool AcceptEstablished { get; set; } = true;

    /// <summary>What <see cref="ITcpConnectionHost.Deliver"/> answers (false: the reader is gone).</summary>
    public bool ReaderPresent { get; set; } = true;

    public TransmitOutcome Transmit(TcpConnection connection, in TcpSegment segment)
    {
        if (Outcome != TransmitOutcome.Sent)
        {
            return Outcome;
        }

        // The payload runs from the first chunk on into the following ones (SendChunk.Next), as the worker reads it.
        var payload = new byte[segment.Length];
        int chunks = 0;
        int offset = segment.Offset;
        for (var (piece, at) = (segment.Chunk, 0); at < segment.Length; piece = piece!.Next, offset = 0)
        {
            Assert.NotNull(piece);
            int take = Math.Min(segment.Length - at, piece!.Length - offset);
            _memory.Read(_ts, piece.Node, offset, payload.AsSpan(at, take), CopyKind.Payload).ThrowIfFailed();
            at += take;
            chunks++;
        }

        Sent.Enqueue(new SentSegment(segment.Header, payload, segment.GsoSize, _memory.GetLeakReport(_ts).Nodes.Count, chunks));
        return TransmitOutcome.Sent;
    }

    public bool Deliver(TcpConnection connection, Capability node, int length)
    {
        var bytes = new byte[length];
        _memory.Read(_ts, node, 0, bytes, CopyKind.Payload).ThrowIfFailed();
        _memory.Release(_ts, node).ThrowIfFailed();
        if (!ReaderPresent)
        {
            return false;
        }

        Received.AddRange(bytes);
        Deliveries++;
        return true;
    }

    public bool Established(TcpConnection connection)
    {
        EstablishedCount++;
        return AcceptEstablished;
    }

    public void EndOfStream(TcpConnection connection) => EndOfStreamCount++;

    public void ChunksReleased(TcpConnection connection) => ChunksReleasedCount++;

    public void Closed(TcpConnection connection, Errno error)
    {
        ClosedCount++;
        ClosedWith = error;
    }
}
