using System.Diagnostics;
using Edsos.Memory;

namespace Edsos.Scheduler;

/// <summary>
/// The actor's view of its runtime, valid only inside the actor (its constructor, handlers and lifecycle
/// hooks, including the continuations of its <c>ReceiveAsync</c> handlers). Calling it from another thread
/// races with the actor and is not supported.
/// </summary>
public interface IActorContext
{
    /// <summary>This actor's reference.</summary>
    IActorRef Self { get; }

    /// <summary>The sender of the message being handled; <see cref="ActorSystem.DeadLetters"/> when there was none.</summary>
    IActorRef Sender { get; }

    /// <summary>The parent (supervisor) of this actor.</summary>
    IActorRef Parent { get; }

    /// <summary>A snapshot of the children that have not been asked to stop.</summary>
    IReadOnlyList<IActorRef> Children { get; }

    /// <summary>The system the actor lives in.</summary>
    ActorSystem System { get; }

    /// <summary>The props the actor was created from.</summary>
    Props Props { get; }

    /// <summary>The tree space the actor is bound to (its props' tree space, else its parent's).</summary>
    TsId Ts { get; }

    /// <summary>The path of <see cref="Ts"/>.</summary>
    string TsPath { get; }

    /// <summary>
    /// The trace context that arrived with the message being handled (the sender's current activity, or the
    /// context of the message the sender was handling). Default when the sender had none. Messages this
    /// actor tells while handling carry it on, so a chain of actors shares one trace.
    /// </summary>
    ActivityContext TraceContext { get; }

    /// <summary>The actor's timers.</summary>
    ITimerScheduler Timers { get; }

    /// <summary>Creates a child; <paramref name="name"/> null picks a unique one.</summary>
    /// <exception cref="InvalidActorNameException">The name is malformed or taken by a child that has not yet stopped.</exception>
    /// <exception cref="InvalidOperationException">The props' tree space cannot be created.</exception>
    IActorRef ActorOf(Props props, string? name = null);

    /// <summary>The child named <paramref name="name"/>, or <see cref="ActorRefs.Nobody"/>.</summary>
    IActorRef Child(string name);

    /// <summary>Stops <paramref name="actor"/> (a child or this actor) asynchronously: mail already queued for it goes to dead letters.</summary>
    void Stop(IActorRef actor);

    /// <summary>Delivers <see cref="Terminated"/> to this actor when <paramref name="subject"/> stops (at once if it already has). Returns <paramref name="subject"/>.</summary>
    /// <exception cref="NotSupportedException">The reference is not one this runtime can watch.</exception>
    IActorRef Watch(IActorRef subject);

    /// <summary>Cancels a watch; a <see cref="Terminated"/> not yet handled is dropped. Returns <paramref name="subject"/>.</summary>
    IActorRef Unwatch(IActorRef subject);
}
