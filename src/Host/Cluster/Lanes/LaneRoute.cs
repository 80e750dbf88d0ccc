using System.Buffers;
using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using Akka.Actor;
using Edsos.Scheduler.Tracing;

namespace Edsos.Host.Cluster.Lanes;

/// <summary>
/// The console cluster's lanes: a direct Unix-socket connection from this role process to each other role process of
/// the host, in place of Akka.Remote for every <see cref="TracedTellExtensions.TellTraced"/> between them (the data
/// path's events: <c>SendReqEvent</c>, the driver's transmit and completion events, <c>FrameReceivedEvent</c>,
/// <c>RecvRespEvent</c>, ...). Akka.Remote costs each message a hop through the endpoint actors and the DotNetty event
/// loops on both sides; a lane writes the frame from the sending actor's thread and a reader thread in the peer tells
/// the recipient. Messages are serialized by the serializer Akka binds to them (<c>EdsosJsonSerializer</c>), actor
/// references as their serialized paths, the trace context in the frame (the recipient gets a <see cref="Traced"/>
/// as over Akka.Remote). Every process listens on an abstract Unix socket named after its Akka address
/// (<see cref="EndpointName"/>), so a peer's lane is found from any reference to one of its actors and nothing is left
/// on disk when a process is killed. A process without a lane (the coordinator, a host run as one process), a frame
/// too long, or a lane that broke (its process died) makes the tell go over Akka.Remote, which drops it for a dead
/// process as before. Messages keep their order per pair of processes on the lane; Akka.Remote's own traffic (plain
/// tells, watches, the cluster's gossip) runs beside it.
/// </summary>
internal sealed class LaneRoute : IRemoteTellRoute, IDisposable
{
    private const int CacheLimit = 4096;
    private static readonly TimeSpan s_retryAfter = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan s_sendTimeout = TimeSpan.FromSeconds(2);

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_buffer;

    private readonly ExtendedActorSystem _system;
    private readonly Lock _gate = new();
    private readonly Dictionary<Address, Socket> _lanes = [];
    private readonly Dictionary<Address, long> _refusedUntil = [];
    private readonly Dictionary<IActorRef, byte[]> _paths = [];
    private const string DefaultDispatcher = "akka.actor.default-dispatcher";
    private readonly LaneListener _listener;
    private Scheduler.ParkingExecutor? _executor;
    private LanePoller? _poller;
    private long _sent;
    private long _declined;
    private bool _disposed;

    private LaneRoute(ExtendedActorSystem system, LaneListener listener)
    {
        _system = system;
        _listener = listener;
    }

    /// <summary>Messages this process sent by lane.</summary>
    public long Sent => Interlocked.Read(ref _sent);

    /// <summary>Messages this process received by lane and told to their recipients.</summary>
    public long Received => _listener.Delivered;

    /// <summary>Remote tells this route left to Akka.Remote (a peer without a lane, a broken lane, a frame too long).</summary>
    public long Declined => Interlocked.Read(ref _declined);

    /// <summary>One line for the node's report: messages sent and received by lane, left to Akka.Remote, transit times.</summary>
    public string Describe()
    {
        var transit = _listener.Transit;
        lock (transit)
        {
            return $"lanes: {Sent:N0} message(s) sent, {Received:N0} received ({_listener.Dropped} dropped), {Declined:N0} left to Akka.Remote; transit p50 {transit.PercentileMicros(0.5):0.0} µs, p99 {transit.PercentileMicros(0.99):0.0} µs; read by {(ReadOnDispatcher ? "the dispatcher's thread" : "reader threads")}";
        }
    }

    /// <summary>The abstract Unix socket name of the lane listener of the process at <paramref name="address"/>.</summary>
    public static string EndpointName(Address address)
    {
        ArgumentNullException.ThrowIfNull(address);
        return $"\0edsos-lane/{address.Host}:{address.Port}";
    }

    /// <summary>
    /// Listens for lanes at this process's Akka address and registers the route for <paramref name="system"/>'s
    /// remote <c>TellTraced</c> calls; throws <see cref="SocketException"/> when the name is taken.
    /// </summary>
    /// <remarks>
    /// With <paramref name="readOnDispatcher"/> (the default) and a default dispatcher on a one-thread
    /// <see cref="Scheduler.ParkingExecutor"/> (every cluster member's), the lanes into this process are read by that
    /// dispatcher's own thread (<see cref="LanePoller"/>); otherwise each by a reader thread of its own.
    /// </remarks>
    public static LaneRoute Start(ActorSystem system, bool readOnDispatcher = true)
    {
        ArgumentNullException.ThrowIfNull(system);
        var extended = (ExtendedActorSystem)system;
        var executor = readOnDispatcher ? Scheduler.ParkingExecutor.Find(system, DefaultDispatcher) : null;
        var poller = executor is { ThreadCount: 1 } ? new LanePoller() : null;
        var listener = LaneListener.Start(extended, EndpointName(extended.Provider.DefaultAddress), poller);
        var route = new LaneRoute(extended, listener) { _executor = poller is null ? null : executor, _poller = poller };
        if (poller is not null)
        {
            executor!.IdleWait = poller;
        }

        TracedTellExtensions.RegisterRoute(system, route);
        return route;
    }

    /// <summary>True when the lanes into this process are read by the default dispatcher's thread.</summary>
    public bool ReadOnDispatcher => _executor is not null;

