using Edsos.Driver;
using Edsos.Memory;
using Edsos.Protocol.Ipv4;
using Edsos.Protocol.Wire;
using Akka.Actor;
using Edsos.Scheduler;

namespace Edsos.Protocol.Udp;

/// <summary>
/// The UDP transmit worker (seed 000's <c>tcp_tx_worker</c> counterpart, Linux <c>udp_sendmsg</c> /
/// <c>udp_send_skb</c>), in the transmit TS. For each <see cref="InetProtocol.XmitRequest"/> it sums the
/// shared payload in place (<see cref="MemoryManager.Visit{TState}"/>, no copy), picks the source
/// address for an unbound (0.0.0.0) sender, <c>push</c>es the headroom for Ethernet + IPv4 + UDP, writes
/// the UDP header with its final checksum (pseudo-header + header + payload), and hands headroom and
/// payload to the <see cref="Ipv4TxWorker"/> (<c>ip_queue_xmit</c>), which routes, resolves, fragments,
/// merges and queues. The socket's <see cref="InetProtocol.XmitComplete"/> comes from there.
/// </summary>
/// <remarks>
/// Failures answered here: <see cref="Errno.EMSGSIZE"/> above 65507 bytes, <see cref="Errno.EINVAL"/>
/// for destination port 0 or an unspecified destination, <see cref="Errno.EFAULT"/> when the payload
/// cannot be read (its origin TS exited: the visit fails with InvalidGva), <see cref="Errno.ENOBUFS"/>
/// when no headroom can be pushed. The payload CTRN is popped on every one of them.
/// </remarks>
public sealed class UdpTxWorker : EdsrtActor
{
    private readonly InetStackOptions _options;
    private readonly MemoryManager _memory;
    private readonly TsId _ts;
    private readonly IActorRef _ipTx;
    private readonly BatchOutbox<Ipv4Protocol.IpQueueXmitBatch, Ipv4Protocol.IpQueueXmit> _toIp = new();
    private long _requests;
    private long _faults;

    /// <summary>Creates the worker; <see cref="InetStack.Start"/> does this.</summary>
    public UdpTxWorker(InetStackOptions options, MemoryManager memory, IActorRef ipTx)
    {
        _options = options;
        _memory = memory;
        _ts = Ts;
        _ipTx = ipTx;

        Receive<InetProtocol.XmitRequest>(request =>
        {
            OnXmit(request);
            Edsrt.ReturnHandled(request);
        });
        Receive<InetProtocol.XmitBatchRequest>(batch =>
        {
            // With batching, a socket's batch of sends leaves for IPv4 as one IpQueueXmitBatch.
            if (_options.Batching)
            {
                _toIp.Open();
            }

            try
            {
                for (int i = 0; i < batch.Count; i++)
                {
                    OnXmit(batch[i]);
                    Edsrt.ReturnHandled(batch[i]);
                }
            }
            finally
            {
                _toIp.Flush(Self);
            }

            Edsrt.ReturnHandled(batch);
        });
        Receive<InetStackProtocol.Quiesce>(_ =>
        {
            // Quiesced (the stack is stopping): every send is refused with ENETDOWN.
            Become(() =>
            {
                Receive<InetProtocol.XmitRequest>(request =>
                {
                    _requests++;
                    Reject(request, Errno.ENETDOWN);
                    Edsrt.ReturnHandled(request);
                });
                Receive<InetProtocol.XmitBatchRequest>(batch =>
                {
                    for (int i = 0; i < batch.Count; i++)
                    {
                        _requests++;
                        Reject(batch[i], Errno.ENETDOWN);
                        Edsrt.ReturnHandled(batch[i]);
                    }

                    Edsrt.ReturnHandled(batch);
                });
                Receive<InetStackProtocol.Quiesce>(_ => Sender.Tell(new InetStackProtocol.Quiesced(nameof(UdpTxWorker)), Self));
                Common();
            });
            Sender.Tell(new InetStackProtocol.Quiesced(nameof(UdpTxWorker)), Self);
        });
        Common();
    }

    private void Common()
    {
        Receive<InetStackProtocol.GetCounters>(_ => Sender.Tell(new UdpTxCounters(_requests, _faults), Self));
        Receive<InetStackProtocol.Release>(_ => Sender.Tell(new InetStackProtocol.Released(nameof(UdpTxWorker), 0), Self));
    }

    private void OnXmit(InetProtocol.XmitRequest request)
    {
        _requests++;
        if (request.Length < 0 || request.Length > UdpLimits.MaxPayload)
        {
            Reject(request, Errno.EMSGSIZE);
            return;
        }

        if (request.Destination.Port == 0 || request.Destination.Address.IsUnspecified)
        {
            Reject(request, Errno.EINVAL);
            return;
        }

        Ipv4Address source = request.Source.Address.IsUnspecified
            ? _options.SelectSource(request.Destination.Address)
            : request.Source.Address;
        Ipv4Address destination = request.Destination.Address;

        ChecksumAccumulator payloadSum = default;
        if (request.Length > 0)
        {
            var visited = NodeOps.Sum(_memory, _ts, request.Payload, 0, request.Length, ref payloadSum);
            if (!visited.IsOk)
            {
                _faults++;
                Reject(request, Errno.EFAULT);
                return;
            }
        }

        // The header node is made and filled in one memory operation (push and write under one lock).
        Span<byte> header = stackalloc byte[UdpRepr.HeaderLength];
        new UdpRepr(request.Source.Port, request.Destination.Port, request.Length).EmitHeader(header, source, destination, in payloadSum);
        var pushed = _memory.PushWith(_ts, "hdr", FrameLayout.Headroom8, FrameLayout.EthernetIpv4HeaderLength, header, CopyKind.Header);
        if (!pushed.IsOk)
        {
            Reject(request, Errno.ENOBUFS);
            return;
        }

        var queued = Ipv4Protocol.IpQueueXmit.Rent(
            requestId: request.RequestId,
            replyTo: request.ReplyTo,
            reportedBytes: request.Length,
            source: source,
            destination: destination,
            protocol: IpProtocol.Udp,
            tos: 0,
            headroom: pushed.Value,
            transportHeaderLength: UdpRepr.HeaderLength,
            payload: request.Length > 0 ? request.Payload : default,
            payloadLength: request.Length);
        if (!_toIp.TryAdd(_ipTx, queued))
        {
            _ipTx.Tell(queued, Self);
        }

        if (request.Length == 0)
        {
            // A zero-length datagram has no payload to merge; the socket may still have shared a node.
            NodeOps.Release(_memory, _ts, request.Payload);
        }
    }

    private void Reject(InetProtocol.XmitRequest request, Errno error)
    {
        NodeOps.Release(_memory, _ts, request.Payload);
        request.ReplyTo.Tell(new InetProtocol.XmitComplete(request.RequestId, 0, error), Self);
    }
}
