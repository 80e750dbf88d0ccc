namespace Edsos.Protocol.Ipv4;

/// <summary>A datagram all of whose frames are done (<see cref="PendingOutputTable{TReply}.TryComplete"/>): whom to tell what.</summary>
/// <param name="RequestId">The sender's id.</param>
/// <param name="ReplyTo">The sender (none when default).</param>
/// <param name="Bytes">The bytes the sender asked to be reported on success.</param>
/// <param name="Error">The first error of any frame, or <see cref="Errno.None"/>.</param>
public readonly record struct OutputCompletion<TReply>(ulong RequestId, TReply ReplyTo, int Bytes, Errno Error)
{
    /// <summary>What the reply reports: <see cref="Bytes"/> on success, 0 on an error.</summary>
    public int ReportedBytes => Error == Errno.None ? Bytes : 0;
}
