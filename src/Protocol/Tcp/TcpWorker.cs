using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Edsos.Driver;
using Edsos.Memory;
using Edsos.Protocol.Tcp.Core;
using Edsos.Protocol.Wire;
using Akka.Actor;
using Edsos.Scheduler;

namespace Edsos.Protocol.Tcp;

/// <summary>
/// TCP's actor (seed 000's <c>tcp_tx_worker</c> and its receive side), one for every connection of a stack, in its own
/// TS (<c>/net/ipv4/tx/tcp</c>) where sockets share payload. It is a shell around <see cref="TcpConnection"/>, the
/// plain RFC 9293 state machine: it owns the mailbox, the connection table (by connection id, and by 4-tuple for the
/// demultiplexing of <see cref="TcpProtocol.SegmentReceivedEvent"/>), the listeners, one timer set to the earliest
/// <see cref="TcpConnection.PollAt"/> (<see cref="TcpDeadlines"/> under a <see cref="DeadlineTimer"/>), and the memory work of turning a
/// <see cref="TcpSegment"/> into a pushed header plus a <c>ct_share</c>d payload slice for <see cref="Ipv4.Ipv4TxWorker"/>
/// (no payload byte copied, first transmission or retransmission). In-order data is shared into the socket's TS.
/// </summary>
/// <remarks>
/// Phases by <c>Become</c>: running, then quiesced (the stack is stopping: no timer runs, segments are dropped, new
/// connects and sends fail with <see cref="Errno.ENETDOWN"/>). Failure contract: a request that names no connection, or
/// a closed one, is answered (<see cref="InetProtocol.XmitComplete"/> with <see cref="Errno.ENOTCONN"/>/<see cref="Errno.EPIPE"/>,
/// <see cref="InetProtocol.StreamConnected"/> with the error) and its CTRN released. A connection that dies (RST,
/// retries exhausted) releases every node it holds and tells its socket <see cref="InetProtocol.StreamErrorEvent"/>.
/// </remarks>
public sealed partial class TcpWorker : EdsrtActor, ITcpConnectionHost
{
    private const string TimerKey = "tcp-timer";

    private readonly InetStackOptions _inet;
    private readonly TcpOptions _options;
    private readonly MemoryManager _memory;
    private readonly IScheduler _clock;
    private readonly TsId _ts;
    private readonly TsId _ipTxTs;

    // Where the pieces of a payload that runs across chunks are merged (TcpWorker.Transmit.cs); empty between messages.
    private readonly TsId _mergeTs;
    private readonly IActorRef _ipTx;
    private readonly Random _random;
    private readonly TcpStatistics _stats = new();
    private readonly Dictionary<(Ipv4Endpoint Local, Ipv4Endpoint Remote), ConnectionSlot> _connections = new();
    private readonly Dictionary<ulong, ConnectionSlot> _byId = new();
    private readonly Dictionary<ushort, Listener> _listeners = new();
    private readonly Dictionary<ulong, PendingSend> _sends = new();
    private readonly Dictionary<ulong, InFlightSegment> _inFlight = new();
    private readonly Stack<List<(ulong Token, int Bytes)>> _spillLists = new();
    private readonly TcpDeadlines _deadlines = new();
    private readonly DeadlineTimer _timer = new(TimerKey, TcpProtocol.Tick.Instance);
    private readonly List<ulong> _due = new();
    private readonly List<ConnectionSlot> _slots = new();
    private readonly BatchOutbox<InetProtocol.DatagramReceivedBatchEvent, InetProtocol.DatagramReceivedEvent> _toSockets = new();
    private ulong _nextConnectionId;
    private ulong _nextXmitId;
    private ulong _nextToken;
    private long _segmentsSent;
    private long _segmentsReceived;
    private long _tsoSends;

    // Where port bindings handed over with StreamClose go back (InetProtocol.Unbind); InetStack.Start tells us.
    private IActorRef? _family;

