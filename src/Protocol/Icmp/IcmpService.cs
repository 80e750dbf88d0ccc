using Edsos.Driver;
using Edsos.Memory;
using Edsos.Protocol.Ipv4;
using Edsos.Protocol.Wire;
using Akka.Actor;
using Edsos.Scheduler;

namespace Edsos.Protocol.Icmp;

/// <summary>
/// ICMP (RFC 792) in the transmit TS: sends pings (<see cref="InetProtocol.PingRequest"/> → echo
/// request with an identifier of its own, <see cref="InetProtocol.PingReply"/> with the round trip and
/// TTL, or <see cref="Errno.ETIMEDOUT"/> by a timer), answers echo requests by reusing the request's
/// data node under new headers, and sends destination unreachable quoting the offending datagram.
/// Checksums are computed over the data in place (<see cref="MemoryManager.Visit{TState}"/>); only the
/// 8-byte ICMP header is written.
/// </summary>
public sealed class IcmpService : EdsrtActor
{
    /// <summary>Largest echo request data: 65535 (IPv4 total length) − 20 (IPv4 header) − 8 (ICMP header) = 65507 (RFC 792).</summary>
    public const int MaxEchoData = ushort.MaxValue - Ipv4Repr.EmittedHeaderLength - IcmpV4Repr.HeaderLength;

    private readonly InetStackOptions _options;
    private readonly MemoryManager _memory;
    private readonly IScheduler _clock;
    private readonly TsId _ts;
    private readonly IActorRef _ipTx;
    private readonly Dictionary<ushort, PendingPing> _pings = new();

    private ushort _nextIdentifier = 1;
    private long _echoRequestsSent;
    private long _echoRepliesSent;
    private long _unreachablesSent;
    private long _pingReplies;
    private long _pingTimeouts;
    private long _unmatched;

    /// <summary>Creates the service; <see cref="InetStack.Start"/> does this.</summary>
    public IcmpService(InetStackOptions options, MemoryManager memory, IScheduler clock, IActorRef ipTx)
    {
        _options = options;
        _memory = memory;
        _clock = clock;
        _ts = Ts;
        _ipTx = ipTx;
        Running();
    }

    /// <summary>The normal phase: pings sent, echo requests answered, unreachables sent.</summary>
    private void Running()
    {
        Receive<InetProtocol.PingRequest>(OnPing);
        Receive<IcmpProtocol.EchoRequestReceivedEvent>(OnEchoRequest);
        Receive<IcmpProtocol.DestinationUnreachableNeeded>(OnUnreachableNeeded);
        Receive<InetStackProtocol.Quiesce>(_ =>
        {
            Become(Quiesced);
            Sender.Tell(new InetStackProtocol.Quiesced(nameof(IcmpService)), Self);
        });
        Common();
    }

    /// <summary>The stack is stopping: pings refused with ENETDOWN, nothing more sent; the nodes that come in are released.</summary>
    private void Quiesced()
    {
        Receive<InetProtocol.PingRequest>(request => Sender.Tell(Failed(Errno.ENETDOWN, request.Sequence, request.Destination), Self));
        Receive<IcmpProtocol.EchoRequestReceivedEvent>(request => NodeOps.Release(_memory, _ts, request.Data));
        Receive<IcmpProtocol.DestinationUnreachableNeeded>(needed => NodeOps.Release(_memory, _ts, needed.Quote));
        Receive<InetStackProtocol.Quiesce>(_ => Sender.Tell(new InetStackProtocol.Quiesced(nameof(IcmpService)), Self));
        Common();
    }

