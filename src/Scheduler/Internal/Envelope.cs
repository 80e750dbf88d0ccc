using System.Diagnostics;

namespace Edsos.Scheduler.Internal;

/// <summary>
/// One mailbox entry. A struct so that the channel stores it inline: a Tell allocates nothing beyond the
/// message the caller built.
/// </summary>
internal readonly struct Envelope
{
    public Envelope(object message, IActorRef? sender, ActivityContext trace)
    {
        Message = message;
        Sender = sender;
        Trace = trace;
    }

    public object Message { get; }

    public IActorRef? Sender { get; }

    public ActivityContext Trace { get; }
}
