using System.Runtime.CompilerServices;
using Edsos.Driver;
using Edsos.Memory;
using Edsos.Protocol;
using Edsos.Protocol.Ipv4;
using Akka.Actor;
using Edsos.Scheduler;
using Edsos.SocketService.Internal;
using static Edsos.Protocol.InetProtocol;
using static Edsos.SocketService.SocketProtocol;

namespace Edsos.SocketService;

/// <summary>
/// One socket, the <c>sock_node</c> of seed 000 (<c>/net/sockets/sock_0xABCD</c>), in its own TS: the base of
/// <see cref="DatagramSocket"/> and <see cref="StreamSocket"/>. It holds what both share: the options the family
/// opened the endpoint with, the local endpoint and the port the socket owns, the send queue of CTRNs the KPN
/// shares in (<c>send_q/&lt;n&gt;</c>) and their hand-over to the transmit worker, SO_SNDBUF/SO_RCVBUF/SO_ERROR,
/// the hand-over of received data to the KPN or the user, statistics, and the closed phase. Every CTRN it is given
/// is released once on every path (completion, error, drop, close). Answers every request of
/// <see cref="SocketProtocol"/> with its reply type; errors are <see cref="Errno"/> values in the replies, never
/// exceptions.
/// </summary>
/// <remarks>
/// Phases are behaviours (<c>Become</c>): each subclass registers its open phases with <see cref="Common"/>, and
/// every socket ends in <see cref="Closed"/>, where every call answers <see cref="Errno.EBADF"/> and the TS exits
/// once nothing is owed to it any more (a bind reply, TCP's release of a stream's send buffers).
/// </remarks>
public abstract partial class SockNode : EdsrtActor
{
    private readonly string _recvPrefix;

    // The answers of one burst (a batch of completions or of datagrams) to each KPN, in one event rather than one
    // mailbox hop per datagram (SendRespBatchEvent, RecvRespBatchEvent).
    private readonly AnswerOutbox<SendRespEvent> _sendAnswers = new(answers => new SendRespBatchEvent(answers));
    private readonly AnswerOutbox<RecvRespEvent> _recvAnswers = new(answers => new RecvRespBatchEvent(answers));

    /// <summary>Creates the socket; <paramref name="options"/> carry the endpoint the family opened.</summary>
    private protected SockNode(SockNodeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Options = options;
        Sends = new SendQueue(options.SendBuffer);
        ReceiveBuffer = options.ReceiveBuffer;
        _txPrefix = $"sock_0x{options.SocketId:X4}/";
        _recvPrefix = $"recv/sock_0x{options.SocketId:X4}_";
    }