    /// <summary>Creates the worker; <see cref="InetStack.Start"/> does this.</summary>
    public TcpWorker(InetStackOptions options, MemoryManager memory, IScheduler clock, IActorRef ipTx, TsId ipTxTs)
    {
        _inet = options;
        _options = options.Tcp;
        _memory = memory;
        _clock = clock;
        _ts = Ts;
        _ipTx = ipTx;
        _ipTxTs = ipTxTs;
        _mergeTs = MergeTs(memory, Ts);
        _random = _options.InitialSequence is null ? new Random() : new Random(1);
        Running();
    }

    private DateTimeOffset Now => _clock.Now;

    /// <summary>The normal phase: every request served, timers running.</summary>
    private void Running()
    {
        Receive<InetProtocol.StreamConnect>(OnConnect);
        Receive<InetProtocol.XmitRequest>(request =>
        {
            OnXmit(request);
            Edsrt.ReturnHandled(request);
        });
        Receive<TcpProtocol.SegmentReceivedEvent>(OnSegment);
        Receive<TcpProtocol.SegmentReceivedBatchEvent>(OnSegmentBatch);
        Receive<TcpProtocol.Tick>(_ => OnTimer());
        Receive<InetStackProtocol.Quiesce>(_ =>
        {
            // The layers below may release their queues from now on: no timer may send anything more (a loss probe
            // or a retransmission then would be left in the driver).
            _timer.Cancel(Timers);
            Become(Quiesced);
            Sender.Tell(new InetStackProtocol.Quiesced(nameof(TcpWorker)), Self);
        });
        Common();
    }

    /// <summary>The stack is stopping: no timers, arriving segments dropped, new connects and sends refused.</summary>
    private void Quiesced()
    {
        Receive<InetProtocol.StreamConnect>(connect =>
            Sender.Tell(new InetProtocol.StreamConnected(connect.ReqId, Errno.ENETDOWN, connect.Local, connect.Remote), Self));
        Receive<InetProtocol.XmitRequest>(request =>
        {
            RejectXmit(request, _byId.ContainsKey(request.ConnectionId) ? Errno.ENETDOWN : Errno.ENOTCONN);
            Edsrt.ReturnHandled(request);
        });
        Receive<TcpProtocol.SegmentReceivedEvent>(segment =>
        {
            _segmentsReceived++;
            Release(segment.Payload);
        });
        Receive<TcpProtocol.SegmentReceivedBatchEvent>(batch =>
        {
            for (int i = 0; i < batch.Count; i++)
            {
                _segmentsReceived++;
                Release(batch[i].Payload);
            }

            Edsrt.ReturnHandled(batch);
        });
        Receive<TcpProtocol.Tick>(_ => _timer.Cancel(Timers));
        Receive<InetStackProtocol.Quiesce>(_ => Sender.Tell(new InetStackProtocol.Quiesced(nameof(TcpWorker)), Self));
        Common();
    }

    /// <summary>Handlers both phases share.</summary>
    private void Common()
    {
        Receive<Ipv4.Ipv4Protocol.IpXmitComplete>(complete =>
        {
            OnSegmentComplete(complete);
            Edsrt.ReturnHandled(complete);
        });
        Receive<InetProtocol.StreamListen>(OnListen);
        Receive<InetProtocol.StreamUnlisten>(OnUnlisten);
        Receive<InetProtocol.StreamAttach>(OnAttach);
        Receive<InetProtocol.StreamConsumed>(OnConsumed);
        Receive<InetProtocol.StreamShutdown>(OnShutdown);
        Receive<InetProtocol.StreamNoDelay>(OnNoDelay);
        Receive<InetProtocol.StreamClose>(OnClose);
        Receive<InetProtocol.StreamCancelConnect>(OnCancelConnect);
        Receive<TcpProtocol.AttachFamily>(attach => _family = attach.Family);
        Receive<TcpProtocol.GetTcpCounters>(_ => Sender.Tell(Snapshot(), Self));
        Receive<TcpProtocol.GetTcpConnections>(_ => Sender.Tell(Connections(), Self));
        Receive<InetStackProtocol.GetCounters>(_ => Sender.Tell(Snapshot(), Self));
        Receive<InetStackProtocol.Release>(_ => Sender.Tell(new InetStackProtocol.Released(nameof(TcpWorker), ReleaseAll()), Self));
    }

