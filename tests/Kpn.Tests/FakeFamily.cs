using Edsos.Memory;
using Edsos.Protocol;
using Edsos.Scheduler;
using static Edsos.Protocol.InetProtocol;

namespace Edsos.Kpn.Tests;

/// <summary>
/// Stands in for the inet family where the exact exchange is not what a spec is about: opens UDP
/// endpoints on the given transmit worker, binds (port 0: ephemeral from 49152), and reports
/// binds and unbinds to <c>observer</c>.
/// </summary>
public sealed class FakeFamily : ReceiveActor
{
    private ushort _nextEphemeral = 49152;

    public FakeFamily(IActorRef txWorker, TsId txTs, IActorRef observer)
    {
        Receive<OpenEndpoint>(open =>
        {
            var reply = open.Type == SocketKind.Dgram && open.Protocol is 0 or 17
                ? new EndpointOpened(Errno.None, 17, txWorker, txTs, 65507)
                : new EndpointOpened(Errno.EPROTONOSUPPORT, open.Protocol, null, TsId.None, 0);
            Sender.Tell(reply);
        });
        Receive<BindRequest>(bind =>
        {
            var bound = bind.Local.Port == 0 ? bind.Local with { Port = _nextEphemeral++ } : bind.Local;
            Sender.Tell(new BindReply(Errno.None, bound));
            observer.Tell(bind);
        });
        Receive<Unbind>(unbind => observer.Tell(unbind));
    }
}
