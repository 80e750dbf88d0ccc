namespace Edsos.Scheduler.TestKit.Internal;

/// <summary>Asks a probe's actor to watch or unwatch a subject; completes <paramref name="Done"/> once registered.</summary>
internal sealed record WatchCommand(IActorRef Subject, bool Watch, TaskCompletionSource Done);
