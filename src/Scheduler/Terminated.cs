namespace Edsos.Scheduler;

/// <summary>
/// Delivered to an actor that watches <paramref name="ActorRef"/> (see <see cref="IActorContext.Watch"/>)
/// once that actor has stopped; delivered at once when it was already stopped. An actor that does not
/// handle it fails with a <see cref="DeathPactException"/>.
/// </summary>
/// <param name="ActorRef">The actor that stopped.</param>
public sealed record Terminated(IActorRef ActorRef);
