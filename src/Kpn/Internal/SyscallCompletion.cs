using System.Threading.Tasks.Sources;
using Akka.Actor;

namespace Edsos.Kpn.Internal;

/// <summary>
/// One reusable syscall completion: the reply address a syscall gives its KPN (an actor ref, so the KPN answers it
/// with <c>Sender.Tell(reply)</c> as it answers anyone) and the awaitable the caller waits on. It replaces Akka's
/// <c>Ask</c> (a temporary actor, a task, a cancellation source and a timer per call) with a pooled object.
/// </summary>
/// <remarks>
/// States: free (in the pool), waiting (a call is out), done (a reply, a timeout, a cancellation or the KPN's stop
/// completed it; whichever came first wins, the rest are ignored). The reply is handed to the awaiter on the thread
/// pool (the slot queues itself as a work item): the KPN's thread never runs the app's continuation, and nothing is
/// allocated. On a <c>ParkingExecutor</c> with <c>RunsContinuations</c> (the hosts' default dispatcher), the slot is queued
/// on that executor instead (after the KPN's turn, never inside it). A slot completed by anything but the KPN's reply is never reused, since the KPN may still answer it
/// later and must not answer someone else's call.
/// </remarks>
internal sealed class SyscallCompletion : MinimalActorRef, IValueTaskSource<object>, IThreadPoolWorkItem, Akka.Dispatch.IRunnable
{
    private const int Free = 0;
    private const int Waiting = 1;
    private const int Done = 2;

    private readonly CompletionTable _table;
    private ManualResetValueTaskSourceCore<object> _core;
    private int _state;
    private object? _reply;

    public SyscallCompletion(CompletionTable table, IActorRefProvider provider)
    {
        _table = table;
        Provider = provider;
        Path = provider.TempPath();
        _core.RunContinuationsAsynchronously = false;
    }

    /// <inheritdoc />
    public override ActorPath Path { get; }

    /// <inheritdoc />
    public override IActorRefProvider Provider { get; }

    /// <summary>The place of this slot in the table's list of live slots.</summary>
    public int Index { get; set; }

    /// <summary>When the call times out (<see cref="Environment.TickCount64"/> milliseconds; <see cref="long.MaxValue"/>: never).</summary>
    public long Deadline { get; private set; }

    /// <summary>True while a call is out and nothing completed it yet.</summary>
    public bool IsWaiting => Volatile.Read(ref _state) == Waiting;

    /// <summary>True when the KPN's own reply completed the call (the slot may be reused).</summary>
    public bool Answered { get; private set; }

    /// <summary>The caller's cancellation, registered only when the caller passed a token.</summary>
    public CancellationTokenRegistration Registration { get; set; }

    /// <summary>The awaitable of the current call.</summary>
    public ValueTask<object> Task => new(this, _core.Version);

    /// <summary>Arms the slot for a new call.</summary>
    public void Arm(long deadline)
    {
        Deadline = deadline;
        Answered = false;
        _reply = null;
        Volatile.Write(ref _state, Waiting);
    }

    /// <summary>Completes the call with <paramref name="reply"/> unless something completed it first; true when this did.</summary>
    public bool TryComplete(object reply, bool answered)
    {
        if (Interlocked.CompareExchange(ref _state, Done, Waiting) != Waiting)
        {
            return false;
        }

        Answered = answered;
        _reply = reply;
        if (Edsos.Scheduler.ParkingExecutor.Current is { RunsContinuations: true } executor)
        {
            // ParkingExecutorSettings.RunsContinuations: the app's continuation runs after the KPN's turn on
            // the executor's own thread, so the round needs no thread-pool worker woken.
            executor.Execute(this);
        }
        else
        {
            ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
        }

        return true;
    }

    /// <summary>Makes the slot free again for the next call (only after its result was taken).</summary>
    public void Reset()
    {
        _reply = null;
        _core.Reset();
        Volatile.Write(ref _state, Free);
    }

    /// <inheritdoc />
    void IThreadPoolWorkItem.Execute() => _core.SetResult(_reply!);

    /// <inheritdoc />
    void Akka.Dispatch.IRunnable.Run() => _core.SetResult(_reply!);

    /// <inheritdoc />
    public object GetResult(short token) => _core.GetResult(token);

    /// <inheritdoc />
    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    /// <inheritdoc />
    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);

    /// <inheritdoc />
    protected override void TellInternal(object message, IActorRef sender)
    {
        // The KPN's (or the ICMP service's) answer. Anything after the first completion is a late reply to a call
        // that ended already (timed out, cancelled): dropped, like Ask's reply to an expired temporary actor.
        TryComplete(message, answered: true);
    }
}
