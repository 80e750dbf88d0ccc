using Akka.Actor;
using Edsos.Driver;
using Edsos.Memory;
using Edsos.Protocol.Tcp.Core;
using Edsos.Protocol.Wire;
using Edsos.Scheduler;

namespace Edsos.Protocol.Tcp;

/// <summary>
/// Arriving segments: the demultiplexing by 4-tuple, listeners (RFC 9293 3.10.7.2), the TIME_WAIT reuse rule, a RST
/// for what belongs to nobody; and the <see cref="ITcpConnectionHost"/> events a connection raises toward its socket.
/// </summary>
public sealed partial class TcpWorker
{
    // Received stream bytes as the socket gets them: readable, shareable on (an echo sends them back), mappable.
    private const Rights SocketDataRights = Rights.Read | Rights.Share | Rights.Map;

    private void OnSegment(TcpProtocol.SegmentReceivedEvent segment)
    {
        _segmentsReceived++;
        var payload = segment.Payload;
        using var held = _memory.Own(_ts, ref payload);
        var seg = segment.Header;
        var local = new Ipv4Endpoint(segment.Destination, seg.DestinationPort);
        var remote = new Ipv4Endpoint(segment.Source, seg.SourcePort);
        var now = Now;
        if (_connections.TryGetValue((local, remote), out var slot))
        {
            // RFC 6191 2 / RFC 1122 4.2.2.13: a SYN may open a new incarnation of a TIME_WAIT 4-tuple, if a listener
            // takes the port; otherwise the connection answers it (a challenge ACK).
            if (slot.Connection.CanReopen(seg, out uint iss) && FindListener(local) is { } reopen)
            {
                _stats.TimeWaitReopened++;
                slot.Connection.Delete(Errno.None);
                OnListenSegment(reopen, local, remote, segment, held.Transfer(), iss);
                return;
            }

            slot.Connection.Process(seg, held.Transfer(), segment.Length, now);
            if (!ResetIfBroken(slot))
            {
                Schedule(slot);
            }

            return;
        }

        if (FindListener(local) is { } listener)
        {
            OnListenSegment(listener, local, remote, segment, held.Transfer());
            return;
        }

        // RFC 9293 3.10.7.1: CLOSED. Anything but a RST is answered with a RST (the payload released first, so the
        // RST's header space never waits on it).
        held.Dispose();
        SendResetFor(segment);
    }

    private Listener? FindListener(Ipv4Endpoint local) =>
        _listeners.TryGetValue(local.Port, out var listener) && (listener.Local.Address.IsUnspecified || listener.Local.Address == local.Address)
            ? listener
            : null;

    /// <summary>
    /// RFC 9293 3.10.7.2, LISTEN: a SYN opens a connection in SYN-RECEIVED (<see cref="TcpConnection.Accept"/>); an ACK
    /// is reset; a RST is ignored; a full backlog drops the SYN. <paramref name="iss"/> is set when the SYN reopens a
    /// TIME_WAIT 4-tuple. <paramref name="payload"/> (the segment's, ours) is released on every path but an accept,
    /// which hands it to the new connection.
    /// </summary>
    private void OnListenSegment(Listener listener, Ipv4Endpoint local, Ipv4Endpoint remote, TcpProtocol.SegmentReceivedEvent segment, Capability payload, uint? iss = null)
    {
        using var held = _memory.Own(_ts, ref payload);
        var seg = segment.Header;
        if ((seg.Flags & TcpFlags.Rst) != 0)
        {
            return;
        }

        if ((seg.Flags & TcpFlags.Ack) != 0 || (seg.Flags & TcpFlags.Syn) == 0)
        {
            held.Dispose();
            SendResetFor(segment);
            return;
        }

        int waiting = 0;
        foreach (var other in _byId.Values)
        {
            if (other.Listener == listener.Local && other.Socket is null && other.Connection.State != TcpState.Closed)
            {
                waiting++;
            }
        }

        if (waiting >= listener.Backlog)
        {
            // Backlog full: drop the SYN silently (Linux), the peer retries.
            return;
        }

        var slot = NewConnection(local, remote, iss);
        slot.Listener = listener.Local;
        slot.Connection.Accept(seg, held.Transfer(), segment.Length, Now);
        Schedule(slot);
    }

