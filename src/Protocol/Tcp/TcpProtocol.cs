using Edsos.Memory;
using Edsos.Protocol.Wire;
using Akka.Actor;
using Edsos.Scheduler;

namespace Edsos.Protocol.Tcp;

/// <summary>Events of the TCP worker inside one stack (the socket-facing ones are in <see cref="InetProtocol"/>).</summary>
public static class TcpProtocol
{
    /// <summary>
    /// IPv4 receive worker → TCP: a segment whose checksum verified. <paramref name="Payload"/> is a node of
    /// the TCP TS holding the data only (headers divided off; default when <paramref name="Length"/> is 0);
    /// TCP owns it and pops it on every path.
    /// </summary>
    public sealed record SegmentReceivedEvent(TcpRepr Header, Capability Payload, int Length, Ipv4Address Source, Ipv4Address Destination);

    /// <summary>
    /// IPv4 receive worker → TCP: the segments one receive poll (a batch of frames) carried for TCP, in arrival order, each
    /// a <see cref="SegmentReceivedEvent"/> TCP owns as it would own it alone (after receive offload joined what it
    /// could). TCP handles them in one turn and hands each socket the data of the whole poll in one event, so a read
    /// that was waiting finds the poll's bytes together, as a reader woken after Linux's softirq does. Pooled
    /// (<see cref="Edsos.Driver.MessageBatch{TSelf, TItem}"/>).
    /// </summary>
    public sealed record SegmentReceivedBatchEvent : Edsos.Driver.MessageBatch<SegmentReceivedBatchEvent, SegmentReceivedEvent>;

    /// <summary>Anyone → TCP: a snapshot of its counters. Reply: <see cref="TcpCounters"/>.</summary>
    public sealed record GetTcpCounters
    {
        /// <summary>The one instance.</summary>
        public static GetTcpCounters Instance { get; } = new();
    }

    /// <summary>Anyone → TCP: a snapshot of every connection (diagnostics, tests). Reply: <see cref="TcpConnections"/>.</summary>
    public sealed record GetTcpConnections
    {
        /// <summary>The one instance.</summary>
        public static GetTcpConnections Instance { get; } = new();
    }

    /// <summary>Reply to <see cref="GetTcpConnections"/>.</summary>
    public sealed record TcpConnections(IReadOnlyList<TcpConnectionInfo> Connections);

    /// <summary>
    /// <see cref="InetStack.Start"/> → TCP: the inet family, to which TCP gives back (<see cref="InetProtocol.Unbind"/>)
    /// the port bindings sockets hand over at close once their connection is deleted. No reply.
    /// </summary>
    public sealed record AttachFamily(IActorRef Family);

    /// <summary>The worker's one timer: it fires at the earliest deadline any connection filed (<see cref="TcpDeadlines"/>).</summary>
    internal sealed record Tick
    {
        public static Tick Instance { get; } = new();
    }
}