    private void Common()
    {
        Receive<Ipv4Protocol.IpXmitComplete>(complete =>
        {
            OnXmitComplete(complete);
            Edsrt.ReturnHandled(complete);
        });
        Receive<IcmpProtocol.EchoReplyReceivedEvent>(OnEchoReply);
        Receive<PingTimeout>(OnPingTimeout);
        Receive<InetStackProtocol.GetCounters>(_ => Sender.Tell(
            new IcmpCounters(
                EchoRequestsSent: _echoRequestsSent,
                EchoRepliesSent: _echoRepliesSent,
                UnreachablesSent: _unreachablesSent,
                PingReplies: _pingReplies,
                PingTimeouts: _pingTimeouts,
                UnmatchedReplies: _unmatched),
            Self));
        Receive<InetStackProtocol.Release>(_ =>
        {
            foreach (var (identifier, ping) in _pings)
            {
                Timers.Cancel(new PingTimerKey(identifier));
                ping.Requester.Tell(Failed(Errno.ENETDOWN, ping.Sequence, ping.Destination), Self);
            }

            _pings.Clear();
            Sender.Tell(new InetStackProtocol.Released(nameof(IcmpService), 0), Self);
        });
    }

    private void OnPing(InetProtocol.PingRequest request)
    {
        if (request.PayloadSize < 0 || request.PayloadSize > MaxEchoData || request.Timeout <= TimeSpan.Zero)
        {
            Sender.Tell(Failed(Errno.EINVAL, request.Sequence, request.Destination), Self);
            return;
        }

        ushort identifier = NextIdentifier();

        // Headroom and data are pushed apart: divided from one page they would share it, and the
        // header write would copy that page (copy-on-write). Pushed pages are zeroed, so the data
        // needs no write (and no payload byte is copied).
        var pushed = _memory.Push(_ts, "hdr", FrameLayout.Headroom8);
        if (!pushed.IsOk)
        {
            Sender.Tell(Failed(Errno.ENOBUFS, request.Sequence, request.Destination), Self);
            return;
        }

        Capability headroom = pushed.Value;
        Capability data = default;
        if (request.PayloadSize > 0)
        {
            var pushedData = _memory.Push(_ts, "ping", request.PayloadSize);
            if (!pushedData.IsOk)
            {
                NodeOps.Release(_memory, _ts, headroom);
                Sender.Tell(Failed(Errno.ENOBUFS, request.Sequence, request.Destination), Self);
                return;
            }

            data = pushedData.Value;
        }

        var repr = IcmpV4Repr.EchoRequest(identifier, request.Sequence, request.PayloadSize);
        Ipv4Address source = _options.SelectSource(request.Destination);
        // Timer before the send: whoever sees the request on the wire may already move the clock.
        _pings.Add(identifier, new PendingPing(Sender, request.Sequence, request.Destination, _clock.Now));
        Timers.StartSingleTimer(new PingTimerKey(identifier), new PingTimeout(identifier), request.Timeout);
        if (!Send(repr, headroom, data, source, request.Destination, identifier, Self))
        {
            _pings.Remove(identifier);
            Timers.Cancel(new PingTimerKey(identifier));
            Sender.Tell(Failed(Errno.EFAULT, request.Sequence, request.Destination), Self);
            return;
        }

        _echoRequestsSent++;
    }

    private ushort NextIdentifier()
    {
        // Skips identifiers still waiting for a reply (and 0, which reads as "none" in traces).
        ushort identifier;
        do
        {
            identifier = _nextIdentifier++;
        }
        while (identifier == 0 || _pings.ContainsKey(identifier));

        return identifier;
    }

    private void OnXmitComplete(Ipv4Protocol.IpXmitComplete complete)
    {
        // Only a failure matters: success means the request is on the wire and the reply is awaited.
        if (complete.Error == Errno.None || !_pings.Remove((ushort)complete.RequestId, out PendingPing ping))
        {
            return;
        }

        Timers.Cancel(new PingTimerKey((ushort)complete.RequestId));
        ping.Requester.Tell(Failed(complete.Error, ping.Sequence, ping.Destination), Self);
    }

    /// <summary>The reply to a ping that ends without an echo reply: <paramref name="error"/>, no TTL, no round trip.</summary>
    private static InetProtocol.PingReply Failed(Errno error, ushort sequence, Ipv4Address destination) =>
        new(Error: error, Sequence: sequence, From: destination, Ttl: 0, RoundTrip: TimeSpan.Zero);

