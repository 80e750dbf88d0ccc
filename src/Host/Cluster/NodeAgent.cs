using Akka.Actor;
using Edsos.Scheduler;

namespace Edsos.Host.Cluster;

/// <summary>
/// A node's face to the coordinator, at <c>/user/node</c>: a shell over <see cref="NodeSession"/>, which does the
/// work. <see cref="ClusterProtocol.RunEcho"/> starts host A's client (its <see cref="ClusterProtocol.EchoDone"/>
/// goes to the sender), <see cref="ClusterProtocol.PeerStatus"/> moves the client's gate,
/// <see cref="ClusterProtocol.Finish"/> closes the host and answers <see cref="ClusterProtocol.NodeReport"/>.
/// An <see cref="EdsrtActor"/>, so a message that arrives in a <c>Traced</c> carrier is handled in its trace.
/// </summary>
internal sealed class NodeAgent : EdsrtActor
{
    public NodeAgent(NodeSession session)
    {
        Receive<ClusterProtocol.RunEcho>(run =>
        {
            // Sent as this agent, so the coordinator tells the app's echo from a bystander's.
            var replyTo = Sender;
            var self = Self;
            session.StartEcho(run, reached => replyTo.Tell(new ClusterProtocol.EchoReached(reached), self))
                .PipeTo(replyTo, self, failure: e => new ClusterProtocol.EchoDone(0, 0, 0, 0, 0, 0, 0, 0, 0, [$"echo client failed: {e.Message}"], 0, 0));
        });
        Receive<ClusterProtocol.PeerStatus>(session.OnPeerStatus);
        Receive<ClusterProtocol.EndEcho>(_ => session.EndEcho());
        ReceiveAsync<ClusterProtocol.Finish>(async finish =>
        {
            var replyTo = Sender;
            var report = await session.FinishAsync(finish.Reason);
            replyTo.Tell(report);
        });
    }
}
