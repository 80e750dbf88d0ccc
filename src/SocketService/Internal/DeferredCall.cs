using Akka.Actor;
using Edsos.Scheduler;

namespace Edsos.SocketService.Internal;

/// <summary>A bind, connect or send that arrived while a bind was in flight; replayed in order once it settles.</summary>
internal readonly record struct DeferredCall(object Message, IActorRef ReplyTo);