    /// <summary>RST for a segment that belongs to no connection (RFC 9293 3.10.7.1; never in answer to a RST).</summary>
    private void SendResetFor(TcpProtocol.SegmentReceivedEvent segment)
    {
        if (TcpConnection.ResetFor(segment.Header, segment.Length) is { } header)
        {
            Emit(new Ipv4Endpoint(segment.Destination, header.SourcePort), new Ipv4Endpoint(segment.Source, header.DestinationPort), new TcpSegment(header, null, 0, 0, 0));
            _stats.ResetsSent++;
        }
    }

    // ---- events from the connections (ITcpConnectionHost) -----------------------------------------

    /// <inheritdoc/>
    TransmitOutcome ITcpConnectionHost.Transmit(TcpConnection connection, in TcpSegment segment) =>
        Emit(connection.Local, connection.Remote, segment);

    /// <inheritdoc/>
    bool ITcpConnectionHost.Deliver(TcpConnection connection, Capability node, int length)
    {
        var slot = _byId[connection.Id];
        if (slot.Socket is null || slot.AwaitingAccept)
        {
            slot.Undelivered.Enqueue((node, length));
            return true;
        }

        return ShareToSocket(slot, node, length);
    }

    /// <inheritdoc/>
    bool ITcpConnectionHost.Established(TcpConnection connection)
    {
        var slot = _byId[connection.Id];
        if (slot.ConnectReplyTo is { } waiter)
        {
            slot.ConnectReplyTo = null;
            waiter.Tell(new InetProtocol.StreamConnected(slot.ConnectReqId, Errno.None, connection.Local, connection.Remote, connection.Id), Self);
        }
        else if (slot.Listener is { } listening && slot.Socket is null)
        {
            if (!_listeners.TryGetValue(listening.Port, out var listener) || listener.Local != listening)
            {
                return false;
            }

            slot.AwaitingAccept = true;
            listener.Socket.Tell(new InetProtocol.StreamIncoming(connection.Id, connection.Local, connection.Remote), Self);
        }

        return true;
    }

    /// <inheritdoc/>
    void ITcpConnectionHost.EndOfStream(TcpConnection connection)
    {
        var slot = _byId[connection.Id];
        if (slot.Socket is { } socket && !slot.AwaitingAccept)
        {
            TellAfterData(socket, new InetProtocol.StreamEofEvent(connection.Local, connection.Remote));
        }
    }

    /// <inheritdoc/>
    void ITcpConnectionHost.ChunksReleased(TcpConnection connection) => NotifyReleased(_byId[connection.Id]);

    /// <inheritdoc/>
    void ITcpConnectionHost.Closed(TcpConnection connection, Errno error)
    {
        var slot = _byId[connection.Id];
        _connections.Remove((connection.Local, connection.Remote));
        _byId.Remove(connection.Id);
        _deadlines.Remove(connection.Id);
        var failure = error == Errno.None ? Errno.EPIPE : error;
        foreach (var chunk in connection.Chunks)
        {
            if (_sends.Remove(chunk.Token, out var send) && slot.Socket is not null)
            {
                TellAfterData(send.ReplyTo, new InetProtocol.XmitComplete(send.RequestId, 0, failure));
            }
        }

        if (slot.ReleaseWaiter is { } releaseWaiter)
        {
            slot.ReleaseWaiter = null;
            TellAfterData(releaseWaiter, new InetProtocol.StreamReleased(connection.Local, connection.Remote));
        }

        while (slot.Undelivered.Count > 0)
        {
            Release(slot.Undelivered.Dequeue().Node);
        }

        if (slot.ConnectReplyTo is { } waiter)
        {
            slot.ConnectReplyTo = null;
            waiter.Tell(new InetProtocol.StreamConnected(slot.ConnectReqId, error == Errno.None ? Errno.ECONNABORTED : error, connection.Local, connection.Remote), Self);
        }
        else if (error != Errno.None && slot.Socket is { } socket)
        {
            TellAfterData(socket, new InetProtocol.StreamErrorEvent(connection.Local, connection.Remote, error));
        }

        slot.Socket = null;
        ReleasePort(slot.PortBinding);
        slot.PortBinding = null;
    }

