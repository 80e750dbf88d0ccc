using System.Diagnostics;
using Edsos.Memory;
using Akka.Actor;
using Edsos.Scheduler;

namespace Edsos.Protocol.Tcp;

/// <summary>
/// One <c>send()</c>'s payload as TCP holds it: the CTRN the socket shared in, kept (a reference on the
/// user's pages, the zero-copy answer to Linux's <c>skb_clone</c>) until every byte is acknowledged, then
/// popped. Segments are <c>ct_share</c>d slices of it; the socket's <see cref="InetProtocol.XmitComplete"/>
/// goes out once every byte's first transmission completed (seed 000 stage 5).
/// </summary>
internal sealed class SendChunk
{
    public SendChunk(ulong requestId, IActorRef replyTo, Capability node, Gva gva, int length, uint sequence, ActivityContext cause)
    {
        Cause = cause;
        RequestId = requestId;
        ReplyTo = replyTo;
        Node = node;
        Gva = gva;
        Length = length;
        Sequence = sequence;
    }

    public ulong RequestId { get; }

    /// <summary>
    /// The trace context of the <c>send()</c> that queued these bytes: segments sent later (held by
    /// Nagle or the window, retransmitted) resume under it, so they join the syscall's trace.
    /// </summary>
    public ActivityContext Cause { get; }

    public IActorRef ReplyTo { get; }

    /// <summary>The payload CTRN in the TCP TS; default once popped.</summary>
    public Capability Node { get; set; }

    public Gva Gva { get; }

    public int Length { get; }

    /// <summary>Sequence number of the first byte.</summary>
    public uint Sequence { get; }

    /// <summary>
    /// Offset up to which the chunk's bytes were handed to IPv4 at least once: a segment's bytes past it are its
    /// first transmission whatever path sent them (new data, a go-back-N resend straddling SND.MAX, a window probe).
    /// </summary>
    public int FirstTxIssued { get; set; }

    /// <summary>Bytes whose first transmission the driver completed.</summary>
    public int FirstTxCompleted { get; set; }

    /// <summary>The socket was answered (or need not be).</summary>
    public bool Replied { get; set; }

    /// <summary>The first error a first transmission reported (answered to the socket only if nothing else will carry the bytes).</summary>
    public Errno FirstError { get; set; }

    public uint End => Sequence + (uint)Length;
}
