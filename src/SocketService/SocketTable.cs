using Edsos.Memory;
using Edsos.Protocol;
using Akka.Actor;
using Edsos.Scheduler;
using Edsos.SocketService.Internal;
using static Edsos.Protocol.InetProtocol;
using static Edsos.SocketService.SocketProtocol;

namespace Edsos.SocketService;

/// <summary>
/// The socket table (<c>/net/sockets</c>): <c>socket()</c> lands here. For each
/// <see cref="CreateSocket"/> it asks the inet family for an endpoint, allocates a 16-bit socket
/// id and starts the socket of the requested type (a <see cref="DatagramSocket"/> or a <see cref="StreamSocket"/>)
/// as a child in its own TS <c>/net/sockets/sock_0x&lt;ID&gt;</c>,
/// then replies <see cref="SocketCreated"/>. Failures are errno replies: <see cref="Errno.EAFNOSUPPORT"/>
/// for a domain other than AF_INET, the family's error (<see cref="Errno.ESOCKTNOSUPPORT"/>,
/// <see cref="Errno.EPROTONOSUPPORT"/>), <see cref="Errno.ENFILE"/> past the limit,
/// <see cref="Errno.EIO"/> when the family does not answer. A socket that fails is stopped (not
/// restarted: its CTRNs cannot be rebuilt) and its TS exited, so its memory is lifted.
/// </summary>
public sealed class SocketTable : EdsrtActor
{
    /// <summary>AF_INET.</summary>
    public const int AfInet = 2;

    private readonly SocketTableOptions _options;
    private readonly Dictionary<ulong, IActorRef> _sockets = new();
    private readonly Dictionary<IActorRef, (ulong Id, TsId Ts, TsId Owner)> _byNode = new();
    private int _creating;
    private ulong _nextId;

    /// <summary>Creates the table with <paramref name="options"/>.</summary>
    public SocketTable(SocketTableOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.MaxSockets);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(options.MaxSockets, ushort.MaxValue);
        _options = options;

        Receive<CreateSocket>(OnCreate);
        Receive<EndpointResolved>(OnResolved);
        Receive<Terminated>(OnTerminated);
        Receive<CloseOrphans>(OnCloseOrphans);
    }

    /// <summary>Props binding the table to <see cref="SocketTableOptions.TsPath"/>.</summary>
    public static Props CreateProps(SocketTableOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return Props.Create(() => new SocketTable(options)).WithTs(options.TsPath);
    }

    /// <inheritdoc />
    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(static _ => Directive.Stop);

    private void OnCreate(CreateSocket request)
    {
        if (request.Domain != AfInet)
        {
            Sender.Tell(Refused(request.ReqId, Errno.EAFNOSUPPORT));
            return;
        }

        if (_sockets.Count + _creating >= _options.MaxSockets)
        {
            Sender.Tell(Refused(request.ReqId, Errno.ENFILE));
            return;
        }

        _creating++;
        var self = Self;
        var replyTo = Sender;
        // The family may answer out of order (it forwards to per-protocol actors), so each
        // OpenEndpoint gets its own ask; the answer comes back to the table as a message.
        _ = _options.Family.Ask<EndpointOpened>(new OpenEndpoint(request.Type, request.Protocol), _options.FamilyTimeout)
            .ContinueWith(
                task => self.Tell(new EndpointResolved(request, replyTo, task.IsCompletedSuccessfully ? task.Result : null)),
                CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default);
    }

    private void OnResolved(EndpointResolved resolved)
    {
        _creating--;
        var request = resolved.Request;
        if (resolved.Opened is not { } opened)
        {
            resolved.ReplyTo.Tell(Refused(request.ReqId, Errno.EIO));
            return;
        }

        if (opened.Error != Errno.None || opened.TxWorker is null)
        {
            var error = opened.Error == Errno.None ? Errno.EPROTONOSUPPORT : opened.Error;
            resolved.ReplyTo.Tell(Refused(request.ReqId, error));
            return;
        }

        var id = AllocateId();
        var path = SockNode.TsPathOf(TsPath, id);
        var options = new SockNodeOptions
        {
            SocketId = id,
            Family = _options.Family,
            Protocol = opened.Protocol,
            TxWorker = opened.TxWorker,
            TxTs = opened.TxTs,
            MaxPayload = opened.MaxPayload,
            TxBatches = opened.TxBatches,
            Type = request.Type,
            Mode = _options.Mode,
            SendBuffer = _options.DefaultSendBuffer,
            ReceiveBuffer = _options.DefaultReceiveBuffer,
        };

        IActorRef node;
        TsId ts;
        try
        {
            ts = Context.System.Edsrt.EnsureTs(path);
            var props = request.Type == SocketKind.Stream
                ? StreamSocket.CreateProps(options, path)
                : DatagramSocket.CreateProps(options, path);
            node = Context.ActorOf(props, $"sock_0x{id:X4}");
        }
        catch (Exception failure) when (failure is InvalidOperationException or InvalidActorNameException or MemoryAccessException)
        {
            // The TS could not be made (arena out of TS ids, or a stale TS of that path still alive).
            resolved.ReplyTo.Tell(Refused(request.ReqId, Errno.ENOBUFS));
            return;
        }

        Context.Watch(node);
        _sockets.Add(id, node);
        _byNode.Add(node, (id, ts, request.OwnerTs));
        resolved.ReplyTo.Tell(new SocketCreated(ReqId: request.ReqId, Error: Errno.None, SocketId: id, Node: node, NodeTs: ts));
    }

    private static SocketCreated Refused(ulong reqId, Errno error)
        => new(ReqId: reqId, Error: error, SocketId: 0, Node: null, NodeTs: TsId.None);

    private ulong AllocateId()
    {
        // Ids are 16-bit and start at 1; the limit (at most 65535) guarantees a free one.
        do
        {
            _nextId = _nextId % ushort.MaxValue + 1;
        }
        while (_sockets.ContainsKey(_nextId));

        return _nextId;
    }

    /// <summary>
    /// Closes every socket whose owner TS exited without closing it (its process was killed, console cluster): the
    /// close answers nobody, pops what the socket still holds (the owner's CTRNs in it were revoked by the lift and
    /// are not double releases) and exits the socket's TS.
    /// </summary>
    private void OnCloseOrphans(CloseOrphans request)
    {
        int closed = 0;
        foreach (var (node, entry) in _byNode)
        {
            if (entry.Owner == TsId.None || (Context.System.Memory.TryGetTs(entry.Owner, out var owner) && owner.Alive))
            {
                continue;
            }

            node.Tell(new CloseSocket(0), ActorRefs.NoSender);
            closed++;
        }

        Sender.Tell(new OrphansClosed(closed));
    }

    private void OnTerminated(Terminated terminated)
    {
        if (!_byNode.Remove(terminated.ActorRef, out var entry))
        {
            return;
        }

        _sockets.Remove(entry.Id);
        // A closed socket exited its TS already; a crashed one did not. Exiting again is harmless,
        // and lifts whatever the crashed socket still had mounted.
        if (Context.System.Memory.TryGetTs(entry.Ts, out var info) && info.Alive)
        {
            _ = Context.System.ExitTsAsync(entry.Ts);
        }
    }
}
