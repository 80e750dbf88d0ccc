using Akka.Actor;
using Edsos.Scheduler.Tracing;
using static Edsos.SocketService.SocketProtocol;

namespace Edsos.Kpn.Internal;

/// <summary>
/// Gathers the sends of one ring submission per socket, so that each socket gets them in one event
/// (<see cref="SendBatchReqEvent"/>, or a plain <see cref="SendReqEvent"/> when it is one), in submission order.
/// Reused by the KPN from one submission to the next; used on its thread only.
/// </summary>
internal sealed class SendBatcher
{
    private readonly List<(IActorRef Node, List<SendReqEvent> Sends)> _groups = new();
    private int _used;

    /// <summary>Adds a send for <paramref name="node"/>.</summary>
    public void Add(IActorRef node, SendReqEvent send)
    {
        for (int i = 0; i < _used; i++)
        {
            if (ReferenceEquals(_groups[i].Node, node))
            {
                _groups[i].Sends.Add(send);
                return;
            }
        }

        if (_used == _groups.Count)
        {
            _groups.Add((node, new List<SendReqEvent>()));
        }
        else
        {
            _groups[_used] = (node, _groups[_used].Sends);
        }

        _groups[_used].Sends.Add(send);
        _used++;
    }

    /// <summary>Sends every socket its sends, from <paramref name="self"/>, and empties the batcher.</summary>
    public void Flush(IActorRef self)
    {
        for (int i = 0; i < _used; i++)
        {
            var (node, sends) = _groups[i];
            if (sends.Count == 1)
            {
                node.TellTraced(sends[0], self);
            }
            else
            {
                node.TellTraced(new SendBatchReqEvent(sends.ToArray()), self);
            }

            sends.Clear();
            _groups[i] = (ActorRefs.Nobody, sends);
        }

        _used = 0;
    }
}
