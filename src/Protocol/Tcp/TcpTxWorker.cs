using Edsos.Memory;
using Edsos.Protocol.Ipv4;
using Edsos.Protocol.Wire;
using Akka.Actor;
using Edsos.Scheduler;

namespace Edsos.Protocol.Tcp;

/// <summary>
/// The <c>tcp_tx_worker</c> of seed 000 and its receive side (RFC 9293), one actor for every connection of a
/// stack, in its own TS (<c>/net/ipv4/tx/tcp</c>) where sockets share payload. Sending: each
/// <see cref="InetProtocol.XmitRequest"/> is a <see cref="SendChunk"/> kept as a reference until acknowledged;
/// each segment is a <c>ct_share</c>d slice of it into the IPv4 transmit TS plus a pushed header, handed to
/// <see cref="Ipv4TxWorker"/> (<c>ip_queue_xmit</c>), so no payload byte is copied, for the first
/// transmission or any retransmission. Receiving: <see cref="TcpProtocol.SegmentReceivedEvent"/> from the IPv4
/// receive worker runs the RFC 9293 3.10.7 segment-arrival rules; in-order payload nodes are shared into the
/// socket's TS. Timers (RTO, delayed ACK, persist, TIME_WAIT) run off one periodic tick.
/// </summary>
/// <remarks>
/// Failure contract: a request that names no connection, or a closed one, is answered
/// (<see cref="InetProtocol.XmitComplete"/> with <see cref="Errno.ENOTCONN"/>/<see cref="Errno.EPIPE"/>,
/// <see cref="InetProtocol.StreamConnected"/> with the error) and its CTRN popped. A connection that dies
/// (RST, retries exhausted) pops every node it holds and tells its socket <see cref="InetProtocol.StreamErrorEvent"/>.
/// </remarks>
public sealed partial class TcpTxWorker : EdsrtActor
{
    private const string TickKey = "tcp-tick";

    // What IPv4 may do with a segment's payload slice and header: read (checksum), share on (qdisc → driver), map for DMA.
    private const Rights SegmentRights = Rights.Read | Rights.Share | Rights.Map;

    // The headroom also takes the Ethernet and IPv4 headers IPv4 writes in front of ours.
    private const Rights HeaderRights = SegmentRights | Rights.Write;

    // The largest TSO super-segment payload: an IPv4 datagram (65535) minus the IPv4 and TCP headers, within the NIC's 64 KiB.
    private const int MaxGsoPayload = ushort.MaxValue - FrameLayout.Ipv4HeaderLength - TcpRepr.MinHeaderLength;

    private readonly InetStackOptions _inet;
    private readonly TcpOptions _options;
    private readonly MemoryManager _memory;
    private readonly IScheduler _clock;
    private readonly TsId _ts;
    private readonly TsId _ipTxTs;
    private readonly IActorRef _ipTx;
    private readonly Random _random;
    private readonly Dictionary<(Ipv4Endpoint Local, Ipv4Endpoint Remote), Tcb> _connections = new();
    private readonly Dictionary<ulong, Tcb> _byId = new();
    private readonly Dictionary<ushort, Listener> _listeners = new();
    private readonly Dictionary<ulong, InFlightSegment> _inFlight = new();
    private readonly List<Capability> _scratch = new();
    private readonly List<Tcb> _tickList = new();
    private ulong _nextConnectionId;
    private ulong _nextXmitId;
    private bool _ticking;
    private bool _quiesced;

    private long _segmentsSent;
    private long _segmentsReceived;
    private long _retransmits;
    private long _fastRetransmits;
    private long _timeouts;
    private long _bytesAcked;
    private long _bytesDelivered;
    private long _outOfOrderQueued;
    private long _resetsSent;
    private long _resetsReceived;
    private long _zeroWindowProbes;
    private long _revokedAborts;
    private long _tsoSends;
    private long _challengeAcks;
    private long _challengeAcksThrottled;
    private long _resetsIgnored;
    private long _acksDropped;
    private long _synDataHeld;
    private long _timeWaitReopened;
    private long _connectsRefusedInUse;
    private long _receiveMemoryDrops;
    private long _userTimeouts;
    private long _lostRetransmits;
    private long _lossProbes;

    // Where port bindings handed over with StreamClose go back (InetProtocol.Unbind); InetStack.Start tells us.
    private IActorRef? _family;

