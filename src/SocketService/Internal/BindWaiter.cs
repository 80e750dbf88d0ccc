using Edsos.Protocol;
using Akka.Actor;
using Edsos.Scheduler;

namespace Edsos.SocketService.Internal;

/// <summary>The call a bind in flight will finish: its purpose, request id, reply address and (connect) the peer.</summary>
internal readonly record struct BindWaiter(BindPurpose Purpose, ulong ReqId, IActorRef ReplyTo, Ipv4Endpoint Remote);
