using Akka.Dispatch;

namespace Edsos.Scheduler.Tracing;

/// <summary>
/// The message-queue semantics EDSRT actors require (<c>IRequiresMessageQueue</c>): a queue that keeps
/// the sender's trace context beside each envelope. Mapped to <see cref="TracingMailbox"/> in the
/// system's configuration (<c>akka.actor.mailbox.requirements</c>).
/// </summary>
public interface ITracingMessageQueue : ISemantics
{
}
