namespace Edsos.Scheduler.Internal;

/// <summary>
/// Messages the runtime sends between cells. They are a closed set of tiny records that only make sense
/// together, so they are nested here rather than spread over one file each.
/// </summary>
internal abstract record SystemMessage
{
    /// <summary>First message of every cell: construct the actor and run PreStart.</summary>
    internal sealed record Create : SystemMessage
    {
        public static readonly Create Instance = new();
    }

    /// <summary>Stop: children first, then PostStop, then notify watchers and the parent.</summary>
    internal sealed record Terminate : SystemMessage
    {
        public static readonly Terminate Instance = new();
    }

    /// <summary>Continue after a failure with the same instance.</summary>
    internal sealed record Resume : SystemMessage
    {
        public static readonly Resume Instance = new();
    }

    /// <summary>Replace the failed instance.</summary>
    internal sealed record Recreate(Exception Cause) : SystemMessage;

    /// <summary>A child reports that it threw and is waiting for a decision.</summary>
    internal sealed record Failed(IInternalActorRef Child, Exception Cause, object? Message) : SystemMessage;

    /// <summary><paramref name="Watcher"/> wants a notification when <paramref name="Watchee"/> stops.</summary>
    internal sealed record Watch(IInternalActorRef Watchee, IInternalActorRef Watcher) : SystemMessage;

    /// <summary><paramref name="Watcher"/> no longer wants the notification.</summary>
    internal sealed record Unwatch(IInternalActorRef Watchee, IInternalActorRef Watcher) : SystemMessage;

    /// <summary><paramref name="Actor"/> has stopped (sent to watchers and to the parent).</summary>
    internal sealed record DeathWatchNotification(IInternalActorRef Actor) : SystemMessage;
}
