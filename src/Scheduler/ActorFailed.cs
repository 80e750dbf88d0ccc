using Akka.Actor;
namespace Edsos.Scheduler;

/// <summary>
/// Published on the actor system's event stream each time an actor throws: from a handler (with the message it
/// was handling), from its constructor or <c>PreStart</c> (message null), or from <c>PostStop</c>.
/// The supervisor's decision follows separately.
/// </summary>
/// <param name="Actor">The actor that threw.</param>
/// <param name="Message">The message being handled, or null when the failure was not in a handler.</param>
/// <param name="Exception">What was thrown.</param>
public sealed record ActorFailed(IActorRef Actor, object? Message, Exception Exception);
