using Edsos.Protocol;
using Edsos.Protocol.Wire;
using static Edsos.Protocol.InetProtocol;
using static Edsos.SocketService.SocketProtocol;

namespace Edsos.SocketService.Tests;

/// <summary>
/// Who gives a stream socket's port back: the socket itself when it never had a connection, TCP (after
/// TIME_WAIT) when it had one, handed over with the close, naming the endpoint as the family bound it.
/// </summary>
public sealed class SockNodeStreamSpec : SocketSpecBase
{
    private static readonly Ipv4Endpoint s_autobound = new(Ipv4Address.Any, 49152);
    private static readonly Ipv4Endpoint s_connection = new(Ipv4Address.Parse("10.0.0.1"), 49152);
    private const ulong ConnectionId = 42;

    [Fact]
    public void Close_ConnectedAfterAutobind_HandsTheWildcardBindingToTcpAndDoesNotUnbind()
    {
        var (node, _) = StartSocket(type: SocketKind.Stream);
        Connect(node);

        node.Tell(new CloseSocket(2), TestActor);

        var close = Tx.ExpectMsg<StreamClose>();
        Assert.Equal(new StreamClose(ConnectionId, Abort: false, s_autobound), close);
        Assert.Equal(Errno.None, ExpectMsg<SocketReply>(r => r.ReqId == 2).Error);
        Family.ExpectNoMsg(Short);
    }

    [Fact]
    public void Close_WhileConnecting_HandsTheBindingOverWithTheClose()
    {
        var (node, _) = StartSocket(type: SocketKind.Stream);
        node.Tell(new ConnectSocket(1, Peer, NonBlocking: true), TestActor);
        Family.ExpectMsg<BindRequest>();
        Family.Reply(new BindReply(Errno.None, s_autobound));
        var connect = Tx.ExpectMsg<StreamConnect>();
        Assert.Equal(Errno.EINPROGRESS, ExpectMsg<SocketReply>(r => r.ReqId == 1).Error);

        node.Tell(new CloseSocket(2), TestActor);

        // No connection id yet: the close names the connect request.
        Assert.Equal(new StreamCancelConnect(connect.ReqId, s_autobound), Tx.ExpectMsg<StreamCancelConnect>());
        Family.ExpectNoMsg(Short);
    }

    [Fact]
    public void Close_BoundButNeverConnected_UnbindsItselfAndTellsTcpNothing()
    {
        var (node, _) = StartSocket(type: SocketKind.Stream);
        node.Tell(new BindSocket(1, Local), TestActor);
        Family.ExpectMsg<BindRequest>();
        Family.Reply(new BindReply(Errno.None, Local));
        Assert.Equal(Errno.None, ExpectMsg<SocketReply>(r => r.ReqId == 1).Error);

        node.Tell(new CloseSocket(2), TestActor);

        Assert.Equal(new Unbind(6, Local), Family.ExpectMsg<Unbind>());
        Tx.ExpectNoMsg(Short);
    }

    /// <summary>A blocking connect: autobind on 0.0.0.0, then TCP reports the connection on the routed address.</summary>
    private void Connect(IActorRef node)
    {
        node.Tell(new ConnectSocket(1, Peer), TestActor);
        Assert.Equal(new Ipv4Endpoint(Ipv4Address.Any, 0), Family.ExpectMsg<BindRequest>().Local);
        Family.Reply(new BindReply(Errno.None, s_autobound));
        var connect = Tx.ExpectMsg<StreamConnect>();
        Assert.Equal(s_autobound, connect.Local);
        Tx.Reply(new StreamConnected(connect.ReqId, Errno.None, s_connection, Peer, ConnectionId));
        Assert.Equal(Errno.None, ExpectMsg<SocketReply>(r => r.ReqId == 1).Error);
    }
}
