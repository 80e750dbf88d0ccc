using Edsos.Protocol.Wire;
using Akka.Actor;
using Edsos.Scheduler;

namespace Edsos.Protocol.Tests;

/// <summary>The AF_INET family: protocol table (seed 003 inet_create) and the port table (inet_bind).</summary>
public sealed class InetFamilySpec : InetSpecBase
{
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task OpenEndpoint_LinuxLookupRules()
    {
        StartStack();

        var byDefault = await Stack.Family.Ask<InetProtocol.EndpointOpened>(new InetProtocol.OpenEndpoint(SocketKind.Dgram, 0), AskTimeout);
        var udp = await Stack.Family.Ask<InetProtocol.EndpointOpened>(new InetProtocol.OpenEndpoint(SocketKind.Dgram, 17), AskTimeout);
        var tcpAsDgram = await Stack.Family.Ask<InetProtocol.EndpointOpened>(new InetProtocol.OpenEndpoint(SocketKind.Dgram, 6), AskTimeout);
        var stream = await Stack.Family.Ask<InetProtocol.EndpointOpened>(new InetProtocol.OpenEndpoint(SocketKind.Stream, 0), AskTimeout);
        var raw = await Stack.Family.Ask<InetProtocol.EndpointOpened>(new InetProtocol.OpenEndpoint(SocketKind.Raw, 0), AskTimeout);

        Assert.Equal(new InetProtocol.EndpointOpened(Error: Errno.None, Protocol: 17, TxWorker: Stack.UdpTx, TxTs: Stack.TxTs, MaxPayload: 65507), byDefault);
        Assert.Equal(byDefault, udp);
        Assert.Equal(Errno.EPROTONOSUPPORT, tcpAsDgram.Error);
        Assert.Equal(new InetProtocol.EndpointOpened(Error: Errno.None, Protocol: 6, TxWorker: Stack.Tcp, TxTs: Stack.TcpTs, MaxPayload: int.MaxValue), stream);
        Assert.Equal(Errno.ESOCKTNOSUPPORT, raw.Error);
        await StopAndAssertNoLeakAsync();
    }

    [Fact]
    public async Task RegisterProtocol_NewTransport_ServesItsTypeAndRefusesADuplicate()
    {
        StartStack();
        var tcp = CreateTestProbe("raw-tx");

        var registered = await Stack.Family.Ask<InetProtocol.ProtocolRegistered>(new InetProtocol.RegisterProtocol(
            Type: SocketKind.Raw,
            Protocol: 255,
            TxWorker: tcp.Ref,
            TxTs: Stack.TxTs,
            MaxPayload: 1 << 20), AskTimeout);
        var again = await Stack.Family.Ask<InetProtocol.ProtocolRegistered>(new InetProtocol.RegisterProtocol(
            Type: SocketKind.Raw,
            Protocol: 255,
            TxWorker: tcp.Ref,
            TxTs: Stack.TxTs,
            MaxPayload: 1 << 20), AskTimeout);
        var builtIn = await Stack.Family.Ask<InetProtocol.ProtocolRegistered>(new InetProtocol.RegisterProtocol(
            Type: SocketKind.Stream,
            Protocol: 6,
            TxWorker: tcp.Ref,
            TxTs: Stack.TxTs,
            MaxPayload: 1 << 20), AskTimeout);
        var opened = await Stack.Family.Ask<InetProtocol.EndpointOpened>(new InetProtocol.OpenEndpoint(SocketKind.Raw, 0), AskTimeout);

        Assert.Equal(Errno.None, registered.Error);
        Assert.Equal(Errno.EADDRINUSE, again.Error);
        Assert.Equal(Errno.EADDRINUSE, builtIn.Error);
        Assert.Equal(255, opened.Protocol);
        Assert.Equal(tcp.Ref, opened.TxWorker);
        await StopAndAssertNoLeakAsync();
    }

    [Fact]
    public async Task Bind_PortTable_EphemeralInUseNotAvailableAndRebind()
    {
        StartStack();

        var ephemeral = Bind(0);
        var second = Bind(0);
        var explicitPort = Bind(5353, OurIp);
        var clash = Bind(5353);
        var foreign = Bind(5354, Ipv4Address.Parse("10.9.9.9"));
        var loopback = Bind(5355, Ipv4Address.Parse("127.0.0.1"));

        Assert.Equal(new InetProtocol.BindReply(Errno.None, new Ipv4Endpoint(Ipv4Address.Any, 49152)), ephemeral);
        Assert.Equal(49153, second.Bound.Port);
        Assert.Equal(new InetProtocol.BindReply(Errno.None, new Ipv4Endpoint(OurIp, 5353)), explicitPort);
        Assert.Equal(Errno.EADDRINUSE, clash.Error);
        Assert.Equal(Errno.EADDRNOTAVAIL, foreign.Error);
        Assert.Equal(Errno.None, loopback.Error);

        Stack.Family.Tell(new InetProtocol.Unbind((int)IpProtocol.Udp, explicitPort.Bound), Socket.Ref);
        Assert.Equal(Errno.None, Bind(5353).Error);
        await StopAndAssertNoLeakAsync();
    }
}