    private void OnEchoReply(IcmpProtocol.EchoReplyReceivedEvent reply)
    {
        if (!_pings.TryGetValue(reply.Identifier, out PendingPing ping) || ping.Sequence != reply.SequenceNumber)
        {
            _unmatched++;
            return;
        }

        _pings.Remove(reply.Identifier);
        Timers.Cancel(new PingTimerKey(reply.Identifier));
        _pingReplies++;
        ping.Requester.Tell(new InetProtocol.PingReply(
            Error: Errno.None,
            Sequence: reply.SequenceNumber,
            From: reply.From,
            Ttl: reply.Ttl,
            RoundTrip: _clock.Now - ping.Sent), Self);
    }

    private void OnPingTimeout(PingTimeout timeout)
    {
        if (!_pings.Remove(timeout.Identifier, out PendingPing ping))
        {
            return;
        }

        _pingTimeouts++;
        ping.Requester.Tell(Failed(Errno.ETIMEDOUT, ping.Sequence, ping.Destination), Self);
    }

    private void OnEchoRequest(IcmpProtocol.EchoRequestReceivedEvent request)
    {
        var pushed = _memory.Push(_ts, "hdr", FrameLayout.Headroom8);
        if (!pushed.IsOk)
        {
            NodeOps.Release(_memory, _ts, request.Data);
            return;
        }

        // RFC 792: the reply swaps the addresses and returns identifier, sequence and data unchanged.
        var echo = IcmpV4Repr.EchoRequest(request.Identifier, request.SequenceNumber, request.DataLength);
        var reply = IcmpV4Repr.EchoReplyTo(echo);
        if (Send(reply, pushed.Value, request.Data, request.To, request.From, 0, null))
        {
            _echoRepliesSent++;
        }
    }

    private void OnUnreachableNeeded(IcmpProtocol.DestinationUnreachableNeeded needed)
    {
        var pushed = _memory.Push(_ts, "hdr", FrameLayout.Headroom8);
        if (!pushed.IsOk)
        {
            NodeOps.Release(_memory, _ts, needed.Quote);
            return;
        }

        var repr = IcmpV4Repr.DestinationUnreachable(needed.Code, default, needed.QuoteLength);
        if (Send(repr, pushed.Value, needed.Quote, needed.From, needed.To, 0, null))
        {
            _unreachablesSent++;
        }
    }

    /// <summary>
    /// Writes the ICMP header (checksum over header and <paramref name="data"/>, visited in place) at
    /// the end of <paramref name="headroom"/> and hands both to the IPv4 worker, which owns them from
    /// then on. On a failure both are popped here and false is returned.
    /// </summary>
    private bool Send(in IcmpV4Repr repr, Capability headroom, Capability data, Ipv4Address source, Ipv4Address destination, ushort requestId, IActorRef? replyTo)
    {
        ChecksumAccumulator dataSum = default;
        Span<byte> header = stackalloc byte[IcmpV4Repr.HeaderLength];
        bool ok = NodeOps.Sum(_memory, _ts, data, 0, repr.DataLength, ref dataSum).IsOk;
        if (ok)
        {
            repr.EmitHeader(header, in dataSum);
            ok = _memory.Write(_ts, headroom, FrameLayout.EthernetIpv4HeaderLength, header, CopyKind.Header).IsOk;
        }

        if (!ok)
        {
            NodeOps.Release(_memory, _ts, headroom);
            NodeOps.Release(_memory, _ts, data);
            return false;
        }

        _ipTx.Tell(
            Ipv4Protocol.IpQueueXmit.Rent(
                requestId: requestId,
                replyTo: replyTo,
                reportedBytes: repr.DataLength,
                source: source,
                destination: destination,
                protocol: IpProtocol.Icmp,
                tos: 0,
                headroom: headroom,
                transportHeaderLength: IcmpV4Repr.HeaderLength,
                payload: data,
                payloadLength: repr.DataLength),
            Self);
        return true;
    }

    /// <summary>Timer message: the ping with <paramref name="Identifier"/> ran out of time.</summary>
    private sealed record PingTimeout(ushort Identifier);

    /// <summary>Timer key of one ping.</summary>
    private readonly record struct PingTimerKey(ushort Identifier);

    /// <summary>An echo request waiting for its reply.</summary>
    private readonly record struct PendingPing(IActorRef Requester, ushort Sequence, Ipv4Address Destination, DateTimeOffset Sent);
}
