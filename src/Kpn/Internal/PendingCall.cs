using Edsos.Memory;
using Edsos.Protocol;
using Akka.Actor;
using Edsos.Scheduler;

namespace Edsos.Kpn.Internal;

/// <summary>A syscall waiting for its socket's reply: who to answer, and what the reply needs (the user buffer of a recvfrom, the peer of a connect).</summary>
internal readonly record struct PendingCall(CallKind Kind, IActorRef ReplyTo, int Fd, Gva Buffer, int Length, Ipv4Endpoint Remote, bool Stream = false, ulong Connection = 0, ulong CallId = 0);
