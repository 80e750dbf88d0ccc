using Edsos.Scheduler.Internal;

namespace Edsos.Scheduler;

/// <summary>
/// The base of every actor. Instances are created by the runtime from <see cref="Props"/> (never with
/// <c>new</c> elsewhere), handle one message at a time, and are replaced by a fresh instance on restart.
/// </summary>
public abstract class ActorBase
{
    private readonly ActorCell _cell;

    /// <summary>Binds the instance to the cell that is creating it.</summary>
    /// <exception cref="InvalidOperationException">The actor is constructed outside <c>ActorOf</c>.</exception>
    protected ActorBase()
    {
        _cell = ActorCell.Constructing
            ?? throw new InvalidOperationException($"{GetType().Name} must be created through ActorOf(Props), not with 'new'.");
    }

    /// <summary>The actor's runtime context.</summary>
    protected IActorContext Context => _cell;

    /// <summary>This actor's reference.</summary>
    protected IActorRef Self => _cell.Self;

    /// <summary>The sender of the message being handled; dead letters when there was none.</summary>
    protected IActorRef Sender => _cell.Sender;

    /// <summary>The actor's keyed timers, cancelled when it stops or restarts.</summary>
    protected ITimerScheduler Timers => _cell.Timers;

    internal ActorCell Cell => _cell;

    /// <summary>Handles <paramref name="message"/>; returns false when it is not handled (the runtime then calls <see cref="Unhandled"/>).</summary>
    protected internal abstract bool Receive(object message);

    /// <summary>Called before the first message, on start and (by the default <see cref="PostRestart"/>) after a restart. Throwing fails initialization.</summary>
    protected internal virtual void PreStart()
    {
    }

    /// <summary>Called once after the actor and all its children stopped; no more messages follow.</summary>
    protected internal virtual void PostStop()
    {
    }

    /// <summary>Called on the failed instance before it is replaced. The default stops all children and calls <see cref="PostStop"/>.</summary>
    /// <param name="reason">The failure that caused the restart.</param>
    /// <param name="message">The message being handled when it failed, if any.</param>
    protected internal virtual void PreRestart(Exception reason, object? message)
    {
        foreach (var child in Context.Children)
        {
            Context.Stop(child);
        }

        PostStop();
    }

    /// <summary>Called on the fresh instance after a restart. The default calls <see cref="PreStart"/>.</summary>
    protected internal virtual void PostRestart(Exception reason)
    {
        PreStart();
    }

    /// <summary>
    /// The strategy this actor applies to its children, unless its props set one. The default restarts on
    /// failure and stops on initialization failure.
    /// </summary>
    protected internal virtual SupervisorStrategy SupervisorStrategy() => Edsos.Scheduler.SupervisorStrategy.DefaultStrategy;

    /// <summary>
    /// Called for a message no handler took. The default publishes an <see cref="UnhandledMessage"/> on the
    /// event stream, except for <see cref="Terminated"/>, for which it throws a <see cref="DeathPactException"/>.
    /// </summary>
    protected virtual void Unhandled(object message)
    {
        if (message is Terminated terminated)
        {
            throw new DeathPactException(terminated.ActorRef);
        }

        _cell.SystemImpl.EventStream.Publish(new UnhandledMessage(message, _cell.Sender, _cell.Self));
    }

    internal void InvokeUnhandled(object message) => Unhandled(message);

    /// <summary>Called by the cell once construction finished; subclasses close their registration window here.</summary>
    internal virtual void OnConstructed()
    {
    }
}
