namespace Edsos.Scheduler;

/// <summary>Published on the <see cref="EventStream"/> when an actor has no handler for a message.</summary>
/// <param name="Message">The unhandled message.</param>
/// <param name="Sender">Its sender, or <see cref="ActorRefs.Nobody"/>.</param>
/// <param name="Recipient">The actor that did not handle it.</param>
public sealed record UnhandledMessage(object Message, IActorRef Sender, IActorRef Recipient);
