using Edsos.Memory;
using Akka.Actor;
using Edsos.Scheduler;

namespace Edsos.SocketService.Internal;

/// <summary>
/// A datagram handed to the transmit worker: the socket's own node (the user's CTRN in zero copy,
/// the kernel buffer in copy mode) stays in <c>send_q</c> until <c>XmitComplete</c>.
/// <see cref="Replied"/> is true when the KPN has already had its answer (copy mode answers at once).
/// </summary>
internal readonly record struct InFlightSend(ulong ReqId, Capability Own, int Length, IActorRef ReplyTo, bool Replied);
