using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Edsos.Scheduler.Tracing;

namespace Edsos.Driver.Wires;

/// <summary>
/// A wire end that crosses OS processes: each Ethernet frame is one UDP datagram from this end's
/// socket (bound to <c>127.0.0.1:LocalPort</c>) to the peer end's port. Two processes, each holding
/// one end, join their NICs as <see cref="LoopbackWire.CreatePair"/> joins two NICs in one process.
/// <para>
/// Order: Linux's loopback keeps a socket pair's datagrams in order, so frames arrive in the order
/// they were transmitted. Loss: a datagram the peer's socket has no room for, or that finds no peer
/// (its process is gone: the kernel answers with ICMP port unreachable, which surfaces as a failed
/// send), is a lost frame, counted, never an exception for the sender. A peer that comes back on
/// the same port (a restarted process) is reached again without anything to do here.
/// </para>
/// <para>
/// Threads: <see cref="Transmit"/> runs on the device's thread (one <c>sendto</c>, no copy of ours:
/// the kernel copies the frame into the datagram, as a real NIC's DMA would put it on the cable);
/// one background thread per end blocks in <c>recv</c> and calls the attached receiver, which copies
/// the frame before handing it on (<see cref="IWireReceiver"/>). <see cref="Dispose"/> closes the
/// socket, which ends that thread.
/// </para>
/// <para>
/// Tracing: in one process a frame reaches the peer's device on the sender's thread, so the peer's receive
/// path joins the sender's trace by itself. Across processes the context rides in front of the frame: each
/// datagram starts with a one-byte tag (0: no context; 1: 16 bytes of trace id, 8 of span id, 1 of flags
/// follow), and the reader makes it the context of the receiver's Tells (<see cref="RemoteTraceScope"/>). The
/// frame the receiver and a pcap mirror see is the Ethernet frame alone.
/// </para>
/// </summary>
public sealed class UdpWire : IWire, IDisposable
{
    /// <summary>The largest frame the wire carries (a UDP datagram's payload over IPv4).</summary>
    public const int MaxFrame = 65507 - ContextHeader;

    private const int ContextHeader = 1 + 16 + 8 + 1;

    private readonly Socket _socket;
    private readonly IPEndPoint _peer;
    private readonly Thread _reader;
    private IWireReceiver? _receiver;
    private long _transmitted;
    private long _bytes;
    private long _delivered;
    private long _dropped;
    private long _received;
    private int _disposed;

