using Edsos.Scheduler.Internal;

namespace Edsos.Scheduler;

/// <summary>Request-reply from outside an actor.</summary>
public static class AskExtensions
{
    private static long s_askCounter;

    /// <summary>
    /// Tells <paramref name="message"/> to <paramref name="actor"/> with a temporary sender and returns the
    /// first reply. A <see cref="Status.Failure"/> reply faults the task with its cause.
    /// </summary>
    /// <exception cref="AskTimeoutException">No reply within <paramref name="timeout"/> (real time; a stopped target never replies).</exception>
    /// <exception cref="InvalidCastException">The reply is not a <typeparamref name="T"/>; the message names the reply's type and value.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled first.</exception>
    public static async Task<T> Ask<T>(this IActorRef actor, object message, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        object reply = await Ask(actor, message, timeout, cancellationToken).ConfigureAwait(false);
        if (reply is T typed)
        {
            return typed;
        }

        throw new InvalidCastException($"Ask<{typeof(T).Name}> to {actor.Path} with {message.GetType().Name} got a reply of type {reply.GetType().Name}: {reply}");
    }

    /// <summary>Like <see cref="Ask{T}"/> with the reply untyped.</summary>
    /// <exception cref="AskTimeoutException">No reply within <paramref name="timeout"/>.</exception>
    public static async Task<object> Ask(this IActorRef actor, object message, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(actor);
        ArgumentNullException.ThrowIfNull(message);
        if (timeout <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(timeout), timeout, "the ask timeout must be positive");
        }

        var system = (actor as IInternalActorRef)?.System;
        var root = system is null ? ActorPath.Root("temp") : ActorPath.Root(system.Name).Child("temp");
        var promise = new PromiseActorRef(system, root.Child("$ask" + Interlocked.Increment(ref s_askCounter)));
        using var timer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timer.CancelAfter(timeout);
        using var registration = timer.Token.Register(() =>
        {
            if (cancellationToken.IsCancellationRequested)
            {
                promise.TryFail(new OperationCanceledException(cancellationToken));
            }
            else
            {
                promise.TryFail(new AskTimeoutException($"Ask to {actor.Path} with {message.GetType().Name} ({message}) timed out after {timeout.TotalMilliseconds:0} ms without a reply"));
            }
        });
        actor.Tell(message, promise);
        return await promise.Task.ConfigureAwait(false);
    }
}
