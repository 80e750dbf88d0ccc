using Edsos.Memory;
using Edsos.Protocol.Tcp;
using Edsos.Protocol.Tcp.Core;
using Edsos.Protocol.Wire;

namespace Edsos.Protocol.Tests.Tcp.Core;

/// <summary>
/// Drives one <see cref="TcpConnection"/> the way smoltcp's socket tests drive <c>socket/tcp.rs</c>: segments in as
/// <see cref="TcpRepr"/>s, a manual clock, what it sends recorded by <see cref="RecordingHost"/>. No actor system: a real
/// <see cref="MemoryManager"/> holds the payload nodes so ownership (every node released exactly once) is checked too.
/// The test plays the peer at <see cref="Remote"/>; small MSS (100) and fixed sequence numbers keep the arithmetic plain.
/// </summary>
public sealed class CoreHarness : IDisposable
{
    public const uint OurIss = 1000;
    public const uint PeerIss = 5000;
    public const int Mss = 100;

    public static readonly Ipv4Endpoint Local = new(Ipv4Address.Parse("10.0.0.1"), 7);
    public static readonly Ipv4Endpoint Remote = new(Ipv4Address.Parse("10.0.0.2"), 40000);

    private ulong _nextToken;

    public CoreHarness(Func<TcpOptions, TcpOptions>? tune = null, int receiveWindow = 65535, bool segmentationOffload = false)
    {
        SegmentationOffload = segmentationOffload;
        var options = new TcpOptions { Mss = Mss, TailLossProbe = false, UserTimeout = TimeSpan.Zero };
        Options = tune?.Invoke(options) ?? options;
        ReceiveWindow = receiveWindow;
        Memory = new MemoryManager(1024);
        Ts = Memory.CreateTs("/net/ipv4/tx/tcp").Unwrap();
        Host = new RecordingHost(Memory, Ts);
    }

    public TcpOptions Options { get; }

    public int ReceiveWindow { get; }

    /// <summary>The connection may send TSO super-segments (an MTU of 1500).</summary>
    public bool SegmentationOffload { get; }

    public MemoryManager Memory { get; }

    public TsId Ts { get; }

    public RecordingHost Host { get; }

    public TcpStatistics Stats { get; } = new();

    public DateTimeOffset Now { get; private set; } = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public TcpConnection Connection { get; private set; } = null!;

    public TcpConnection Create(uint iss = OurIss)
    {
        Connection = new TcpConnection(1, Local, Remote, iss, ReceiveWindow, Options, Memory, Ts, Host, Stats, SegmentationOffload);
        return Connection;
    }

    /// <summary>A segment from the peer (ports filled in).</summary>
    public static TcpRepr Peer(uint sequence, uint ack, TcpFlags flags, ushort window = 65535, ushort mss = 0, byte? windowScale = null) =>
        new(Remote.Port, Local.Port, sequence, ack, flags, window, mss, windowScale);

    /// <summary>Active open to the peer; returns our SYN.</summary>
    public TcpRepr OpenActive()
    {
        Create().Open(Now);
        return Take().Header;
    }

    /// <summary>Active open completed by the peer's SYN-ACK (after <paramref name="rtt"/>); our ACK taken.</summary>
    public void EstablishActive(ushort window = 65535, byte? windowScale = null, TimeSpan? rtt = null)
    {
        OpenActive();
        Elapse(rtt ?? TimeSpan.FromMilliseconds(10));
        Process(Peer(PeerIss, OurIss + 1, TcpFlags.Syn | TcpFlags.Ack, window, 1460, windowScale));
        var ack = Take().Header;
        Assert.Equal(TcpFlags.Ack, ack.Flags);
        Assert.Equal(TcpState.Established, Connection.State);
    }

    /// <summary>Passive open from the peer's SYN; returns our SYN-ACK.</summary>
    public TcpRepr AcceptPassive(ushort window = 65535, byte? windowScale = null, byte[]? synData = null)
    {
        Create();
        var syn = Peer(PeerIss, 0, TcpFlags.Syn, window, 1460, windowScale);
        Connection.Accept(syn, Node(synData), synData?.Length ?? 0, Now);
        return Take().Header;
    }

    /// <summary>Passive open completed by the peer's ACK.</summary>
    public void EstablishPassive(ushort window = 65535, byte? windowScale = null)
    {
        AcceptPassive(window, windowScale);
        Elapse(TimeSpan.FromMilliseconds(10));
        Process(Peer(PeerIss + 1, OurIss + 1, TcpFlags.Ack, window));
        Assert.Equal(TcpState.Established, Connection.State);
    }

    /// <summary>The peer's segment arrives, with <paramref name="payload"/> in a fresh node of the TCP TS.</summary>
    public void Process(TcpRepr header, byte[]? payload = null) =>
        Connection.Process(header, Node(payload), payload?.Length ?? 0, Now);

    /// <summary>The app sends <paramref name="length"/> bytes (0, 1, 2, ... mod 251) in one chunk.</summary>
    public SendChunk Send(int length)
    {
        var data = new byte[length];
        for (int i = 0; i < length; i++)
        {
            data[i] = (byte)(i % 251);
        }

        var node = Node(data);
        var gva = Memory.Inspect(Ts, node).Unwrap().Gva;
        return Connection.Send(++_nextToken, node, gva, length, default, Now);
    }

    /// <summary>A node of the TCP TS holding <paramref name="data"/> (default for none).</summary>
    public Capability Node(byte[]? data)
    {
        if (data is null || data.Length == 0)
        {
            return default;
        }

        var node = Memory.Push(Ts, "seg", data.Length).Unwrap();
        Memory.Write(Ts, node, 0, data, CopyKind.Payload).ThrowIfFailed();
        return node;
    }

    /// <summary>Moves the clock on without polling.</summary>
    public void Elapse(TimeSpan by) => Now += by;

    /// <summary>Moves the clock on by <paramref name="by"/>, polling at every deadline on the way as the worker's timer would.</summary>
    public void Advance(TimeSpan by)
    {
        var target = Now + by;
        for (int guard = 0; guard < 10_000 && Connection.PollAt is { } at && at <= target; guard++)
        {
            if (at > Now)
            {
                Now = at;
            }

            Connection.Poll(Now);
        }

        Now = target;
    }

    /// <summary>The next segment the connection sent.</summary>
    public SentSegment Take()
    {
        Assert.True(Host.Sent.Count > 0, "expected a segment, none was sent");
        return Host.Sent.Dequeue();
    }

    /// <summary>Every segment sent so far.</summary>
    public List<SentSegment> TakeAll()
    {
        var all = new List<SentSegment>(Host.Sent);
        Host.Sent.Clear();
        return all;
    }

    public void ExpectNone() => Assert.True(Host.Sent.Count == 0, $"expected nothing sent, got {(Host.Sent.Count > 0 ? Host.Sent.Peek().ToString() : "")}");

    /// <summary>Deletes the connection if alive and asserts the TCP TS holds no node and nothing was released twice.</summary>
    public void AssertNoLeak()
    {
        Connection?.Delete(Errno.None);
        var report = Memory.GetLeakReport(Ts);
        Assert.True(report.Nodes.Count == 0 && report.DoubleReleases.Count == 0, report.ToString());
        Assert.Equal(0L, Memory.DoubleReleaseCount);
    }

    public void Dispose() => Memory.Dispose();
}
