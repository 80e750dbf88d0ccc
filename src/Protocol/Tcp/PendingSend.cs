using Akka.Actor;

namespace Edsos.Protocol.Tcp;

/// <summary>
/// A socket's send that <see cref="TcpWorker"/> has not answered yet: answered with <see cref="InetProtocol.XmitComplete"/>
/// once every byte's first transmission completed (seed 000 stage 5), or with an error if its connection dies first.
/// A struct kept in the worker's table by value (updated in place), so a send costs no allocation here.
/// </summary>
/// <param name="RequestId">The socket's request id, to answer.</param>
/// <param name="ReplyTo">Who to answer.</param>
/// <param name="Length">The send's bytes.</param>
/// <param name="FirstTxCompleted">Bytes whose first transmission the driver completed.</param>
internal record struct PendingSend(ulong RequestId, IActorRef ReplyTo, int Length, int FirstTxCompleted);
