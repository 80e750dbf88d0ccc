using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;
using Akka.Actor;
using Edsos.Scheduler.Tracing;

namespace Edsos.Host.Cluster.Lanes;

/// <summary>
/// One inbound lane connection's reading state: the bytes of a frame not yet whole, and the recipient and sender
/// references resolved from their paths (cached). <see cref="ReceiveAvailable"/> reads what the socket has and tells
/// every whole frame's message to its recipient, on whichever thread calls it (the connection's reader thread, or the
/// dispatcher's own thread through <see cref="LanePoller"/>).
/// </summary>
internal sealed class LaneInbound
{
    private const int CacheLimit = 4096;
    private readonly LaneListener _listener;
    private readonly Dictionary<string, IActorRef> _recipients = [];
    private readonly Dictionary<string, IActorRef> _senders = [];
    private byte[] _buffer = new byte[64 * 1024];
    private int _filled;

    public LaneInbound(LaneListener listener, Socket socket)
    {
        _listener = listener;
        Socket = socket;
    }

    /// <summary>The connection.</summary>
    public Socket Socket { get; }

    /// <summary>Forgets the connection in its listener and closes it (once it ended).</summary>
    public void Close() => _listener.Forget(Socket);

    /// <summary>
    /// Reads from the socket (once when it blocks, until it would block when it does not) and delivers every whole
    /// frame; false when the connection is done: closed by the peer, failed, or a frame was malformed.
    /// </summary>
    public bool ReceiveAvailable()
    {
        while (true)
        {
            int read = Socket.Receive(_buffer.AsSpan(_filled), SocketFlags.None, out var error);
            if (error == SocketError.WouldBlock)
            {
                return true;
            }

            if (error != SocketError.Success || read == 0)
            {
                return false;
            }

            _filled += read;
            if (!DeliverWholeFrames())
            {
                return false;
            }

            if (Socket.Blocking)
            {
                // A blocking reader returns after each read; a non-blocking one reads until the socket would block.
                return true;
            }
        }
    }

    private bool DeliverWholeFrames()
    {
        int at = 0;
        while (_filled - at >= LaneFrame.LengthBytes)
        {
            int length = BinaryPrimitives.ReadInt32LittleEndian(_buffer.AsSpan(at));
            if (length <= 0 || length > LaneFrame.MaxFrame + (64 * 1024))
            {
                _listener.CountDropped();
                return false;
            }

            if (_filled - at - LaneFrame.LengthBytes < length)
            {
                if (LaneFrame.LengthBytes + length > _buffer.Length)
                {
                    // Keep the partial frame at the start of a buffer that holds it whole.
                    var bigger = new byte[LaneFrame.LengthBytes + length];
                    _buffer.AsSpan(at, _filled - at).CopyTo(bigger);
                    _buffer = bigger;
                    _filled -= at;
                    return true;
                }

                break;
            }

            if (!Deliver(_buffer.AsSpan(at + LaneFrame.LengthBytes, length)))
            {
                _listener.CountDropped();
                return false;
            }

            at += LaneFrame.LengthBytes + length;
        }

        _buffer.AsSpan(at, _filled - at).CopyTo(_buffer);
        _filled -= at;
        return true;
    }

    private bool Deliver(ReadOnlySpan<byte> body)
    {
        var header = LaneFrame.Read(body);
        if (!header.Valid)
        {
            return false;
        }

        _listener.RecordTransit(header.SentAt);
        var system = _listener.System;
        object message;
        try
        {
            message = system.Serialization.Deserialize(header.Payload.ToArray(), header.SerializerId, Encoding.UTF8.GetString(header.Manifest));
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return false;
        }

        var recipient = Resolve(_recipients, header.Recipient);
        var sender = header.Sender.IsEmpty ? ActorRefs.NoSender : Resolve(_senders, header.Sender);
        recipient.Tell(header.Traced ? new Traced(message, header.TraceHigh, header.TraceLow, header.SpanId, header.TraceFlags) : message, sender);
        _listener.CountDelivered();
        return true;
    }

    private IActorRef Resolve(Dictionary<string, IActorRef> cache, ReadOnlySpan<byte> path)
    {
        string key = Encoding.UTF8.GetString(path);
        if (cache.TryGetValue(key, out var actor))
        {
            return actor;
        }

        actor = _listener.System.Provider.ResolveActorRef(key);
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