    /// <summary>Creates the worker; <see cref="InetStack.Start"/> does this.</summary>
    public TcpTxWorker(InetStackOptions options, MemoryManager memory, IScheduler clock, IActorRef ipTx, TsId ipTxTs)
    {
        _inet = options;
        _options = options.Tcp;
        _memory = memory;
        _clock = clock;
        _ts = Ts;
        _ipTx = ipTx;
        _ipTxTs = ipTxTs;
        _random = _options.InitialSequence is null ? new Random() : new Random(1);

        Receive<InetProtocol.XmitRequest>(OnXmit);
        Receive<InetProtocol.XmitComplete>(OnSegmentComplete);
        Receive<InetProtocol.StreamConnect>(OnConnect);
        Receive<InetProtocol.StreamListen>(OnListen);
        Receive<InetProtocol.StreamUnlisten>(OnUnlisten);
        Receive<InetProtocol.StreamAttach>(OnAttach);
        Receive<InetProtocol.StreamConsumed>(OnConsumed);
        Receive<InetProtocol.StreamShutdown>(OnShutdown);
        Receive<InetProtocol.StreamClose>(close =>
        {
            OnClose(close);
            AnswerRelease(close, Sender);
        });
        Receive<InetProtocol.StreamNoDelay>(OnNoDelay);
        Receive<TcpProtocol.SegmentReceivedEvent>(OnSegment);
        Receive<TcpProtocol.Tick>(_ => OnTick());
        Receive<TcpProtocol.AttachFamily>(attach => _family = attach.Family);
        Receive<TcpProtocol.GetTcpCounters>(_ => Sender.Tell(Snapshot(), Self));
        Receive<TcpProtocol.GetTcpConnections>(_ => Sender.Tell(Connections(), Self));
        Receive<InetStackProtocol.GetCounters>(_ => Sender.Tell(Snapshot(), Self));
        Receive<InetStackProtocol.Quiesce>(_ =>
        {
            _quiesced = true;
            Sender.Tell(new InetStackProtocol.Quiesced(nameof(TcpTxWorker)), Self);
        });
        Receive<InetStackProtocol.Release>(_ => Sender.Tell(new InetStackProtocol.Released(nameof(TcpTxWorker), ReleaseAll()), Self));
    }

    private DateTimeOffset Now => _clock.Now;

    // ---- socket requests -------------------------------------------------------------------------

    private void OnConnect(InetProtocol.StreamConnect connect)
    {
        if (_quiesced)
        {
            Sender.Tell(new InetProtocol.StreamConnected(connect.ReqId, Errno.ENETDOWN, connect.Local, connect.Remote), Self);
            return;
        }

        var local = connect.Local.Address.IsUnspecified
            ? new Ipv4Endpoint(_inet.SelectSource(connect.Remote.Address), connect.Local.Port)
            : connect.Local;
        if (_connections.ContainsKey((local, connect.Remote)))
        {
            // The 4-tuple is in use, TIME_WAIT included: RFC 9293 3.10.1 "connection already exists". A TIME_WAIT
            // tuple is not recycled by an active open (no timestamps to tell the incarnations apart, RFC 6191).
            _connectsRefusedInUse++;
            Sender.Tell(new InetProtocol.StreamConnected(connect.ReqId, Errno.EADDRINUSE, local, connect.Remote), Self);
            return;
        }

        var tcb = NewTcb(local, connect.Remote);
        tcb.OfferWindowScale = tcb.WantedRcvWndShift > 0;
        tcb.Socket = connect.Socket;
        tcb.SocketTs = connect.SocketTs;
        tcb.ConnectReqId = connect.ReqId;
        tcb.ConnectReplyTo = Sender;
        tcb.State = TcpState.SynSent;
        StartSynTiming(tcb);
        SendSyn(tcb, ack: false);
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
        _tickList.Clear();
        foreach (var tcb in _byId.Values)
        {
            if (tcb.Listener == unlisten.Local && tcb.Socket is null && tcb.State is TcpState.SynReceived or TcpState.Established or TcpState.CloseWait)
            {
                _tickList.Add(tcb);
            }
        }

        foreach (var tcb in _tickList)
        {
            SendReset(tcb);
            Destroy(tcb, Errno.None);
        }

        _tickList.Clear();
    }

    private void OnAttach(InetProtocol.StreamAttach attach)
    {
        if (!_byId.TryGetValue(attach.ConnectionId, out var tcb) || tcb.Socket is not null || !tcb.AwaitingAccept)
        {
            Sender.Tell(new InetProtocol.StreamConnected(attach.ReqId, Errno.ECONNABORTED, default, default), Self);
            return;
        }

        tcb.AwaitingAccept = false;
        tcb.Socket = attach.Socket;
        tcb.SocketTs = attach.SocketTs;
        Sender.Tell(new InetProtocol.StreamConnected(attach.ReqId, Errno.None, tcb.Local, tcb.Remote), Self);
        while (tcb.Undelivered.Count > 0)
        {
            var (node, length) = tcb.Undelivered.Dequeue();
            ShareToSocket(tcb, node, length);
        }

        if (tcb.FinReceived)
        {
            tcb.Socket.Tell(new InetProtocol.StreamEofEvent(tcb.Local, tcb.Remote), Self);
        }
    }