    /// <summary>
    /// Binds <c>127.0.0.1:<paramref name="localPort"/></c> (0: a free port, see <see cref="LocalPort"/>)
    /// and sends to <c>127.0.0.1:<paramref name="peerPort"/></c>. Throws <see cref="SocketException"/>
    /// when the port cannot be bound (in use).
    /// </summary>
    public UdpWire(int localPort, int peerPort)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(localPort);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(localPort, IPEndPoint.MaxPort);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(peerPort);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(peerPort, IPEndPoint.MaxPort);
        _socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            // Room for a burst of frames (a TCP window, a fragmented datagram); the kernel caps it at rmem_max.
            _socket.ReceiveBufferSize = 4 * 1024 * 1024;
            _socket.SendBufferSize = 4 * 1024 * 1024;
            _socket.Bind(new IPEndPoint(IPAddress.Loopback, localPort));
        }
        catch
        {
            _socket.Dispose();
            throw;
        }

        LocalPort = ((IPEndPoint)_socket.LocalEndPoint!).Port;
        _peer = new IPEndPoint(IPAddress.Loopback, peerPort);
        Name = $"udp:{LocalPort}->{peerPort}";
        _reader = new Thread(ReadLoop) { IsBackground = true, Name = Name };
        _reader.Start();
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <summary>The port this end is bound to on 127.0.0.1 (where the peer sends).</summary>
    public int LocalPort { get; }

    /// <summary>What this end transmitted (delivered = handed to the kernel), and what was lost.</summary>
    public WireCounters Counters => new(
        Interlocked.Read(ref _transmitted),
        Interlocked.Read(ref _bytes),
        Interlocked.Read(ref _delivered),
        Interlocked.Read(ref _dropped));

    /// <summary>Frames that arrived at this end (with or without a receiver attached).</summary>
    public long FramesReceived => Interlocked.Read(ref _received);

    /// <summary>Sends <paramref name="frame"/> as one datagram to the peer; a frame that cannot go is counted dropped.</summary>
    public void Transmit(ReadOnlySpan<byte> frame)
    {
        Interlocked.Increment(ref _transmitted);
        Interlocked.Add(ref _bytes, frame.Length);
        if (frame.Length > MaxFrame || Volatile.Read(ref _disposed) != 0)
        {
            Interlocked.Increment(ref _dropped);
            return;
        }

        var context = TracingMessageQueue.Capture();
        int header = context == default ? 1 : ContextHeader;
        byte[] datagram = System.Buffers.ArrayPool<byte>.Shared.Rent(header + frame.Length);
        try
        {
            WriteContext(datagram, context);
            frame.CopyTo(datagram.AsSpan(header));
            _socket.SendTo(datagram.AsSpan(0, header + frame.Length), SocketFlags.None, _peer);
            Interlocked.Increment(ref _delivered);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // No peer (ICMP port unreachable from an earlier frame), a full buffer, or closed: a lost frame.
            Interlocked.Increment(ref _dropped);
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(datagram);
        }
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

    /// <summary>Closes the socket; the reader thread ends and nothing arrives or leaves any more.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        // Shutdown wakes the thread blocked in recv; closing alone may not on every platform.
        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException)
        {
            // Not connected: nothing to shut down; Close below still ends the read.
        }

        _socket.Close();
        if (Thread.CurrentThread != _reader)
        {
            _reader.Join(TimeSpan.FromSeconds(2));
        }
    }

    private void ReadLoop()
    {
        byte[] buffer = new byte[MaxFrame + ContextHeader];
        EndPoint from = new IPEndPoint(IPAddress.Any, 0);
        while (Volatile.Read(ref _disposed) == 0)
        {
            int length;
            try
            {
                length = _socket.ReceiveFrom(buffer, ref from);
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset || e.SocketErrorCode == SocketError.ConnectionRefused)
            {
                // The ICMP error of a datagram we sent to a port nobody holds: not a frame, not the end.
                continue;
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                return;
            }

            if (Volatile.Read(ref _disposed) != 0)
            {
                return;
            }

            if (!TryReadContext(buffer.AsSpan(0, length), out var context, out int header))
            {
                continue; // not a frame of this wire
            }

            Interlocked.Increment(ref _received);
            var receiver = Volatile.Read(ref _receiver);
            if (receiver is null)
            {
                continue;
            }

            using (RemoteTraceScope.Enter(context))
            {
                receiver.OnFrame(buffer.AsSpan(header, length - header));
            }
        }
    }

    private static void WriteContext(Span<byte> datagram, in ActivityContext context)
    {
        if (context == default)
        {
            datagram[0] = 0;
            return;
        }

        datagram[0] = 1;
        context.TraceId.CopyTo(datagram.Slice(1, 16));
        context.SpanId.CopyTo(datagram.Slice(17, 8));
        datagram[25] = (byte)context.TraceFlags;
    }

    private static bool TryReadContext(ReadOnlySpan<byte> datagram, out ActivityContext context, out int header)
    {
        context = default;
        header = 0;
        if (datagram.Length < 1 || datagram[0] > 1)
        {
            return false;
        }

        if (datagram[0] == 0)
        {
            header = 1;
            return true;
        }

        if (datagram.Length < ContextHeader)
        {
            return false;
        }

        header = ContextHeader;
        context = new ActivityContext(
            ActivityTraceId.CreateFromBytes(datagram.Slice(1, 16)), ActivitySpanId.CreateFromBytes(datagram.Slice(17, 8)), (ActivityTraceFlags)datagram[25], isRemote: true);
        return true;
    }
}
