using Edsos.Memory;
using Akka.Actor;
using Edsos.Scheduler;

namespace Edsos.SocketService.Internal;

/// <summary>
/// A receive waiting for data: its request id, how the data reaches the caller, the TS it goes to, who to answer,
/// and (stream sockets) the most bytes the caller's buffer takes (0: no limit).
/// </summary>
internal readonly record struct RecvWaiter(ulong ReqId, RecvMode Mode, TsId Target, IActorRef ReplyTo, int MaxLength = 0);