    /// <summary>Tells the closed socket waiting on <paramref name="slot"/> that its last buffer was released.</summary>
    private void NotifyReleased(ConnectionSlot slot)
    {
        if (slot.ReleaseWaiter is { } waiter && slot.Connection.Chunks.Count == 0)
        {
            slot.ReleaseWaiter = null;
            TellAfterData(waiter, new InetProtocol.StreamReleased(slot.Connection.Local, slot.Connection.Remote));
        }
    }

    /// <summary>
    /// Grants <paramref name="node"/> (ours, consumed or released here on every path) to the socket's TS and tells the
    /// socket; false when the socket's TS is gone (closed under us) and the bytes have nowhere to go. A grant, not a
    /// share: the socket's node is its own from here, its only origin the socket, so bytes TCP has acknowledged survive
    /// the death of the NIC driver whose RX buffers they lie in (a CTRN of those buffers was revoked with the driver,
    /// and the stream failed ENETDOWN); and it is one memory operation where a share and a pop were three.
    /// </summary>
    private bool ShareToSocket(ConnectionSlot slot, Capability node, int length)
    {
        var connection = slot.Connection;
        var granted = _memory.Grant(_ts, node, slot.SocketTs, "tcp-data", SocketDataRights & node.Rights);
        if (!granted.IsOk)
        {
            Release(node);
            slot.StreamBroken |= granted.Error is not (MemoryError.TsExited or MemoryError.NoSuchTs);
            return false;
        }

        var data = InetProtocol.DatagramReceivedEvent.Rent(granted.Value, length, connection.Remote, connection.Local);
        if (!_toSockets.TryAdd(slot.Socket!, data))
        {
            slot.Socket!.Tell(data, Self);
        }

        return true;
    }

    /// <summary>
    /// Resets the connection of <paramref name="slot"/> when bytes it acknowledged were lost before the socket had them
    /// (<see cref="ConnectionSlot.StreamBroken"/>): a RST to the peer, and the socket told <c>ENETDOWN</c> after the data
    /// it did get, so its reader sees the stream end there rather than read past a hole. True when it did.
    /// </summary>
    private bool ResetIfBroken(ConnectionSlot slot)
    {
        if (!slot.StreamBroken)
        {
            return false;
        }

        slot.StreamBroken = false;
        _stats.RevokedAborts++;
        slot.Connection.Abort(Now, Errno.ENETDOWN);
        return true;
    }

    /// <summary>
    /// A batch of segments (one receive poll's, <see cref="TcpProtocol.SegmentReceivedBatchEvent"/>): each handled as if
    /// it had come alone, and the data they deliver to one socket handed over in one
    /// <see cref="InetProtocol.DatagramReceivedBatchEvent"/> when the batch is done.
    /// </summary>
    private void OnSegmentBatch(TcpProtocol.SegmentReceivedBatchEvent batch)
    {
        _toSockets.Open();
        try
        {
            for (int i = 0; i < batch.Count; i++)
            {
                OnSegment(batch[i]);
            }
        }
        finally
        {
            _toSockets.Flush(Self);
        }

        Edsrt.ReturnHandled(batch);
    }

    /// <summary>
    /// Tells <paramref name="target"/> what must reach a socket after the data delivered before it (the end of the
    /// stream, an error, a release, a failed send's answer): data collected for a batch goes first.
    /// </summary>
    private void TellAfterData(IActorRef target, object message)
    {
        if (_toSockets.IsOpen)
        {
            _toSockets.Flush(Self);
            _toSockets.Open();
        }

        target.Tell(message, Self);
    }
}
