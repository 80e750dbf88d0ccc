using Akka.Actor;
using Edsos.Memory;

namespace Edsos.Scheduler;

/// <summary>
/// A user message about to be handled, as reported to delivery observers
/// (<see cref="EdsrtExtension.ObserveDeliveries"/>): which node (actor and TS) is scheduled by which event.
/// </summary>
/// <param name="Recipient">The actor that handles the message.</param>
/// <param name="RecipientTs">The TS the actor is bound to.</param>
/// <param name="Sender">The sender, or null.</param>
/// <param name="Message">The message (a timer's payload, not the timer envelope).</param>
public readonly record struct MessageDelivery(IActorRef Recipient, TsId RecipientTs, IActorRef? Sender, object Message);
