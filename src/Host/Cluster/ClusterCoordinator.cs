using System.Threading.Channels;
using Akka.Actor;
using Akka.Cluster;

namespace Edsos.Host.Cluster;

/// <summary>
/// The coordinator's mailbox in the cluster, at <c>/user/coordinator</c>: every node message
/// (<see cref="ClusterProtocol"/>) and every membership change the coordinator's cluster sees (a member up,
/// unreachable, removed) goes, stamped with its arrival time, into a channel that <see cref="ClusterDemo"/> reads.
/// </summary>
internal sealed class ClusterCoordinator : ReceiveActor
{
    /// <summary>The actor's name under <c>/user</c>; nodes find it at their seed.</summary>
    public const string Name = "coordinator";

    public ClusterCoordinator(ChannelWriter<Arrival> arrivals)
    {
        Receive<ClusterEvent.IMemberEvent>(e => arrivals.TryWrite(new Arrival(e, System.Diagnostics.Stopwatch.GetTimestamp())));
        Receive<ClusterEvent.UnreachableMember>(e => arrivals.TryWrite(new Arrival(e, System.Diagnostics.Stopwatch.GetTimestamp())));
        Receive<ClusterEvent.ReachableMember>(e => arrivals.TryWrite(new Arrival(e, System.Diagnostics.Stopwatch.GetTimestamp())));
        Receive<IClusterMessage>(m => arrivals.TryWrite(new Arrival(m, System.Diagnostics.Stopwatch.GetTimestamp()) { From = Sender }));
        Receive<ClusterEvent.IClusterDomainEvent>(_ => { });
    }

    protected override void PreStart() => Akka.Cluster.Cluster.Get(Context.System).Subscribe(
        Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents, typeof(ClusterEvent.IMemberEvent), typeof(ClusterEvent.IReachabilityEvent));

    protected override void PostStop() => Akka.Cluster.Cluster.Get(Context.System).Unsubscribe(Self);

    /// <summary>A message or cluster event and when it arrived (a <see cref="System.Diagnostics.Stopwatch"/> timestamp).</summary>
    public sealed record Arrival(object Message, long At)
    {
        /// <summary>The node that sent a cluster message (null for membership events).</summary>
        public IActorRef? From { get; init; }
    }
}