    /// <summary>
    /// Props for the socket <paramref name="options"/> describe (<see cref="StreamSocket"/> for
    /// <see cref="SocketKind.Stream"/>, else <see cref="DatagramSocket"/>), bound to its own TS
    /// <paramref name="tsPath"/> (for example <c>/net/sockets/sock_0x0001</c>).
    /// </summary>
    public static Props CreateProps(SockNodeOptions options, string tsPath)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.Type == SocketKind.Stream
            ? StreamSocket.CreateProps(options, tsPath)
            : DatagramSocket.CreateProps(options, tsPath);
    }

    /// <summary>The TS path of socket <paramref name="socketId"/> under the table's <paramref name="tablePath"/>.</summary>
    public static string TsPathOf(string tablePath, ulong socketId) => $"{tablePath}/sock_0x{socketId:X4}";

    private protected SockNodeOptions Options { get; }

    private protected SendQueue Sends { get; }

    private protected int ReceiveBuffer { get; set; }

    /// <summary>The local endpoint: as bound, or (connected stream) the connection's, with the address connect picked.</summary>
    private protected Ipv4Endpoint Local { get; set; }

    /// <summary>The port the socket owns, as the family bound it (0.0.0.0 stays 0.0.0.0): what Unbind must name. Null: none.</summary>
    private protected Ipv4Endpoint? OwnedPort { get; set; }

    /// <summary>The peer: a datagram socket's default destination, a stream socket's connection peer. Null: none.</summary>
    private protected Ipv4Endpoint? Remote { get; set; }

    /// <summary>SO_ERROR: the pending asynchronous error; reading it clears it.</summary>
    private protected Errno SoError { get; set; }

    private protected static Ipv4Endpoint Ephemeral => new(default, 0);

    /// <summary>Releases a node this socket owns, once (a node revoked by a lift is gone anyway).</summary>
    private protected void Release(Capability node, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
        => Memory.Release(Ts, node, file, line);

    /// <summary>Asks the family to bind <paramref name="local"/> for this socket; its <see cref="BindReply"/> settles the bind.</summary>
    private protected void RequestBind(Ipv4Endpoint local)
        => Options.Family.Tell(new BindRequest(Options.Protocol, local, Self, Ts), Self);

    /// <summary>Gives the port <paramref name="bound"/> back to the family.</summary>
    private protected void Unbind(Ipv4Endpoint bound) => Options.Family.Tell(new Unbind(Options.Protocol, bound), Self);

    /// <summary>
    /// The handlers every open phase shares, registered after the phase's own (the first match wins): options,
    /// statistics reporting <paramref name="state"/>, send completions, and receive cancellation.
    /// </summary>
    private protected void Common(SocketState state)
    {
        Receive<SetSocketOption>(OnSetOption);
        Receive<GetSocketOption>(OnGetOption);
        Receive<GetSocketStats>(message => ReplyStats(message, state));
        Receive<XmitComplete>(m => OnXmitComplete(m.RequestId, m.Bytes, m.Error));
        Receive<Ipv4Protocol.IpXmitComplete>(m =>
        {
            OnXmitComplete(m.RequestId, m.Bytes, m.Error);
            Edsrt.ReturnHandled(m);
        });
        Receive<Ipv4Protocol.IpXmitCompleteBatch>(batch =>
        {
            // Sends parked for SO_SNDBUF room that these completions free leave in one batch too, and the answers
            // to the completed sends in one SendRespBatchEvent per KPN.
            BeginTransmitBatch();
            _sendAnswers.Open();
            try
            {
                for (int i = 0; i < batch.Count; i++)
                {
                    OnXmitComplete(batch[i].RequestId, batch[i].Bytes, batch[i].Error);
                    Edsrt.ReturnHandled(batch[i]);
                }
            }
            finally
            {
                _sendAnswers.Flush(Self);
                EndTransmitBatch();
            }

            Edsrt.ReturnHandled(batch);
        });
        Receive<RecvCancelEvent>(OnRecvCancel);

        // A phase that does not take a batch itself (it refuses sends, or is about to change): each send is handed
        // back to this socket's mailbox in order, and the phase then current answers it.
        Receive<SendBatchReqEvent>(batch => Unbatch(batch, Sender));
    }

    /// <summary>
    /// Starts a burst of receive answers (a batch of arriving datagrams, or of receives served from the queue): until
    /// the matching <see cref="EndRecvAnswers"/> the datagrams handed over go to each KPN in one
    /// <see cref="RecvRespBatchEvent"/>.
    /// </summary>
    private protected void BeginRecvAnswers() => _recvAnswers.Open();

    /// <summary>Tells each KPN the burst's receive answers (one alone as itself); call it in a <c>finally</c>.</summary>
    private protected void EndRecvAnswers() => _recvAnswers.Flush(Self);

    /// <summary>Tells this socket each send of <paramref name="batch"/> on its own, from <paramref name="replyTo"/>.</summary>
    private protected void Unbatch(SendBatchReqEvent batch, IActorRef replyTo)
    {
        foreach (var send in batch.Sends)
        {
            Self.Tell(send, replyTo);
        }
    }

    /// <summary>Withdraws a waiting receive whose caller gave up (answered <see cref="Errno.EINTR"/>); one already served is left alone.</summary>
    private protected abstract void OnRecvCancel(RecvCancelEvent message);

    /// <summary>Receive-side numbers for <see cref="SocketStats"/>: datagrams/segments and bytes queued, receives waiting, arrived, dropped.</summary>
    private protected abstract (int Queued, int QueuedBytes, int Waiters, long Received, long Dropped) ReceiveStats { get; }

    /// <summary>A protocol option (<see cref="SocketOption.NoDelay"/>): the subclass answers it, or returns false (<see cref="Errno.ENOPROTOOPT"/>).</summary>
    private protected virtual bool TrySetProtocolOption(SetSocketOption message) => false;

    /// <summary>Reads a protocol option into <paramref name="value"/>, or returns false (<see cref="Errno.ENOPROTOOPT"/>).</summary>
    private protected virtual bool TryGetProtocolOption(SocketOption option, out long value)
    {
        value = 0;
        return false;
    }

    private void OnSetOption(SetSocketOption message)
    {
        switch (message.Option)
        {
            case SocketOption.SendBuffer when message.Value > 0:
                Sends.Capacity = message.Value;
                Sender.Tell(new SocketReply(message.ReqId, Errno.None, 0));
                PumpParked();
                break;
            case SocketOption.ReceiveBuffer when message.Value > 0:
                ReceiveBuffer = message.Value;
                Sender.Tell(new SocketReply(message.ReqId, Errno.None, 0));
                break;
            case SocketOption.SendBuffer or SocketOption.ReceiveBuffer:
                Sender.Tell(new SocketReply(message.ReqId, Errno.EINVAL, 0));
                break;
            default:
                if (!TrySetProtocolOption(message))
                {
                    // SO_ERROR is read-only (Linux: ENOPROTOOPT).
                    Sender.Tell(new SocketReply(message.ReqId, Errno.ENOPROTOOPT, 0));
                }

                break;
        }
    }

    private void OnGetOption(GetSocketOption message)
    {
        switch (message.Option)
        {
            case SocketOption.SendBuffer:
                Sender.Tell(new SocketReply(message.ReqId, Errno.None, Sends.Capacity));
                break;
            case SocketOption.ReceiveBuffer:
                Sender.Tell(new SocketReply(message.ReqId, Errno.None, ReceiveBuffer));
                break;
            case SocketOption.Error:
                var error = SoError;
                SoError = Errno.None;
                Sender.Tell(new SocketReply(message.ReqId, Errno.None, (long)error));
                break;
            default:
                Sender.Tell(TryGetProtocolOption(message.Option, out var value)
                    ? new SocketReply(message.ReqId, Errno.None, value)
                    : new SocketReply(message.ReqId, Errno.ENOPROTOOPT, 0));
                break;
        }
    }

    private void ReplyStats(GetSocketStats message, SocketState state)
    {
        var receive = ReceiveStats;
        Sender.Tell(new SocketStats(
            ReqId: message.ReqId,
            State: state,
            Local: state is SocketState.Bound or SocketState.Connected or SocketState.Connecting or SocketState.Listening ? Local : null,
            Remote: Remote,
            SendInFlight: Sends.InFlightCount,
            SendParked: Sends.ParkedCount,
            SendQueuedBytes: Sends.QueuedBytes,
            ReceiveQueued: receive.Queued,
            ReceiveQueuedBytes: receive.QueuedBytes,
            ReceiveWaiters: receive.Waiters,
            DatagramsSent: Sends.Sent,
            DatagramsReceived: receive.Received,
            DatagramsDropped: receive.Dropped));
    }
}