    // ---- socket requests -------------------------------------------------------------------------

    private void OnConnect(InetProtocol.StreamConnect connect)
    {
        var local = connect.Local.Address.IsUnspecified
            ? new Ipv4Endpoint(_inet.SelectSource(connect.Remote.Address), connect.Local.Port)
            : connect.Local;
        if (_connections.ContainsKey((local, connect.Remote)))
        {
            // The 4-tuple is in use, TIME_WAIT included: RFC 9293 3.10.1 "connection already exists". A TIME_WAIT
            // tuple is not recycled by an active open (no timestamps to tell the incarnations apart, RFC 6191).
            _stats.ConnectsRefusedInUse++;
            Sender.Tell(new InetProtocol.StreamConnected(connect.ReqId, Errno.EADDRINUSE, local, connect.Remote), Self);
            return;
        }

        var slot = NewConnection(local, connect.Remote);
        slot.Socket = connect.Socket;
        slot.SocketTs = connect.SocketTs;
        slot.ConnectReqId = connect.ReqId;
        slot.ConnectReplyTo = Sender;
        slot.ConnectOwner = Sender;
        slot.Connection.Open(Now);
        Schedule(slot);
    }

    private void OnListen(InetProtocol.StreamListen listen)
    {
        if (_listeners.ContainsKey(listen.Local.Port))
        {
            Sender.Tell(new InetProtocol.StreamListening(listen.ReqId, Errno.EADDRINUSE), Self);
            return;
        }

        _listeners.Add(listen.Local.Port, new Listener(listen.Local, listen.Socket, Math.Max(1, listen.Backlog)));
        Sender.Tell(new InetProtocol.StreamListening(listen.ReqId, Errno.None), Self);
    }

    private void OnUnlisten(InetProtocol.StreamUnlisten unlisten)
    {
        if (!_listeners.TryGetValue(unlisten.Local.Port, out var listener) || listener.Local != unlisten.Local)
        {
            return;
        }

        _listeners.Remove(unlisten.Local.Port);

        // Connections in the backlog that nobody accepted are reset (Linux inet_csk_listen_stop).
        _slots.Clear();
        foreach (var slot in _byId.Values)
        {
            if (slot.Listener == unlisten.Local && slot.Socket is null
                && slot.Connection.State is TcpState.SynReceived or TcpState.Established or TcpState.CloseWait)
            {
                _slots.Add(slot);
            }
        }

        var now = Now;
        foreach (var slot in _slots)
        {
            slot.Connection.Abort(now);
        }

        _slots.Clear();
    }

    private void OnAttach(InetProtocol.StreamAttach attach)
    {
        if (!_byId.TryGetValue(attach.ConnectionId, out var slot) || slot.Socket is not null || !slot.AwaitingAccept)
        {
            Sender.Tell(new InetProtocol.StreamConnected(attach.ReqId, Errno.ECONNABORTED, default, default), Self);
            return;
        }

        var connection = slot.Connection;
        slot.AwaitingAccept = false;
        slot.Socket = attach.Socket;
        slot.SocketTs = attach.SocketTs;
        Sender.Tell(new InetProtocol.StreamConnected(attach.ReqId, Errno.None, connection.Local, connection.Remote, connection.Id), Self);
        while (slot.Undelivered.Count > 0)
        {
            var (node, length) = slot.Undelivered.Dequeue();
            if (!ShareToSocket(slot, node, length))
            {
                connection.ForgetUnread(length);
            }
        }

        if (ResetIfBroken(slot))
        {
            return;
        }

        if (connection.FinReceived)
        {
            TellAfterData(slot.Socket, new InetProtocol.StreamEofEvent(connection.Local, connection.Remote));
        }
    }

