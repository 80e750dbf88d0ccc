using Edsos.Protocol;
using Akka.Actor;
using Edsos.Scheduler;
using static Edsos.SocketService.SocketProtocol;

namespace Edsos.SocketService.Internal;

/// <summary>
/// The call a bind in flight will finish: its purpose, request id and reply address; for a connect the peer and
/// whether the connect blocks; for the first send on an unbound socket the send itself (it goes first once bound).
/// </summary>
internal readonly record struct BindWaiter(
    BindPurpose Purpose,
    ulong ReqId,
    IActorRef ReplyTo,
    Ipv4Endpoint Remote = default,
    bool NonBlocking = false,
    SendReqEvent? Send = null);
