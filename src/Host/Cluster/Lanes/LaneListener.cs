using System.Net.Sockets;
using Akka.Actor;

namespace Edsos.Host.Cluster.Lanes;

/// <summary>
/// The receiving end of the lanes into this process (<see cref="LaneRoute"/>): accepts on the process's abstract Unix
/// socket and reads each connection (<see cref="LaneInbound"/>: frames parsed, recipient and sender resolved by their
/// paths, the message told to its recipient in its <c>Traced</c> carrier when the frame has a context). With a
/// <see cref="LanePoller"/> the connections are read by the default dispatcher's own thread when it has nothing else to
/// do (one thread wake per message instead of two); without one, each connection has a reader thread. A malformed frame
/// or one that does not deserialize is counted (<see cref="Dropped"/>) and its connection closed.
/// </summary>
internal sealed class LaneListener : IDisposable
{
    private readonly Socket _socket;
    private readonly LanePoller? _poller;
    private readonly Lock _gate = new();
    private readonly List<Socket> _connections = [];
    private long _delivered;
    private long _dropped;
    private bool _disposed;

    private LaneListener(ExtendedActorSystem system, Socket socket, LanePoller? poller)
    {
        System = system;
        _socket = socket;
        _poller = poller;
    }

    /// <summary>The actor system the messages are delivered in.</summary>
    public ExtendedActorSystem System { get; }

    /// <summary>Messages told to their recipients.</summary>
    public long Delivered => Interlocked.Read(ref _delivered);

    /// <summary>Frames that were malformed or did not deserialize.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Time from a frame's write in the sending process to its parse here (the kernel's and the reading thread's wake-up).</summary>
    public Demo.LatencyHistogram Transit { get; } = new();

    /// <summary>Binds <paramref name="name"/> (an abstract Unix socket name) and starts accepting; connections are read by <paramref name="poller"/> when given.</summary>
    public static LaneListener Start(ExtendedActorSystem system, string name, LanePoller? poller)
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

        var listener = new LaneListener(system, socket, poller);
        new Thread(listener.AcceptLoop) { IsBackground = true, Name = "edsos-lane-accept" }.Start();
        return listener;
    }

    /// <summary>Counts a message told to its recipient.</summary>
    public void CountDelivered() => Interlocked.Increment(ref _delivered);

    /// <summary>Counts a frame dropped with its connection.</summary>
    public void CountDropped() => Interlocked.Increment(ref _dropped);

    /// <summary>Records the transit time of a frame written at <paramref name="sentAt"/> (a <c>Stopwatch</c> timestamp).</summary>
    public void RecordTransit(long sentAt)
    {
        lock (Transit)
        {
            Transit.Record(global::System.Diagnostics.Stopwatch.GetElapsedTime(sentAt));
        }
    }

    /// <summary>Forgets a connection that ended and closes it.</summary>
    public void Forget(Socket connection)
    {
        lock (_gate)
        {
            _connections.Remove(connection);
        }

        connection.Dispose();
    }

    /// <summary>Stops accepting and closes every connection (their readers end).</summary>
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
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (SocketException) when (!Volatile.Read(ref _disposed))
            {
                // A connection that failed before it was taken (or a descriptor limit): the listener stays; a loop
                // that ended here would leave peers' connects queued unread until they time out.
                Thread.Sleep(10);
                continue;
            }
            catch (SocketException)
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

            var inbound = new LaneInbound(this, connection);
            if (_poller is { } poller)
            {
                connection.Blocking = false;
                poller.Add(inbound);
            }
            else
            {
                new Thread(() => ReadLoop(inbound)) { IsBackground = true, Name = "edsos-lane-read" }.Start();
            }
        }
    }

    private void ReadLoop(LaneInbound inbound)
    {
        try
        {
            while (inbound.ReceiveAvailable())
            {
            }
        }
        catch (ObjectDisposedException)
        {
            // This listener was disposed.
        }
        finally
        {
            inbound.Close();
        }
    }
}