    private void OnConsumed(InetProtocol.StreamConsumed consumed)
    {
        if (!_connections.TryGetValue((consumed.Local, consumed.Remote), out var tcb))
        {
            return;
        }

        tcb.RcvUnread = Math.Max(0, tcb.RcvUnread - consumed.Bytes);
        int after = AdvertisableWindow(tcb);

        // The window the peer believes it has: up to the right edge we last advertised.
        int advertised = Math.Max(0, SeqNum.Diff(tcb.RcvNxt, tcb.RcvAdvertisedEdge));

        // A window update once reading has opened the window enough to matter: receiver SWS avoidance
        // (RFC 1122 4.2.3.3: by at least min(buffer / 2, MSS)), and, like Linux's tcp_cleanup_rbuf, only
        // while the peer's view is at most half the buffer and the new window at least doubles it, so a
        // reader draining a busy connection does not answer every read with an ACK. Without it a sender
        // that stopped at a window smaller than one segment (no runts) would wait for unrelated traffic.
        bool worthIt = after - advertised >= Math.Min(tcb.ReceiveBuffer / 2, tcb.Mss);
        if (tcb.CanReceive && tcb.IsSynchronized && worthIt && 2 * advertised <= tcb.ReceiveBuffer && after >= 2 * advertised)
        {
            SendAck(tcb);
        }
    }

    private void OnShutdown(InetProtocol.StreamShutdown shutdown)
    {
        if (_connections.TryGetValue((shutdown.Local, shutdown.Remote), out var tcb))
        {
            QueueFin(tcb);
        }
    }

    private void OnNoDelay(InetProtocol.StreamNoDelay option)
    {
        if (_connections.TryGetValue((option.Local, option.Remote), out var tcb))
        {
            tcb.NoDelay = option.NoDelay;
            Output(tcb);
        }
    }

    private void OnClose(InetProtocol.StreamClose close)
    {
        // A socket closed while connecting names its bound endpoint (0.0.0.0:port); the TCB has the address
        // connect picked for it.
        var local = close.Local.Address.IsUnspecified
            ? new Ipv4Endpoint(_inet.SelectSource(close.Remote.Address), close.Local.Port)
            : close.Local;
        if (!_connections.TryGetValue((local, close.Remote), out var tcb))
        {
            // Already gone (reset, timed out): the port is free now.
            ReleasePort(close.Binding);
            return;
        }

        if (close.Binding is { } binding)
        {
            tcb.PortBinding = binding;
        }

        tcb.Socket = null;
        tcb.SocketClosed = true;
        foreach (var chunk in tcb.Chunks)
        {
            // The socket answered its own pending sends when it closed; the bytes still go out.
            chunk.Replied = true;
        }

        if (tcb.State == TcpState.SynSent)
        {
            Destroy(tcb, Errno.None);
            return;
        }

        if (close.Abort || tcb.RcvUnread > 0 || tcb.Undelivered.Count > 0)
        {
            // RFC 2525 2.17 / RFC 9293 3.10.4: closing with unread data resets, so the peer knows it was lost.
            if (tcb.State != TcpState.TimeWait)
            {
                SendReset(tcb);
            }

            Destroy(tcb, Errno.None);
            return;
        }

        QueueFin(tcb);
    }

    private void QueueFin(Tcb tcb)
    {
        if (tcb.FinQueued)
        {
            return;
        }

        switch (tcb.State)
        {
            case TcpState.SynReceived:
            case TcpState.Established:
            case TcpState.CloseWait:
                tcb.FinQueued = true;
                Output(tcb);
                break;
        }
    }

    private void OnXmit(InetProtocol.XmitRequest request)
    {
        if (!_connections.TryGetValue((request.Source, request.Destination), out var tcb))
        {
            RejectXmit(request, Errno.ENOTCONN);
            return;
        }

        if (_quiesced || !tcb.CanSend || tcb.FinQueued)
        {
            RejectXmit(request, _quiesced ? Errno.ENETDOWN : Errno.EPIPE);
            return;
        }

        var info = _memory.Locate(_ts, request.Payload);
        if (!info.IsOk || request.Length <= 0 || info.Value.Length < request.Length)
        {
            RejectXmit(request, Errno.EFAULT);
            return;
        }

        tcb.Chunks.Add(new SendChunk(request.RequestId, request.ReplyTo, request.Payload, info.Value.Gva, request.Length, tcb.SendEnd, ActorTracing.CaptureCause()));
        tcb.SendEnd += (uint)request.Length;
        Output(tcb);
    }

