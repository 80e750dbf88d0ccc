using Edsos.Memory;
using Edsos.Protocol;
using Akka.Actor;
using Edsos.Scheduler;

namespace Edsos.Kpn.Internal;

/// <summary>
/// A syscall waiting for its socket's reply: who to answer, and what the reply needs (the user buffer of a recvfrom,
/// the peer of a connect). <see cref="Cancelled"/>: the caller of a receive stopped waiting; the entry stays until the
/// socket's answer arrives, so whatever that answer hands over is released by the TS that owns it.
/// </summary>
internal readonly record struct PendingCall(
    CallKind Kind,
    IActorRef ReplyTo,
    int Fd,
    Gva Buffer = default,
    int Length = 0,
    Ipv4Endpoint Remote = default,
    bool Stream = false,
    ulong Connection = 0,
    ulong CallId = 0,
    bool Cancelled = false);
