namespace Edsos.Scheduler;

/// <summary>
/// Published on the <see cref="EventStream"/> for mail that could not be delivered: sent to a stopped actor,
/// to <see cref="ActorSystem.DeadLetters"/>, or left in a mailbox when its actor stopped.
/// </summary>
/// <param name="Message">The undelivered message.</param>
/// <param name="Sender">Its sender, or <see cref="ActorRefs.Nobody"/>.</param>
/// <param name="Recipient">The intended recipient.</param>
public sealed record DeadLetter(object Message, IActorRef Sender, IActorRef Recipient);
