using Edsos.Memory;
using Edsos.Protocol;
using Akka.Actor;
using Edsos.Scheduler;

namespace Edsos.SocketService.Internal;

/// <summary>A blocking send waiting for SO_SNDBUF room; its CTRN is already in <c>send_q</c>. <paramref name="AnswerQueued"/>: MSG_ZEROCOPY, answered when it leaves the parking.</summary>
internal readonly record struct ParkedSend(ulong ReqId, Capability Ctrn, int Length, Ipv4Endpoint Destination, IActorRef ReplyTo, bool AnswerQueued = false);