    private void OnConsumed(InetProtocol.StreamConsumed consumed)
    {
        if (_byId.TryGetValue(consumed.ConnectionId, out var slot))
        {
            slot.Connection.Consume(consumed.Bytes, Now);
            Schedule(slot);
        }
    }

    private void OnShutdown(InetProtocol.StreamShutdown shutdown)
    {
        if (_byId.TryGetValue(shutdown.ConnectionId, out var slot))
        {
            slot.Connection.Shutdown(Now);
            Schedule(slot);
        }
    }

    private void OnNoDelay(InetProtocol.StreamNoDelay option)
    {
        if (_byId.TryGetValue(option.ConnectionId, out var slot))
        {
            slot.Connection.SetNoDelay(option.NoDelay, Now);
            Schedule(slot);
        }
    }

    private void OnClose(InetProtocol.StreamClose close)
    {
        if (!_byId.TryGetValue(close.ConnectionId, out var slot))
        {
            // Already gone (reset, timed out): the port is free now, and nothing of the socket's is held.
            ReleasePort(close.Binding);
            Sender.Tell(new InetProtocol.StreamReleased(default, default), Self);
            return;
        }

        CloseSlot(slot, close.Abort, close.Binding, Sender);
    }

    /// <summary>
    /// A socket closed before its connect was answered: the connection its connect made (SYN-SENT, or established a
    /// moment ago with the answer still on its way) is found by that request and closed like any.
    /// </summary>
    private void OnCancelConnect(InetProtocol.StreamCancelConnect cancel)
    {
        foreach (var candidate in _byId.Values)
        {
            if (candidate.ConnectReqId == cancel.ReqId && candidate.ConnectOwner is { } owner && owner.Equals(Sender))
            {
                CloseSlot(candidate, abort: false, cancel.Binding, Sender);
                return;
            }
        }

        ReleasePort(cancel.Binding);
        Sender.Tell(new InetProtocol.StreamReleased(default, default), Self);
    }

    private void CloseSlot(ConnectionSlot slot, bool abort, Ipv4Endpoint? binding, IActorRef socket)
    {
        var connection = slot.Connection;
        if (binding is { } bound)
        {
            slot.PortBinding = bound;
        }

        slot.Socket = null;
        foreach (var chunk in connection.Chunks)
        {
            // The socket answered its own pending sends when it closed; the bytes still go out.
            _sends.Remove(chunk.Token);
        }

        // RFC 2525 2.17 / RFC 9293 3.10.4: closing with unread data resets, so the peer knows it was lost.
        connection.Close(abort || slot.Undelivered.Count > 0, Now);
        Schedule(slot);

        // Answered now if the connection holds none of the socket's buffers, else when the last is released.
        if (connection.State != TcpState.Closed && connection.Chunks.Count > 0)
        {
            slot.ReleaseWaiter = socket;
            return;
        }

        TellAfterData(socket, new InetProtocol.StreamReleased(connection.Local, connection.Remote));
    }

    private void OnXmit(InetProtocol.XmitRequest request)
    {
        if (!_byId.TryGetValue(request.ConnectionId, out var slot))
        {
            RejectXmit(request, Errno.ENOTCONN);
            return;
        }

        if (!slot.Connection.AcceptsData)
        {
            RejectXmit(request, Errno.EPIPE);
            return;
        }

        var info = _memory.Locate(_ts, request.Payload);
        if (!info.IsOk || request.Length <= 0 || info.Value.Length < request.Length)
        {
            RejectXmit(request, Errno.EFAULT);
            return;
        }

        ulong token = ++_nextToken;
        _sends.Add(token, new PendingSend(request.RequestId, request.ReplyTo, request.Length, 0));
        slot.Connection.Send(token, request.Payload, info.Value.Gva, request.Length, ActorTracing.CaptureCause(), Now);
        Schedule(slot);
    }

    private void RejectXmit(InetProtocol.XmitRequest request, Errno error)
    {
        Release(request.Payload);
        request.ReplyTo.Tell(new InetProtocol.XmitComplete(request.RequestId, 0, error), Self);
    }

