using Akka.Actor;

namespace Edsos.Protocol.Tcp;

/// <summary>
/// A socket's send that <see cref="TcpWorker"/> has not answered yet: answered with <see cref="InetProtocol.XmitComplete"/>
/// once every byte's first transmission completed (seed 000 stage 5), or with an error if its connection dies first.
/// </summary>
internal sealed class PendingSend
{
    public PendingSend(ulong requestId, IActorRef replyTo, int length)
    {
        RequestId = requestId;
        ReplyTo = replyTo;
        Length = length;
    }

    public ulong RequestId { get; }

    public IActorRef ReplyTo { get; }

    public int Length { get; }

    /// <summary>Bytes whose first transmission the driver completed.</summary>
    public int FirstTxCompleted { get; set; }
}
