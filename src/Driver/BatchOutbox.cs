using Akka.Actor;
using Edsos.Scheduler.Tracing;

namespace Edsos.Driver;

/// <summary>
/// Where an actor collects the one-item events it sends while it handles a burst, so that each receiver gets them in
/// one <typeparamref name="TBatch"/> (seed 000's batching below the socket): <see cref="Open"/> before the burst,
/// <see cref="TryAdd"/> for each event (false while closed: the caller then tells the event alone, as before),
/// <see cref="Flush"/> after it, in a <c>finally</c> so that nothing collected is left behind. Events to one receiver
/// keep their order; a receiver that would get a batch of one gets the event alone (a batch of one costs no more than
/// the classic path), and a batch that reaches 64 items leaves at once (the rest of the burst starts the next). Actor-local, not thread-safe: one outbox per actor, used only on its thread.
/// </summary>
/// <typeparam name="TBatch">The batch event (a <see cref="MessageBatch{TSelf, TItem}"/>).</typeparam>
/// <typeparam name="TItem">The one-item event.</typeparam>
public sealed class BatchOutbox<TBatch, TItem>
    where TBatch : MessageBatch<TBatch, TItem>, new()
    where TItem : class
{
    // Receivers of a burst: almost always one (a socket, the next stage), so a list searched linearly.
    private readonly List<(IActorRef Target, TBatch Batch)> _open = new();
    private int _depth;

    // A batch is cut at this many items (the NAPI budget's size), so one burst cannot grow one message without bound.
    private const int MaxItems = 64;

    /// <summary>Whether a burst is being collected (between <see cref="Open"/> and its <see cref="Flush"/>).</summary>
    public bool IsOpen => _depth > 0;

    /// <summary>Starts collecting. Nested opens are counted: only the outermost <see cref="Flush"/> sends.</summary>
    public void Open() => _depth++;

    /// <summary>
    /// Collects <paramref name="item"/> for <paramref name="target"/> (its ownership moves into the batch) and returns
    /// true, or returns false when no burst is open (the caller tells it alone).
    /// </summary>
    public bool TryAdd(IActorRef target, TItem item)
    {
        if (_depth == 0)
        {
            return false;
        }

        for (int i = 0; i < _open.Count; i++)
        {
            if (_open[i].Target.Equals(target))
            {
                var batch = _open[i].Batch;
                batch.Add(item);
                if (batch.Count >= MaxItems)
                {
                    target.TellTraced(batch, ActorCell.GetCurrentSelfOrNoSender());
                    _open[i] = (target, MessageBatch<TBatch, TItem>.Rent());
                }

                return true;
            }
        }

        _open.Add((target, MessageBatch<TBatch, TItem>.Rent().Add(item)));
        return true;
    }

    /// <summary>
    /// Ends a burst: at the outermost flush each receiver gets its batch (or its one event alone) from
    /// <paramref name="sender"/>, in the order the receivers were first added to.
    /// </summary>
    public void Flush(IActorRef sender)
    {
        if (_depth == 0 || --_depth > 0)
        {
            return;
        }

        for (int i = 0; i < _open.Count; i++)
        {
            var (target, batch) = _open[i];
            if (batch.Count == 0)
            {
                batch.Return();
            }
            else if (batch.Count == 1)
            {
                target.TellTraced(batch[0], sender);
                batch.Return();
            }
            else
            {
                target.TellTraced(batch, sender);
            }
        }

        _open.Clear();
    }
}
