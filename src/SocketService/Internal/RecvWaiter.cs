using Edsos.Memory;
using Akka.Actor;
using Edsos.Scheduler;

namespace Edsos.SocketService.Internal;

/// <summary>A blocking receive waiting for a datagram.</summary>
internal readonly record struct RecvWaiter(ulong ReqId, RecvMode Mode, TsId Target, IActorRef ReplyTo);