    private void OnSegmentComplete(Ipv4.Ipv4Protocol.IpXmitComplete complete)
    {
        if (!_inFlight.Remove(complete.RequestId, out var segment))
        {
            return;
        }

        // A lost first transmission is repaired by retransmission like any loss; the error only matters if the
        // connection dies, and then the socket hears of that.
        CreditFirstTransmission(segment.Token, segment.Bytes);
        if (segment.SecondBytes > 0)
        {
            CreditFirstTransmission(segment.SecondToken, segment.SecondBytes);
        }

        if (segment.More is { } more)
        {
            foreach (var (token, bytes) in more)
            {
                CreditFirstTransmission(token, bytes);
            }

            more.Clear();
            _spillLists.Push(more);
        }
    }

    /// <summary>Counts <paramref name="bytes"/> of a send as first transmitted; the send is answered once all its bytes were.</summary>
    private void CreditFirstTransmission(ulong token, int bytes)
    {
        ref var send = ref CollectionsMarshal.GetValueRefOrNullRef(_sends, token);
        if (Unsafe.IsNullRef(ref send))
        {
            // Answered already (the socket closed, or the connection died).
            return;
        }

        send.FirstTxCompleted += bytes;
        if (send.FirstTxCompleted >= send.Length)
        {
            var (requestId, replyTo, length) = (send.RequestId, send.ReplyTo, send.Length);
            _sends.Remove(token);
            replyTo.Tell(new InetProtocol.XmitComplete(requestId, length, Errno.None), Self);
        }
    }

    /// <summary>
    /// TCP's merge TS, a child of its own (<c>.../tcp/seg</c>): found if a stack before this one made it, else created.
    /// Only this worker uses it, and it holds nothing between two messages.
    /// </summary>
    private static TsId MergeTs(MemoryManager memory, TsId parent)
    {
        string path = memory.GetTs(parent).Path + "/seg";
        var found = memory.FindTs(path);
        if (found.IsOk && memory.TryGetTs(found.Value, out var info) && info.Alive)
        {
            return found.Value;
        }

        var created = memory.CreateTs(path);
        if (!created.IsOk)
        {
            throw new InvalidOperationException($"cannot create TCP's merge tree space '{path}': {created.Error} {created.Detail}");
        }

        return created.Value;
    }

    // ---- timers ----------------------------------------------------------------------------------

    /// <summary>Files <paramref name="slot"/>'s next deadline and moves the one timer if the earliest deadline moved.</summary>
    private void Schedule(ConnectionSlot slot)
    {
        var connection = slot.Connection;
        if (connection.State != TcpState.Closed && connection.PollAt is { } at)
        {
            _deadlines.Schedule(connection.Id, at);
        }

        ArmTimer();
    }

    // Quiesced, the tick cancels whatever a request armed since: nothing more may be sent on a timer.
    private void ArmTimer() => _timer.Schedule(Timers, _deadlines.Earliest, Now);

    /// <summary>The timer fired: polls every connection whose deadline passed, files their next ones, re-arms.</summary>
    private void OnTimer()
    {
        _timer.Fired();
        var now = Now;
        _deadlines.TakeDue(now, _due);
        foreach (ulong id in _due)
        {
            if (!_byId.TryGetValue(id, out var slot))
            {
                continue;
            }

            var connection = slot.Connection;
            connection.Poll(now);
            if (connection.State != TcpState.Closed && connection.PollAt is { } at)
            {
                // A deadline that did not move past now would spin: it is looked at again one timer tick later.
                _deadlines.Schedule(id, at > now ? at : now + _options.TimerTick);
            }
        }

        _due.Clear();
        ArmTimer();
    }

    // ---- connection table ------------------------------------------------------------------------

