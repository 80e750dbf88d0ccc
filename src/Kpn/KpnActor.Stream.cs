using Edsos.Kpn.Internal;
using Edsos.Protocol;
using Akka.Actor;
using Edsos.Scheduler.Tracing;
using Edsos.SocketService;
using static Edsos.Kpn.KpnProtocol;
using static Edsos.SocketService.SocketProtocol;

namespace Edsos.Kpn;

/// <summary>
/// The stream calls: <c>listen</c>, <c>shutdown</c>, and <c>accept</c> in three steps (the listener hands over a
/// connection, the table makes a socket for it, the new socket adopts it before its descriptor is handed out).
/// </summary>
public sealed partial class KpnActor
{
    private void OnListen(Listen call)
    {
        if (!TryGetFd(call.Fd, out var entry))
        {
            return;
        }

        var reqId = Track(new PendingCall(CallKind.Listen, Sender, call.Fd));
        entry.Node.TellTraced(new ListenSocket(reqId, call.Backlog), Self);
    }

    private void OnShutdown(Shutdown call)
    {
        if (!TryGetFd(call.Fd, out var entry))
        {
            return;
        }

        var reqId = Track(new PendingCall(CallKind.Shutdown, Sender, call.Fd));
        entry.Node.TellTraced(new ShutdownSocket(reqId, call.How), Self);
    }

    private void OnAccept(Accept call)
    {
        // While exiting the table is empty: an accept is EBADF here.
        if (!TryGetFd(call.Fd, out var entry))
        {
            return;
        }

        if (_fds.Count + CountPending(CallKind.AcceptCreate) >= _options.MaxDescriptors)
        {
            Sender.Tell(SysResult.Fail(Errno.EMFILE));
            return;
        }

        // accept, step 1: the listener hands over a connection that completed its handshake.
        var reqId = Track(new PendingCall(CallKind.Accept, Sender, call.Fd));
        entry.Node.TellTraced(new AcceptReqEvent(reqId, entry.NonBlocking), Self);
    }

    private void OnAcceptResp(AcceptRespEvent reply)
    {
        if (!_pending.Remove(reply.ReqId, out var call))
        {
            return;
        }

        if (reply.Error != Errno.None)
        {
            call.ReplyTo.Tell(SysResult.Fail(reply.Error));
            return;
        }

        // accept, step 2: a socket for the connection, from the table like any other.
        var reqId = Track(new PendingCall(
            CallKind.AcceptCreate,
            call.ReplyTo,
            Fd: -1,
            Remote: reply.Remote,
            Stream: true,
            Connection: reply.ConnectionId));
        _options.SocketTable.TellTraced(
            new CreateSocket(ReqId: reqId, Domain: SocketTable.AfInet, Type: SocketKind.Stream, Protocol: 0, OwnerTs: _userTs),
            Self);
    }

    /// <summary>accept, step 3: the new socket adopts the connection before the descriptor is handed out.</summary>
    private void AdoptAccepted(PendingCall call, SocketCreated created)
    {
        var fd = AllocateFd();
        _fds.Add(fd, new FdEntry(created.SocketId, created.Node!, created.NodeTs, stream: true));
        var adoptId = Track(new PendingCall(
            CallKind.Adopt,
            call.ReplyTo,
            fd,
            Remote: call.Remote,
            Stream: true,
            Connection: call.Connection));
        created.Node!.TellTraced(new AdoptConnection(adoptId, call.Connection), Self);
    }

    /// <summary>The adoption's answer: the descriptor for the caller, or the socket closed and the error.</summary>
    private void OnAdopted(PendingCall call, SocketReply reply)
    {
        if (reply.Error != Errno.None)
        {
            if (_fds.Remove(call.Fd, out var failed))
            {
                failed.Node.Tell(new CloseSocket(0), ActorRefs.NoSender);
            }

            call.ReplyTo.Tell(SysResult.Fail(reply.Error));
            return;
        }

        if (_fds.TryGetValue(call.Fd, out var adopted))
        {
            adopted.Connected = true;
        }

        call.ReplyTo.Tell(SysResult.Ok(call.Fd));
    }
}
