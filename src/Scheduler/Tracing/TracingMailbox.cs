using Akka.Actor;
using Akka.Configuration;
using Akka.Dispatch;
using Akka.Dispatch.MessageQueues;

namespace Edsos.Scheduler.Tracing;

/// <summary>The mailbox type of EDSRT actors: an unbounded <see cref="TracingMessageQueue"/> per actor.</summary>
public sealed class TracingMailbox : MailboxType, IProducesMessageQueue<TracingMessageQueue>
{
    /// <summary>Created by Akka from the <c>edsrt-tracing-mailbox</c> configuration section.</summary>
    public TracingMailbox(Settings settings, Config config)
        : base(settings, config)
    {
    }

    /// <inheritdoc />
    public override IMessageQueue Create(IActorRef owner, ActorSystem system) => new TracingMessageQueue();
}
