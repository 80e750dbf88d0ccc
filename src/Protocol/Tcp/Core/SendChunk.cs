using System.Diagnostics;
using Edsos.Memory;

namespace Edsos.Protocol.Tcp.Core;

/// <summary>
/// One <c>send()</c>'s payload as a <see cref="TcpConnection"/> holds it: the CTRN the socket shared in, kept (a
/// reference on the user's pages, the zero-copy answer to Linux's <c>skb_clone</c>) until every byte is acknowledged,
/// then released by the connection. A segment's payload is a range of it, possibly running on into the chunks queued
/// after it (<see cref="Next"/>, <see cref="TcpSegment"/>). <see cref="Token"/> is the
/// driver's name for the send that queued it (the connection never interprets it).
/// </summary>
public sealed class SendChunk
{
    /// <summary>A chunk of <paramref name="length"/> bytes at <paramref name="gva"/> in <paramref name="node"/>, first byte at <paramref name="sequence"/>.</summary>
    public SendChunk(ulong token, Capability node, Gva gva, int length, uint sequence, ActivityContext cause)
    {
        Token = token;
        Node = node;
        Gva = gva;
        Length = length;
        Sequence = sequence;
        Cause = cause;
    }

    /// <summary>The driver's handle for the send that queued these bytes (to answer it).</summary>
    public ulong Token { get; }

    /// <summary>
    /// The trace context of the <c>send()</c> that queued these bytes: segments sent later (held by Nagle or the
    /// window, retransmitted) resume under it, so they join the syscall's trace.
    /// </summary>
    public ActivityContext Cause { get; }

    /// <summary>The payload CTRN in the connection's TS; default once released.</summary>
    public Capability Node { get; internal set; }

    /// <summary>Where the payload starts in <see cref="Node"/>.</summary>
    public Gva Gva { get; }

    /// <summary>Payload bytes.</summary>
    public int Length { get; }

    /// <summary>Sequence number of the first byte.</summary>
    public uint Sequence { get; }

    /// <summary>
    /// Offset up to which the chunk's bytes were handed down at least once: a segment's bytes past it are its first
    /// transmission whatever path sent them (new data, a go-back-N resend straddling SND.MAX, a window probe). Kept
    /// by the transmitter (<see cref="ITcpConnectionHost.Transmit"/>).
    /// </summary>
    public int FirstTxIssued { get; set; }

    /// <summary>
    /// The chunk queued right after this one (its first byte at <see cref="End"/>), null for the last; set by the
    /// connection when it queues the next chunk, cleared when this one is released. A segment whose payload runs past
    /// this chunk's end continues there (<see cref="TcpSegment"/>), so the host finds every piece without a search
    /// or an allocation.
    /// </summary>
    public SendChunk? Next { get; internal set; }

    /// <summary>Sequence number after the last byte.</summary>
    public uint End => Sequence + (uint)Length;
}