    private void RejectXmit(InetProtocol.XmitRequest request, Errno error)
    {
        NodeOps.Release(_memory, _ts, request.Payload);
        request.ReplyTo.Tell(new InetProtocol.XmitComplete(request.RequestId, 0, error), Self);
    }

    private void OnSegmentComplete(InetProtocol.XmitComplete complete)
    {
        if (!_inFlight.Remove(complete.RequestId, out var segment))
        {
            return;
        }

        var chunk = segment.Chunk;
        chunk.FirstTxCompleted += segment.Bytes;
        if (complete.Error != Errno.None && chunk.FirstError == Errno.None)
        {
            // A lost first transmission is repaired by retransmission like any loss; the error only matters
            // if the connection dies, and then the socket hears of that.
            chunk.FirstError = complete.Error;
        }

        if (!chunk.Replied && chunk.FirstTxCompleted >= chunk.Length)
        {
            chunk.Replied = true;
            chunk.ReplyTo.Tell(new InetProtocol.XmitComplete(chunk.RequestId, chunk.Length, Errno.None), Self);
        }
    }

    // ---- connection table ------------------------------------------------------------------------

    private Tcb NewTcb(Ipv4Endpoint local, Ipv4Endpoint remote, uint? initialSequence = null)
    {
        int window = ReceiveMemory.WindowClamp(_options.ReceiveBuffer, _options.Mss, _memory.PageSize, _memory.TotalPages, _options.NicReceiveBuffers);
        var tcb = new Tcb(++_nextConnectionId, local, remote, _options, window);
        uint iss = initialSequence ?? _options.InitialSequence ?? (uint)_random.NextInt64(0, uint.MaxValue + 1L);
        tcb.Iss = iss;
        tcb.SndUna = iss;
        tcb.SndNxt = iss;
        tcb.SndMax = iss;
        tcb.SndSml = iss;
        tcb.SendEnd = iss + 1;
        _connections.Add((local, remote), tcb);
        _byId.Add(tcb.Id, tcb);
        EnsureTicking();
        return tcb;
    }

    /// <summary>
    /// Deletes the TCB (RFC 9293 "delete the TCB"): pops every node it holds, answers what waits on it with
    /// <paramref name="error"/> (a connect in progress, the socket's sends) and tells the socket.
    /// </summary>
    private void Destroy(Tcb tcb, Errno error)
    {
        _connections.Remove((tcb.Local, tcb.Remote));
        _byId.Remove(tcb.Id);
        var failure = error == Errno.None ? Errno.EPIPE : error;
        foreach (var chunk in tcb.Chunks)
        {
            NodeOps.Release(_memory, _ts, chunk.Node);
            chunk.Node = default;
            if (!chunk.Replied && tcb.Socket is not null)
            {
                chunk.Replied = true;
                chunk.ReplyTo.Tell(new InetProtocol.XmitComplete(chunk.RequestId, 0, failure), Self);
            }
        }

        tcb.Chunks.Clear();
        NotifyReleased(tcb);
        while (tcb.Undelivered.Count > 0)
        {
            NodeOps.Release(_memory, _ts, tcb.Undelivered.Dequeue().Node);
        }

        _scratch.Clear();
        tcb.OutOfOrder.Clear(_scratch);
        foreach (var node in _scratch)
        {
            NodeOps.Release(_memory, _ts, node);
        }

        _scratch.Clear();
        if (tcb.ConnectReplyTo is { } waiter)
        {
            tcb.ConnectReplyTo = null;
            waiter.Tell(new InetProtocol.StreamConnected(tcb.ConnectReqId, error == Errno.None ? Errno.ECONNABORTED : error, tcb.Local, tcb.Remote), Self);
        }
        else if (error != Errno.None && tcb.Socket is { } socket)
        {
            socket.Tell(new InetProtocol.StreamErrorEvent(tcb.Local, tcb.Remote, error), Self);
        }

        tcb.Socket = null;
        tcb.State = TcpState.Closed;
        ReleasePort(tcb.PortBinding);
        tcb.PortBinding = null;
    }

