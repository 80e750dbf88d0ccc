using Akka.Actor;
using Edsos.Kpn;
using Edsos.Memory;
using Edsos.Protocol;
using Edsos.Scheduler;
using Edsos.Scheduler.Tracing;
using Edsos.SocketService;

namespace Edsos.Host.Cluster;

/// <summary>
/// The user process's stand-in for its host's socket table and ICMP service, which run in the <c>net</c> process: the
/// KPNs are started with this actor as both. While net is up it forwards <c>socket()</c> and ping (in a
/// <see cref="Traced"/> carrier, the KPN as sender, so the answers go straight back). When the net process dies
/// (<see cref="NetDown"/>) it tells every KPN that ever asked it for a socket (<see cref="KpnProtocol.NetDown"/>: their
/// pending calls end with ENETDOWN, their descriptors are dead) and answers <c>socket()</c> and ping with ENETDOWN
/// at once; once a net process is up again (<see cref="NetUp"/>) new sockets are made there.
/// </summary>
internal sealed class NetLink : EdsrtActor
{
    private readonly HashSet<IActorRef> _kpns = [];
    private IActorRef? _table;
    private IActorRef? _icmp;

    public NetLink()
    {
        Receive<NetUp>(up =>
        {
            _table = up.SocketTable;
            _icmp = up.Icmp;
        });
        Receive<NetDown>(down =>
        {
            _table = null;
            _icmp = null;
            foreach (var kpn in _kpns)
            {
                kpn.Tell(new KpnProtocol.NetDown(down.Reason), Self);
            }
        });
        Receive<SocketProtocol.CreateSocket>(create =>
        {
            if (_kpns.Add(Sender))
            {
                Context.Watch(Sender);
            }

            if (_table is { } table)
            {
                table.TellTraced(create, Sender);
            }
            else
            {
                Sender.Tell(new SocketProtocol.SocketCreated(create.ReqId, Errno.ENETDOWN, 0, null, TsId.None));
            }
        });
        Receive<InetProtocol.PingRequest>(ping =>
        {
            if (_icmp is { } icmp)
            {
                icmp.TellTraced(ping, Sender);
            }
            else
            {
                Sender.Tell(new InetProtocol.PingReply(Errno.ENETDOWN, ping.Sequence, default, 0, TimeSpan.Zero));
            }
        });
        Receive<Terminated>(gone => _kpns.Remove(gone.ActorRef));
    }

    /// <summary>The net process's socket table and ICMP service were found (first time or after a restart).</summary>
    public sealed record NetUp(IActorRef SocketTable, IActorRef Icmp);

    /// <summary>The net process died.</summary>
    public sealed record NetDown(string Reason);
}
