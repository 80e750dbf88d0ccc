using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;
using Akka.Actor;
using Edsos.Scheduler.Tracing;

namespace Edsos.Host.Cluster.Lanes;

/// <summary>
/// The receiving end of the lanes into this process (<see cref="LaneRoute"/>): accepts on the process's abstract Unix
/// socket and gives each connection a reader thread that parses frames, resolves the recipient and the sender by
/// their paths (cached), deserializes the message with the serializer the frame names and tells it to the recipient,
/// wrapped in <see cref="Traced"/> when the frame carries a trace context. A malformed frame or one that does not
/// deserialize is counted (<see cref="Dropped"/>) and its connection closed; a closed connection ends its thread.
/// </summary>
internal sealed class LaneListener : IDisposable
{
    private const int CacheLimit = 4096;
    private readonly ExtendedActorSystem _system;
    private readonly Socket _socket;
    private readonly Lock _gate = new();
    private readonly List<Socket> _connections = [];
    private long _delivered;
    private long _dropped;
    private bool _disposed;

    private LaneListener(ExtendedActorSystem system, Socket socket)
    {
        _system = system;
        _socket = socket;
    }

    /// <summary>Messages told to their recipients.</summary>
    public long Delivered => Interlocked.Read(ref _delivered);

    /// <summary>Time from a frame's write in the sending process to its parse here (the kernel's and this reader thread's wake-up).</summary>
    public Demo.LatencyHistogram Transit { get; } = new();

    /// <summary>Frames that were malformed or did not deserialize.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Binds <paramref name="name"/> (an abstract Unix socket name) and starts accepting.</summary>
    public static LaneListener Start(ExtendedActorSystem system, string name)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            socket.Bind(new UnixDomainSocketEndPoint(name));
            socket.Listen(16);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        var listener = new LaneListener(system, socket);
        new Thread(listener.AcceptLoop) { IsBackground = true, Name = "edsos-lane-accept" }.Start();
        return listener;
    }

    /// <summary>Stops accepting and closes every connection (their threads end).</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            foreach (var connection in _connections)
            {
                connection.Dispose();
            }

            _connections.Clear();
        }

        _socket.Dispose();
    }

    private void AcceptLoop()
    {
        while (true)
        {
            Socket connection;
            try
            {
                connection = _socket.Accept();
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                return;
            }

            lock (_gate)
            {
                if (_disposed)
                {
                    connection.Dispose();
                    return;
                }

                _connections.Add(connection);
            }

            new Thread(() => ReadLoop(connection)) { IsBackground = true, Name = "edsos-lane-read" }.Start();
        }
    }

    private void ReadLoop(Socket connection)
    {
        var recipients = new Dictionary<string, IActorRef>();
        var senders = new Dictionary<string, IActorRef>();
        byte[] buffer = new byte[64 * 1024];
        int filled = 0;
        try
        {
            while (true)
            {
                int read = connection.Receive(buffer.AsSpan(filled));
                if (read == 0)
                {
                    return;
                }

                filled += read;
                int at = 0;
                while (filled - at >= LaneFrame.LengthBytes)
                {
                    int length = BinaryPrimitives.ReadInt32LittleEndian(buffer.AsSpan(at));
                    if (length <= 0 || length > LaneFrame.MaxFrame + 64 * 1024)
                    {
                        Interlocked.Increment(ref _dropped);
                        return;
                    }

                    if (filled - at - LaneFrame.LengthBytes < length)
                    {
                        if (LaneFrame.LengthBytes + length > buffer.Length)
                        {
                            Array.Resize(ref buffer, LaneFrame.LengthBytes + length);
                        }

                        break;
                    }

                    if (!Deliver(buffer.AsSpan(at + LaneFrame.LengthBytes, length), recipients, senders))
                    {
                        Interlocked.Increment(ref _dropped);
                        return;
                    }

                    at += LaneFrame.LengthBytes + length;
                }

                // Keep the partial frame at the buffer's start.
                buffer.AsSpan(at, filled - at).CopyTo(buffer);
                filled -= at;
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // The peer closed or died, or this listener was disposed.
        }
        finally
        {
            lock (_gate)
            {
                _connections.Remove(connection);
            }

            connection.Dispose();
        }
    }

    private bool Deliver(ReadOnlySpan<byte> body, Dictionary<string, IActorRef> recipients, Dictionary<string, IActorRef> senders)
    {
        var header = LaneFrame.Read(body);
        if (!header.Valid)
        {
            return false;
        }

        lock (Transit)
        {
            Transit.Record(System.Diagnostics.Stopwatch.GetElapsedTime(header.SentAt));
        }

        object message;
        try
        {
            message = _system.Serialization.Deserialize(header.Payload.ToArray(), header.SerializerId, Encoding.UTF8.GetString(header.Manifest));
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return false;
        }

        var recipient = Resolve(recipients, header.Recipient);
        var sender = header.Sender.IsEmpty ? ActorRefs.NoSender : Resolve(senders, header.Sender);
        recipient.Tell(header.Traced ? new Traced(message, header.TraceHigh, header.TraceLow, header.SpanId, header.TraceFlags) : message, sender);
        Interlocked.Increment(ref _delivered);
        return true;
    }

    private IActorRef Resolve(Dictionary<string, IActorRef> cache, ReadOnlySpan<byte> path)
    {
        string key = Encoding.UTF8.GetString(path);
        if (cache.TryGetValue(key, out var actor))
        {
            return actor;
        }

        actor = _system.Provider.ResolveActorRef(key);
        if (actor.IsNobody())
        {
            // Not (yet) an actor here: resolve again next time rather than remember dead letters.
            return actor;
        }

        if (cache.Count >= CacheLimit)
        {
            cache.Clear();
        }

        cache[key] = actor;
        return actor;
    }
}
