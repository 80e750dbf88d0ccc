using Akka.Actor;
using Edsos.Scheduler;
using static Edsos.Protocol.InetProtocol;
using static Edsos.SocketService.SocketProtocol;

namespace Edsos.SocketService.Internal;

/// <summary>The table's note to itself: the family answered (or did not answer) a <c>CreateSocket</c>'s <c>OpenEndpoint</c>.</summary>
internal sealed record EndpointResolved(CreateSocket Request, IActorRef ReplyTo, EndpointOpened? Opened);