    /// <summary>Gives a port binding the socket handed over back to the family; the port is free from then on.</summary>
    private void ReleasePort(Ipv4Endpoint? binding)
    {
        if (binding is { } bound && _family is { } family)
        {
            family.Tell(new InetProtocol.Unbind((int)IpProtocol.Tcp, bound), Self);
        }
    }

    /// <summary>Answers a closing socket now if the connection holds none of its buffers, else when the last is released.</summary>
    private void AnswerRelease(InetProtocol.StreamClose close, IActorRef socket)
    {
        if (_connections.TryGetValue((close.Local, close.Remote), out var tcb) && tcb.Chunks.Count > 0)
        {
            tcb.ReleaseWaiter = socket;
            return;
        }

        socket.Tell(new InetProtocol.StreamReleased(close.Local, close.Remote), Self);
    }

    /// <summary>Tells the closed socket waiting on <paramref name="tcb"/> that its last buffer was released.</summary>
    private void NotifyReleased(Tcb tcb)
    {
        if (tcb.ReleaseWaiter is { } waiter && tcb.Chunks.Count == 0)
        {
            tcb.ReleaseWaiter = null;
            waiter.Tell(new InetProtocol.StreamReleased(tcb.Local, tcb.Remote), Self);
        }
    }

    private int ReleaseAll()
    {
        int popped = 0;
        _tickList.Clear();
        _tickList.AddRange(_byId.Values);
        foreach (var tcb in _tickList)
        {
            popped += tcb.Chunks.Count + tcb.Undelivered.Count + tcb.OutOfOrder.Count;

            // The family empties its port table in its own release; an Unbind would only chase it.
            tcb.PortBinding = null;
            Destroy(tcb, Errno.ENETDOWN);
        }

        _tickList.Clear();
        _listeners.Clear();
        _inFlight.Clear();
        Timers.Cancel(TickKey);
        _ticking = false;
        return popped;
    }

    private void EnsureTicking()
    {
        if (!_ticking)
        {
            _ticking = true;
            Timers.StartPeriodicTimer(TickKey, TcpProtocol.Tick.Instance, _options.TimerTick);
        }
    }

    private TcpProtocol.TcpConnections Connections()
    {
        var list = new List<TcpConnectionInfo>(_byId.Count);
        foreach (var tcb in _byId.Values)
        {
            list.Add(new TcpConnectionInfo(
                tcb.Id, tcb.Local, tcb.Remote, tcb.State, tcb.SndUna, tcb.SndNxt, tcb.SndMax, tcb.SendEnd, tcb.SndWnd,
                tcb.Congestion.Cwnd, tcb.Congestion.Ssthresh, tcb.Congestion.InRecovery, tcb.RcvNxt, tcb.RcvUnread,
                tcb.OutOfOrder.Count, tcb.Chunks.Count, tcb.Rto.Rto, tcb.Backoffs, tcb.RtoDeadline is not null,
                tcb.PersistDeadline is not null, tcb.Retransmits, tcb.BytesAcked, tcb.SndWndShift, tcb.RcvWndShift,
                tcb.PortBinding is not null,
                tcb.ReceiveBuffer));
        }

        return new TcpProtocol.TcpConnections(list);
    }

    private TcpCounters Snapshot()
    {
        int chunks = 0;
        foreach (var tcb in _byId.Values)
        {
            chunks += tcb.Chunks.Count;
        }

        return new TcpCounters(
            _segmentsSent,
            _segmentsReceived,
            _retransmits,
            _fastRetransmits,
            _timeouts,
            _bytesAcked,
            _bytesDelivered,
            _outOfOrderQueued,
            _resetsSent,
            _resetsReceived,
            _zeroWindowProbes,
            _byId.Count,
            chunks,
            _revokedAborts,
            _tsoSends,
            _challengeAcks,
            _challengeAcksThrottled,
            _resetsIgnored,
            _acksDropped,
            _synDataHeld,
            _timeWaitReopened,
            _connectsRefusedInUse,
            _receiveMemoryDrops,
            _userTimeouts,
            _lostRetransmits,
            _lossProbes);
    }

    /// <summary>A passive open: where SYNs for the port go, and how many unaccepted connections it may have.</summary>
    private sealed class Listener
    {
        public Listener(Ipv4Endpoint local, IActorRef socket, int backlog)
        {
            Local = local;
            Socket = socket;
            Backlog = backlog;
        }

        public Ipv4Endpoint Local { get; }

        public IActorRef Socket { get; }

        public int Backlog { get; }
    }

    /// <summary>A first transmission in flight at IPv4: which chunk's bytes it carries.</summary>
    private readonly record struct InFlightSegment(SendChunk Chunk, int Bytes);
}
