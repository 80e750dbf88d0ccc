using Akka.Actor;
using Edsos.Scheduler.Tracing;
using static Edsos.SocketService.SocketProtocol;

namespace Edsos.Kpn.Internal;

/// <summary>
/// Gathers the events of one ring submission per socket, so that each socket gets its sends in one event
/// (<see cref="SendBatchReqEvent"/>) and its receives in another (<see cref="RecvBatchReqEvent"/>), each in submission
/// order (a single one goes as a plain event). Reused by the KPN from one submission to the next; used on its thread
/// only.
/// </summary>
internal sealed class SocketBatcher
{
    private readonly List<Group> _groups = new();
    private int _used;

    /// <summary>Adds a send for <paramref name="node"/>.</summary>
    public void AddSend(IActorRef node, SendReqEvent send) => For(node).Sends.Add(send);

    /// <summary>Adds a receive for <paramref name="node"/>.</summary>
    public void AddRecv(IActorRef node, RecvReqEvent recv) => For(node).Recvs.Add(recv);

    /// <summary>Tells every socket its receives, then its sends, from <paramref name="self"/>, and empties the batcher.</summary>
    public void Flush(IActorRef self)
    {
        for (int i = 0; i < _used; i++)
        {
            var group = _groups[i];
            if (group.Recvs.Count == 1)
            {
                group.Node.TellTraced(group.Recvs[0], self);
            }
            else if (group.Recvs.Count > 1)
            {
                group.Node.TellTraced(new RecvBatchReqEvent(group.Recvs.ToArray()), self);
            }

            if (group.Sends.Count == 1)
            {
                group.Node.TellTraced(group.Sends[0], self);
            }
            else if (group.Sends.Count > 1)
            {
                group.Node.TellTraced(new SendBatchReqEvent(group.Sends.ToArray()), self);
            }

            group.Sends.Clear();
            group.Recvs.Clear();
            group.Node = ActorRefs.Nobody;
        }

        _used = 0;
    }

    private Group For(IActorRef node)
    {
        for (int i = 0; i < _used; i++)
        {
            if (ReferenceEquals(_groups[i].Node, node))
            {
                return _groups[i];
            }
        }

        if (_used == _groups.Count)
        {
            _groups.Add(new Group());
        }

        var group = _groups[_used++];
        group.Node = node;
        return group;
    }

    private sealed class Group
    {
        public IActorRef Node { get; set; } = ActorRefs.Nobody;

        public List<SendReqEvent> Sends { get; } = new();

        public List<RecvReqEvent> Recvs { get; } = new();
    }
}
