using static Edsos.Scheduler.Tests.TestMessages;

namespace Edsos.Scheduler.Tests;

/// <summary>Small actors reused by several specs.</summary>
public static class Actors
{
    /// <summary>Replies to anything with the same message.</summary>
    public sealed class Echo : EdsrtActor
    {
        public Echo()
        {
            ReceiveAny(m => Sender.Tell(m, Self));
        }
    }

    /// <summary>Counts Increments, replies State to GetState, throws on Boom.</summary>
    public sealed class Counter : EdsrtActor
    {
        private int _count;

        public Counter()
        {
            Receive<Increment>(_ => _count++);
            Receive<GetState>(_ => Sender.Tell(new State(_count)));
            Receive<Boom>(b => throw new InvalidOperationException(b.Why));
        }
    }

    /// <summary>Forwards everything to a target, keeping the original sender.</summary>
    public sealed class Forwarder : EdsrtActor
    {
        public Forwarder(IActorRef target)
        {
            ReceiveAny(m => target.Tell(m, Sender));
        }
    }

    /// <summary>Reports lifecycle hooks to a probe.</summary>
    public sealed class Lifecycle : EdsrtActor
    {
        private readonly IActorRef _probe;
        private readonly string _name;

        public Lifecycle(IActorRef probe, string name)
        {
            _probe = probe;
            _name = name;
            Receive<Boom>(b => throw new InvalidOperationException(b.Why));
            Receive<Props>(p => Sender.Tell(Context.ActorOf(p, "child")));
            ReceiveAny(m => Sender.Tell(m));
        }

        protected override void PreStart() => _probe.Tell($"{_name}:PreStart");

        protected override void PostStop() => _probe.Tell($"{_name}:PostStop");

        protected override void PreRestart(Exception reason, object? message)
        {
            _probe.Tell($"{_name}:PreRestart:{reason.Message}");
            base.PreRestart(reason, message);
        }

        protected override void PostRestart(Exception reason)
        {
            _probe.Tell($"{_name}:PostRestart");
            base.PostRestart(reason);
        }
    }
}
