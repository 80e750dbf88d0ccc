using Edsos.Memory;
using Edsos.Protocol;
using Edsos.Protocol.Inet;
using Edsos.Protocol.Wire;
using Akka.Actor;
using Edsos.Scheduler;
using static Edsos.Protocol.InetProtocol;
using static Edsos.SocketService.SocketProtocol;

namespace Edsos.SocketService.Tests;

public sealed class SocketTableSpec : SocketSpecBase
{
    private IActorRef StartTable(int maxSockets = 1024)
    {
        // The real inet family with UDP registered; the family probe stands in for the receive worker.
        var options = new InetStackOptions { Address = Ipv4Cidr.Parse("10.0.0.1/24"), Mac = MacAddress.Parse("02:00:00:00:00:01") };
        RegisterProtocol[] udp = [new RegisterProtocol(SocketKind.Dgram, 17, Tx, TxTs, 65507)];
        var family = ActorOf(Props.Create(() => new InetFamily(options, Family, udp)));
        return ActorOf(SocketTable.CreateProps(new SocketTableOptions { Family = family, MaxSockets = maxSockets }));
    }

    [Fact]
    public void Create_InetDatagram_StartsSockNodeInItsOwnTs()
    {
        var table = StartTable();

        table.Tell(new CreateSocket(1, SocketTable.AfInet, SocketKind.Dgram, 0, UserTs), TestActor);

        var created = ExpectMsg<SocketCreated>();
        Assert.Equal(Errno.None, created.Error);
        Assert.Equal(1UL, created.SocketId);
        Assert.NotNull(created.Node);
        var info = Memory.GetTs(created.NodeTs);
        Assert.Equal("/net/sockets/sock_0x0001", info.Path);
        Assert.Equal(TsKind.Kernel, info.Kind);
        Assert.Equal(Memory.FindTs("/net/sockets").Unwrap(), info.Parent);
        created.Node!.Tell(new GetSocketStats(2), TestActor);
        Assert.Equal(SocketState.Unbound, ExpectMsg<SocketStats>().State);
    }

    [Fact]
    public void Create_OtherDomain_RepliesEafnosupport()
    {
        var table = StartTable();

        table.Tell(new CreateSocket(1, 10, SocketKind.Dgram, 0, UserTs), TestActor);

        Assert.Equal(Errno.EAFNOSUPPORT, ExpectMsg<SocketCreated>().Error);
    }

    [Theory]
    [InlineData(SocketKind.Stream, 0, Errno.ESOCKTNOSUPPORT)]
    [InlineData(SocketKind.Dgram, 6, Errno.EPROTONOSUPPORT)]
    public void Create_FamilyHasNoImplementation_RepliesItsError(SocketKind type, int protocol, Errno expected)
    {
        // Only UDP is registered: no entry for the type is ESOCKTNOSUPPORT, no entry for the protocol EPROTONOSUPPORT.
        var table = StartTable();

        table.Tell(new CreateSocket(1, SocketTable.AfInet, type, protocol, UserTs), TestActor);

        var created = ExpectMsg<SocketCreated>();
        Assert.Equal(expected, created.Error);
        Assert.Null(created.Node);
    }

    [Fact]
    public void Create_PastLimit_RepliesEnfileUntilOneCloses()
    {
        var table = StartTable(maxSockets: 1);
        table.Tell(new CreateSocket(1, SocketTable.AfInet, SocketKind.Dgram, 0, UserTs), TestActor);
        var first = ExpectMsg<SocketCreated>();

        table.Tell(new CreateSocket(2, SocketTable.AfInet, SocketKind.Dgram, 0, UserTs), TestActor);
        Assert.Equal(Errno.ENFILE, ExpectMsg<SocketCreated>().Error);

        first.Node!.Tell(new CloseSocket(3), TestActor);
        ExpectMsg<SocketReply>();
        AwaitAssert(() =>
        {
            table.Tell(new CreateSocket(4, SocketTable.AfInet, SocketKind.Dgram, 0, UserTs), TestActor);
            var again = ExpectMsg<SocketCreated>();
            Assert.Equal(Errno.None, again.Error);
            Assert.Equal(2UL, again.SocketId);
        });
    }

    [Fact]
    public void CloseOrphans_OwnerTsExited_ClosesOnlyItsSocketsWithoutDoubleReleases()
    {
        // Console cluster: a user process was SIGKILLed and its TSs lifted; its sockets in net must not outlive it.
        var table = StartTable();
        var other = Memory.CreateTs("/user_proc/bystander", TsKind.User).Unwrap();
        table.Tell(new CreateSocket(1, SocketTable.AfInet, SocketKind.Dgram, 0, UserTs), TestActor);
        var orphan = ExpectMsg<SocketCreated>();
        table.Tell(new CreateSocket(2, SocketTable.AfInet, SocketKind.Dgram, 0, other), TestActor);
        var kept = ExpectMsg<SocketCreated>();
        orphan.Node!.Tell(new BindSocket(10, Local), TestActor);
        var added = Family.ExpectMsg<Edsos.Protocol.Ipv4.Ipv4Protocol.BindingAdded>();
        added.ReplyTo.Tell(added.Reply);
        Assert.Equal(Errno.None, ExpectMsg<SocketReply>(r => r.ReqId == 10).Error);
        var buffer = UserBuffer(new byte[300]);
        orphan.Node.Tell(new SendReqEvent(3, ShareToSocket(buffer, orphan.NodeTs, 300), 300, Peer, NonBlocking: false), TestActor);
        var xmit = Tx.ExpectMsg<XmitRequest>();
        Watch(orphan.Node);

        var lift = Memory.Lift(UserTs);
        table.Tell(new CloseOrphans(), TestActor);

        Assert.True(lift.CtrnsRevoked >= 1, "the share queued in the socket was revoked by the lift");
        // Two senders answer (the table, the closing socket) and the watched socket stops: in any order.
        var replies = new[] { ExpectMsg<object>(), ExpectMsg<object>(), ExpectMsg<object>() };
        Assert.Equal(1, Assert.Single(replies.OfType<OrphansClosed>()).Sockets);
        Assert.Equal(Errno.EBADF, Assert.Single(replies.OfType<SendRespEvent>(), r => r.ReqId == 3).Error);
        Assert.Equal(orphan.Node, Assert.Single(replies.OfType<Terminated>()).ActorRef);
        kept.Node!.Tell(new GetSocketStats(4), TestActor);
        Assert.Equal(SocketState.Unbound, ExpectMsg<SocketStats>().State);
        Assert.Equal(MemoryError.InvalidGva, Memory.Pop(TxTs, xmit.Payload).Error);
        kept.Node.Tell(new CloseSocket(5), TestActor);
        ExpectMsg<SocketReply>(r => r.ReqId == 5);
        AwaitAssert(() =>
        {
            var report = Memory.GetLeakReport();
            Assert.Empty(report.DoubleReleases);
            Assert.Equal(0, report.PagesInUse);
        });
    }
}
