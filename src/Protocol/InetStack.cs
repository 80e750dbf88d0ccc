using Edsos.Memory;
using Edsos.Protocol.Icmp;
using Edsos.Protocol.Inet;
using Edsos.Protocol.Ipv4;
using Edsos.Protocol.Qdisc;
using Edsos.Protocol.Routing;
using Edsos.Protocol.Tcp;
using Edsos.Protocol.Udp;
using Edsos.Protocol.Wire;
using Akka.Actor;
using Edsos.Scheduler;

namespace Edsos.Protocol;

/// <summary>
/// Builds and stops an inet stack (Linux <c>inet_init</c>): the family in <c>{root}</c>, the UDP and
/// IPv4 transmit workers, the ICMP service and the qdisc in <c>{root}/tx</c>, the IPv4 receive worker
/// in <c>{root}/rx</c>, wired to a driver's TX and RX workers.
/// </summary>
public static class InetStack
{
    /// <summary>
    /// Starts a stack on <paramref name="system"/> (whose <see cref="ActorSystem.Memory"/> and
    /// <see cref="ActorSystem.Scheduler"/> it uses). The qdisc sends <c>AttachTx</c> to
    /// <paramref name="driverTx"/> and the receive worker <c>AttachRx</c> to <paramref name="driverRx"/>;
    /// frames are <c>ct_share</c>d into <paramref name="driverTs"/>. UDP is registered for (Dgram, 0) and
    /// (Dgram, 17), TCP (<see cref="TcpTxWorker"/>, in <c>{root}/tx/tcp</c>) for (Stream, 0) and (Stream, 6). With <see cref="InetStackOptions.AnnounceOnStart"/> / <see cref="InetStackOptions.ProbeGatewayOnStart"/>
    /// the first frames are an ARP announcement and a gateway probe.
    /// </summary>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    /// <exception cref="InvalidOperationException">A tree space cannot be created, or the actor names are taken (another stack with the same <see cref="InetStackOptions.ActorNamePrefix"/>).</exception>
    public static InetStackHandle Start(ActorSystem system, InetStackOptions options, IActorRef driverTx, IActorRef driverRx, TsId driverTs)
    {
        ArgumentNullException.ThrowIfNull(system);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(driverTx);
        ArgumentNullException.ThrowIfNull(driverRx);
        options.Validate();

        MemoryManager memory = system.Memory;
        IScheduler clock = system.Scheduler;
        string root = options.TsRoot.TrimEnd('/');
        string txPath = root + "/tx";
        string rxPath = root + "/rx";
        TsId familyTs = EnsureTs(memory, root);
        TsId txTs = EnsureTs(memory, txPath);
        TsId rxTs = EnsureTs(memory, rxPath);
        string tcpPath = txPath + "/tcp";
        TsId tcpTs = EnsureTs(memory, tcpPath);
        RoutingTable routes = BuildRoutes(options);
        string prefix = options.ActorNamePrefix;

        // Creation order follows the references each actor needs; the receive worker learns its
        // transmit-side peers by message because the transmit worker needs it first (loopback).
        var qdisc = system.ActorOf(
            Props.Create(() => new QdiscWorker(options, memory, driverTx, driverTs)).WithTs(txPath),
            prefix + "-qdisc");
        var rx = system.ActorOf(
            Props.Create(() => new Ipv4RxWorker(options, memory, clock, driverRx, txTs)).WithTs(rxPath),
            prefix + "-ipv4-rx");
        var ipTx = system.ActorOf(
            Props.Create(() => new Ipv4TxWorker(options, memory, clock, routes, qdisc, rx, rxTs)).WithTs(txPath),
            prefix + "-ipv4-tx");
        var icmp = system.ActorOf(
            Props.Create(() => new IcmpService(options, memory, clock, ipTx)).WithTs(txPath),
            prefix + "-icmp");
        var tcp = system.ActorOf(
            Props.Create(() => new TcpTxWorker(options, memory, clock, ipTx, txTs)).WithTs(tcpPath),
            prefix + "-tcp");
        rx.Tell(new Ipv4Protocol.RxPeers(ipTx, icmp, tcp, tcpTs));
        var udp = system.ActorOf(
            Props.Create(() => new UdpTxWorker(options, memory, ipTx)).WithTs(txPath),
            prefix + "-udp-tx");
        InetProtocol.RegisterProtocol[] builtIn =
        [
            new(SocketKind.Dgram, (int)IpProtocol.Udp, udp, txTs, UdpLimits.MaxPayload),
            new(SocketKind.Stream, (int)IpProtocol.Tcp, tcp, tcpTs, int.MaxValue),
        ];
        var family = system.ActorOf(
            Props.Create(() => new InetFamily(options, rx, builtIn)).WithTs(root),
            prefix + "-family");
        tcp.Tell(new TcpProtocol.AttachFamily(family));

        return new InetStackHandle(options, family, udp, ipTx, rx, qdisc, icmp, familyTs, txTs, rxTs, tcp, tcpTs);
    }

    /// <summary>
    /// Orderly stop: every actor is first quiesced (it starts no new work and pops whatever node still
    /// reaches it; pending sends complete with <see cref="Errno.ENETDOWN"/>), then told to release what
    /// it holds (parked datagrams, queued and in-flight frames, partial reassemblies), then stopped.
    /// Returns how many nodes the release popped. Frames the driver still holds are its own CTRNs, popped
    /// by the driver; stop (or drain) the driver's RX side first, or frames it delivers afterwards go to
    /// dead letters. Throws <see cref="AskTimeoutException"/> when an actor does not answer in time.
    /// </summary>
    public static async Task<int> StopAsync(ActorSystem system, InetStackHandle stack, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(system);
        ArgumentNullException.ThrowIfNull(stack);
        TimeSpan wait = timeout ?? TimeSpan.FromSeconds(10);
        var actors = stack.Actors;

        var quiesced = new Task<InetStackProtocol.Quiesced>[actors.Count];
        for (int i = 0; i < actors.Count; i++)
        {
            quiesced[i] = actors[i].Ask<InetStackProtocol.Quiesced>(InetStackProtocol.Quiesce.Instance, wait);
        }

        await Task.WhenAll(quiesced).ConfigureAwait(false);

        // Every actor acknowledged: any node one of them sent before quiescing is already in its
        // receiver's mailbox ahead of the Release below, and is popped on arrival.
        int popped = 0;
        foreach (var actor in actors)
        {
            var released = await actor.Ask<InetStackProtocol.Released>(InetStackProtocol.Release.Instance, wait).ConfigureAwait(false);
            popped += released.NodesPopped;
        }

        foreach (var actor in actors)
        {
            system.Stop(actor);
        }

        return popped;
    }

    private static TsId EnsureTs(MemoryManager memory, string path)
    {
        var found = memory.FindTs(path);
        if (found.IsOk && memory.TryGetTs(found.Value, out var info) && info.Alive)
        {
            return found.Value;
        }

        var created = memory.CreateTs(path);
        if (!created.IsOk)
        {
            throw new InvalidOperationException($"cannot create tree space '{path}': {created.Error} {created.Detail}");
        }

        return created.Value;
    }

    private static RoutingTable BuildRoutes(InetStackOptions options)
    {
        const int interfaceIndex = 0;
        var routes = new RoutingTable();
        routes.Add(new Route(new Ipv4Cidr(options.Address.Network, options.Address.PrefixLength), null, interfaceIndex));
        if (options.Gateway is { } gateway)
        {
            routes.AddDefault(gateway, interfaceIndex);
        }

        foreach (var route in options.Routes)
        {
            routes.Add(route);
        }

        return routes;
    }
}