    private ConnectionSlot NewConnection(Ipv4Endpoint local, Ipv4Endpoint remote, uint? initialSequence = null)
    {
        int window = ReceiveMemory.WindowClamp(_options.ReceiveBuffer, _options.Mss, _memory.PageSize, _memory.TotalPages, _options.NicReceiveBuffers);
        uint iss = initialSequence ?? _options.InitialSequence ?? (uint)_random.NextInt64(0, uint.MaxValue + 1L);
        var connection = new TcpConnection(
            ++_nextConnectionId,
            local,
            remote,
            iss,
            window,
            _options,
            _memory,
            _ts,
            this,
            _stats,
            segmentationOffload: _inet.Tso && !_inet.IsLocalAddress(remote.Address),
            mtu: _inet.Mtu);
        var slot = new ConnectionSlot(connection);
        _connections.Add((local, remote), slot);
        _byId.Add(connection.Id, slot);
        return slot;
    }

    /// <summary>Gives a port binding the socket handed over back to the family; the port is free from then on.</summary>
    private void ReleasePort(Ipv4Endpoint? binding)
    {
        if (binding is { } bound && _family is { } family)
        {
            family.Tell(new InetProtocol.Unbind((int)IpProtocol.Tcp, bound), Self);
        }
    }

    private int ReleaseAll()
    {
        int released = 0;
        _slots.Clear();
        _slots.AddRange(_byId.Values);
        foreach (var slot in _slots)
        {
            released += slot.Connection.Chunks.Count + slot.Undelivered.Count + slot.Connection.OutOfOrderSegments;

            // The family empties its port table in its own release; an Unbind would only chase it.
            slot.PortBinding = null;
            slot.Connection.Delete(Errno.ENETDOWN);
        }

        _slots.Clear();
        _listeners.Clear();
        _inFlight.Clear();
        _sends.Clear();
        _deadlines.Clear();
        _timer.Cancel(Timers);
        return released;
    }

    private void Release(Capability node, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        _memory.Release(_ts, node, file, line);

    private TcpProtocol.TcpConnections Connections()
    {
        var list = new List<TcpConnectionInfo>(_byId.Count);
        foreach (var slot in _byId.Values)
        {
            list.Add(slot.Connection.ToInfo(holdsPort: slot.PortBinding is not null));
        }

        return new TcpProtocol.TcpConnections(list);
    }

    private TcpCounters Snapshot()
    {
        int chunks = 0;
        foreach (var slot in _byId.Values)
        {
            chunks += slot.Connection.Chunks.Count;
        }

        return new TcpCounters(
            _segmentsSent,
            _segmentsReceived,
            _stats.Retransmits,
            _stats.FastRetransmits,
            _stats.Timeouts,
            _stats.BytesAcked,
            _stats.BytesDelivered,
            _stats.OutOfOrderQueued,
            _stats.ResetsSent,
            _stats.ResetsReceived,
            _stats.ZeroWindowProbes,
            _byId.Count,
            chunks,
            _stats.RevokedAborts,
            _tsoSends,
            _stats.ChallengeAcks,
            _stats.ChallengeAcksThrottled,
            _stats.ResetsIgnored,
            _stats.AcksDropped,
            _stats.SynDataHeld,
            _stats.TimeWaitReopened,
            _stats.ConnectsRefusedInUse,
            _stats.ReceiveMemoryDrops,
            _stats.UserTimeouts,
            _stats.LostRetransmits,
            _stats.LossProbes);
    }

    /// <summary>A passive open: where SYNs for the port go, and how many unaccepted connections it may have.</summary>
    private sealed record Listener(Ipv4Endpoint Local, IActorRef Socket, int Backlog);

    /// <summary>
    /// A first transmission in flight at IPv4: which sends' bytes it carries, each credited when IPv4 answers. A
    /// segment touches one chunk, or two where it runs from one write into the next (the common case with 64 KiB
    /// writes): those sit inline, so the common path allocates nothing; a segment touching more chunks (small writes
    /// Nagle held together) keeps the rest in a list from <c>_spillLists</c>, returned there once credited.
    /// </summary>
    private readonly record struct InFlightSegment(ulong Token, int Bytes, ulong SecondToken, int SecondBytes, List<(ulong Token, int Bytes)>? More);
}
