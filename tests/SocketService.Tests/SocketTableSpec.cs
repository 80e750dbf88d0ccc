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
}
