using Edsos.Scheduler.Internal;

namespace Edsos.Scheduler;

/// <summary>
/// An actor whose behaviour is a list of typed handlers registered in the constructor (or inside
/// <see cref="Become"/>); the first handler whose type (and predicate) matches takes the message.
/// </summary>
public abstract class ReceiveActor : ActorBase
{
    private readonly List<List<Handler>> _behaviors = new();
    private List<Handler>? _configuring;

    /// <summary>Opens the constructor's registration window.</summary>
    protected ReceiveActor()
    {
        _configuring = new List<Handler>();
        _behaviors.Add(_configuring);
    }

    /// <summary>Handles messages of type <typeparamref name="T"/>.</summary>
    /// <exception cref="InvalidOperationException">Called outside the constructor or a <see cref="Become"/> callback.</exception>
    protected void Receive<T>(Action<T> handler) => Register(new SyncHandler<T>(null, handler));

    /// <summary>Handles messages of type <typeparamref name="T"/> for which <paramref name="shouldHandle"/> is true.</summary>
    /// <exception cref="InvalidOperationException">Called outside the constructor or a <see cref="Become"/> callback.</exception>
    protected void Receive<T>(Predicate<T> shouldHandle, Action<T> handler) => Register(new SyncHandler<T>(shouldHandle, handler));

    /// <summary>
    /// Handles messages of type <typeparamref name="T"/> asynchronously: the actor handles no other message
    /// (user or lifecycle, including stop) until the returned task completes; a faulted task is a failure
    /// of the actor, reported to its supervisor with the message. Self, Sender and Context stay valid across
    /// awaits.
    /// </summary>
    /// <exception cref="InvalidOperationException">Called outside the constructor or a <see cref="Become"/> callback.</exception>
    protected void ReceiveAsync<T>(Func<T, Task> handler) => Register(new AsyncHandler<T>(null, handler));

    /// <summary>Asynchronous handler for messages of type <typeparamref name="T"/> that match <paramref name="shouldHandle"/>.</summary>
    /// <exception cref="InvalidOperationException">Called outside the constructor or a <see cref="Become"/> callback.</exception>
    protected void ReceiveAsync<T>(Predicate<T> shouldHandle, Func<T, Task> handler) => Register(new AsyncHandler<T>(shouldHandle, handler));

    /// <summary>Handles any message not taken by an earlier handler.</summary>
    /// <exception cref="InvalidOperationException">Called outside the constructor or a <see cref="Become"/> callback.</exception>
    protected void ReceiveAny(Action<object> handler) => Register(new SyncHandler<object>(null, handler));

    /// <summary>Asynchronously handles any message not taken by an earlier handler.</summary>
    /// <exception cref="InvalidOperationException">Called outside the constructor or a <see cref="Become"/> callback.</exception>
    protected void ReceiveAnyAsync(Func<object, Task> handler) => Register(new AsyncHandler<object>(null, handler));

    /// <summary>Replaces the current behaviour with the handlers <paramref name="configure"/> registers.</summary>
    protected void Become(Action configure)
    {
        var behavior = Configure(configure);
        _behaviors[^1] = behavior;
    }

    /// <summary>Pushes the handlers <paramref name="configure"/> registers; <see cref="UnbecomeStacked"/> returns to the previous behaviour.</summary>
    protected void BecomeStacked(Action configure)
    {
        var behavior = Configure(configure);
        _behaviors.Add(behavior);
    }

    /// <summary>Returns to the behaviour below the current one; does nothing on the initial behaviour.</summary>
    protected void UnbecomeStacked()
    {
        if (_behaviors.Count > 1)
        {
            _behaviors.RemoveAt(_behaviors.Count - 1);
        }
    }

    /// <inheritdoc />
    protected internal sealed override bool Receive(object message)
    {
        // A for loop over a List: no enumerator, no allocation on the message path.
        var handlers = _behaviors[^1];
        for (int i = 0; i < handlers.Count; i++)
        {
            if (handlers[i].TryHandle(message, Cell))
            {
                return true;
            }
        }

        return false;
    }

    internal override void OnConstructed() => _configuring = null;

    private List<Handler> Configure(Action configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        var previous = _configuring;
        var behavior = new List<Handler>();
        _configuring = behavior;
        try
        {
            configure();
        }
        finally
        {
            _configuring = previous;
        }

        return behavior;
    }

    private void Register(Handler handler)
    {
        var target = _configuring
            ?? throw new InvalidOperationException("Handlers can only be registered in the constructor or inside Become/BecomeStacked.");
        target.Add(handler);
    }

    private abstract class Handler
    {
        public abstract bool TryHandle(object message, ActorCell cell);
    }

    private sealed class SyncHandler<T> : Handler
    {
        private readonly Predicate<T>? _shouldHandle;
        private readonly Action<T> _handler;

        public SyncHandler(Predicate<T>? shouldHandle, Action<T> handler)
        {
            ArgumentNullException.ThrowIfNull(handler);
            _shouldHandle = shouldHandle;
            _handler = handler;
        }

        public override bool TryHandle(object message, ActorCell cell)
        {
            if (message is T typed && (_shouldHandle is null || _shouldHandle(typed)))
            {
                _handler(typed);
                return true;
            }

            return false;
        }
    }

    private sealed class AsyncHandler<T> : Handler
    {
        private readonly Predicate<T>? _shouldHandle;
        private readonly Func<T, Task> _handler;

        public AsyncHandler(Predicate<T>? shouldHandle, Func<T, Task> handler)
        {
            ArgumentNullException.ThrowIfNull(handler);
            _shouldHandle = shouldHandle;
            _handler = handler;
        }

        public override bool TryHandle(object message, ActorCell cell)
        {
            if (message is T typed && (_shouldHandle is null || _shouldHandle(typed)))
            {
                var task = TraceContextScope.RunFlowing(_handler, typed, cell.TraceContext);
                cell.AwaitHandler(task);
                return true;
            }

            return false;
        }
    }
}