    /// <inheritdoc />
    public bool TryTell(IActorRef target, object message, IActorRef? sender, in ActivityContext context)
    {
        var address = target.Path.Address;
        var lane = LaneTo(address);
        if (lane is null)
        {
            Interlocked.Increment(ref _declined);
            return false;
        }

        var buffer = t_buffer ??= new ArrayBufferWriter<byte>(4096);
        buffer.ResetWrittenCount();
        Akka.Serialization.Serializer serializer;
        byte[] payload;
        string manifest;
        try
        {
            serializer = _system.Serialization.FindSerializerFor(message);
            payload = serializer.ToBinary(message);
            manifest = Akka.Serialization.Serialization.ManifestFor(serializer, message);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Not serializable: Akka.Remote takes it and logs and drops it there, as it always did; the sender's
            // handler must not fail for it.
            Interlocked.Increment(ref _declined);
            return false;
        }

        if (payload.Length > LaneFrame.MaxFrame)
        {
            Interlocked.Increment(ref _declined);
            return false;
        }

        bool traced = context != default;
        var (high, low, span, flags) = Traced.Split(context);

        LaneFrame.Write(buffer, high, low, span, flags, traced, serializer.Identifier, PathOf(target), sender is null ? [] : PathOf(sender), manifest, payload);
        try
        {
            lock (lane)
            {
                Write(lane, buffer.WrittenSpan);
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or TimeoutException)
        {
            // The peer process died (or hangs): this lane is done; the tell goes over Akka.Remote, and a later one
            // reconnects (a restarted process listens under its own address).
            Drop(address, lane);
            Interlocked.Increment(ref _declined);
            return false;
        }

        Interlocked.Increment(ref _sent);
        return true;
    }

    /// <summary>Unregisters the route, closes every lane and the listener.</summary>
    public void Dispose()
    {
        TracedTellExtensions.UnregisterRoute(_system);
        if (_executor is { } executor)
        {
            // The dispatcher parks on its monitor again; the poller's eventfd stays open (the executor's thread may be
            // in its last poll now), one descriptor until the process ends.
            executor.IdleWait = null;
        }

        lock (_gate)
        {
            _disposed = true;
            foreach (var lane in _lanes.Values)
            {
                lane.Dispose();
            }

            _lanes.Clear();
        }

        _listener.Dispose();
    }

    /// <summary>
    /// Writes a whole frame. The lanes are non-blocking: when the peer's socket buffer is full (its thread is not reading,
    /// perhaps because it is writing to this process the same moment), the dispatcher's thread reads its own inbound
    /// lanes while it waits, so two processes writing to each other never wait on each other; another thread just waits
    /// to write. A peer that takes none of it for <see cref="s_sendTimeout"/> is taken as hung (the lane is dropped).
    /// </summary>
    private void Write(Socket lane, ReadOnlySpan<byte> frame)
    {
        long start = 0;
        while (!frame.IsEmpty)
        {
            int sent = lane.Send(frame, SocketFlags.None, out var error);
            if (error == SocketError.Success)
            {
                frame = frame[sent..];
                continue;
            }

            if (error != SocketError.WouldBlock)
            {
                throw new SocketException((int)error);
            }

            if (start == 0)
            {
                start = Stopwatch.GetTimestamp();
            }
            else if (Stopwatch.GetElapsedTime(start) > s_sendTimeout)
            {
                throw new TimeoutException("the peer process took nothing from its lane");
            }

            if (_poller is { } poller && _executor is { IsWorkerThread: true })
            {
                ((Scheduler.IIdleWait)poller).Poll();
            }

            lane.Poll(200, SelectMode.SelectWrite);
        }
    }

    private Socket? LaneTo(Address address)
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return null;
            }

            if (_lanes.TryGetValue(address, out var lane))
            {
                return lane;
            }

            long now = Environment.TickCount64;
            if (_refusedUntil.TryGetValue(address, out long until) && now < until)
            {
                return null;
            }

            var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            try
            {
                // Non-blocking before the connect: a Unix listener whose backlog is full (a peer that stopped
                // accepting) makes a blocking connect wait for ever, here under the gate every remote tell takes;
                // non-blocking it fails at once (EAGAIN) and the tell goes over Akka.Remote.
                socket.Blocking = false;
                socket.Connect(new UnixDomainSocketEndPoint(EndpointName(address)));
            }
            catch (SocketException)
            {
                // No lane there (the coordinator, a one-process host, a process not up yet, gone or not accepting): Akka.Remote.
                socket.Dispose();
                _refusedUntil[address] = now + (long)s_retryAfter.TotalMilliseconds;
                return null;
            }

            _refusedUntil.Remove(address);
            _lanes[address] = socket;
            return socket;
        }
    }

    private void Drop(Address address, Socket lane)
    {
        lock (_gate)
        {
            if (_lanes.TryGetValue(address, out var current) && ReferenceEquals(current, lane))
            {
                _lanes.Remove(address);
            }
        }

        lane.Dispose();
    }

    private byte[] PathOf(IActorRef actor)
    {
        lock (_paths)
        {
            if (_paths.TryGetValue(actor, out byte[]? path))
            {
                return path;
            }

            if (_paths.Count >= CacheLimit)
            {
                _paths.Clear();
            }

            path = Encoding.UTF8.GetBytes(Akka.Serialization.Serialization.SerializedActorPath(actor));
            _paths[actor] = path;
            return path;
        }
    }
}
