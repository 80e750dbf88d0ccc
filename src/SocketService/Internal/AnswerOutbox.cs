using Akka.Actor;
using Edsos.Scheduler.Tracing;

namespace Edsos.SocketService.Internal;

/// <summary>
/// Gathers the answers a socket gives during one burst (a batch of transmit completions or of arriving datagrams), so
/// that each caller (a KPN) gets them in one event instead of one mailbox hop per datagram: between
/// <see cref="Open"/> and <see cref="Flush"/>, <see cref="TryAdd"/> keeps them per receiver, in order; the flush tells
/// each receiver its one answer alone, or several as the batch event <c>makeBatch</c> builds. Outside a burst
/// <see cref="TryAdd"/> declines and the caller tells the answer alone. Used on the socket's thread only; reused.
/// </summary>
/// <typeparam name="T">The answer event (<see cref="SocketProtocol.SendRespEvent"/>, <see cref="SocketProtocol.RecvRespEvent"/>).</typeparam>
internal sealed class AnswerOutbox<T>(Func<T[], object> makeBatch)
    where T : class
{
    // Receivers of a burst: almost always one (the socket's KPN), so a list searched linearly.
    private readonly List<(IActorRef Target, List<T> Answers)> _open = new();
    private readonly Stack<List<T>> _spare = new();
    private int _depth;

    /// <summary>Starts a burst. Nested opens are counted: only the outermost <see cref="Flush"/> tells.</summary>
    public void Open() => _depth++;

    /// <summary>Keeps <paramref name="answer"/> for <paramref name="target"/> and returns true, or returns false outside a burst.</summary>
    public bool TryAdd(IActorRef target, T answer)
    {
        if (_depth == 0)
        {
            return false;
        }

        for (int i = 0; i < _open.Count; i++)
        {
            if (_open[i].Target.Equals(target))
            {
                _open[i].Answers.Add(answer);
                return true;
            }
        }

        var answers = _spare.Count > 0 ? _spare.Pop() : new List<T>();
        answers.Add(answer);
        _open.Add((target, answers));
        return true;
    }

    /// <summary>Ends a burst: at the outermost flush each receiver gets its answers from <paramref name="sender"/>, in the order they were added. Call it in a <c>finally</c>.</summary>
    public void Flush(IActorRef sender)
    {
        if (_depth == 0 || --_depth > 0)
        {
            return;
        }

        for (int i = 0; i < _open.Count; i++)
        {
            var (target, answers) = _open[i];
            target.TellTraced(answers.Count == 1 ? answers[0] : makeBatch(answers.ToArray()), sender);
            answers.Clear();
            _spare.Push(answers);
        }

        _open.Clear();
    }
}
