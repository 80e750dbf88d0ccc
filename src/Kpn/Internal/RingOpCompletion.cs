using Akka.Actor;
using Edsos.Memory;
using Edsos.Protocol;

namespace Edsos.Kpn.Internal;

/// <summary>
/// The reply address of one ring operation inside the KPN: the KPN answers it exactly as it answers a syscall's
/// caller (<see cref="SysResult"/>, <see cref="RecvResult"/>, <see cref="ZeroCopyRecv"/>), and the answer becomes a
/// completion entry staged on the ring. Pooled per ring; used on the KPN's thread only.
/// </summary>
internal sealed class RingOpCompletion : MinimalActorRef
{
    private readonly KpnRing _ring;

    public RingOpCompletion(KpnRing ring, IActorRefProvider provider)
    {
        _ring = ring;
        Provider = provider;
        Path = provider.TempPath();
    }

    /// <inheritdoc />
    public override ActorPath Path { get; }

    /// <inheritdoc />
    public override IActorRefProvider Provider { get; }

    /// <summary>The operation's user data (what its completion carries back).</summary>
    public ulong UserData { get; set; }

    /// <summary>The operation.</summary>
    public IoOp Op { get; set; }

    /// <summary>The KPN's own answer to a send or classic receive, staged without boxing a <see cref="SysResult"/> for <see cref="TellInternal"/>.</summary>
    public void Complete(SysResult result) =>
        _ring.Complete(this, new CompletionEntry(UserData, Op, result.Value, result.Error, default, default, default));

    /// <summary>
    /// The KPN's own answer to a zero-copy receive that got a datagram: <paramref name="node"/> (granted to the app,
    /// at <paramref name="gva"/>) goes into the completion entry as it is, without the <see cref="ZeroCopyRecv"/> and
    /// <see cref="UserBuffer"/> a <see cref="TellInternal"/> would be handed (allocated per datagram only to be unpacked here).
    /// </summary>
    public void CompleteReceived(int length, Ipv4Endpoint from, Capability node, Gva gva) =>
        _ring.Complete(this, new CompletionEntry(UserData, Op, length, Errno.None, from, node, gva));

    /// <inheritdoc />
    protected override void TellInternal(object message, IActorRef sender)
    {
        var entry = message switch
        {
            SysResult result => new CompletionEntry(UserData, Op, result.Value, result.Error, default, default, default),
            RecvResult result => new CompletionEntry(UserData, Op, result.Value, result.Error, result.From, default, default),
            ZeroCopyRecv result => new CompletionEntry(
                UserData,
                Op,
                result.IsOk ? result.Length : -1,
                result.Error,
                result.From,
                result.Buffer?.Cap ?? default,
                result.Buffer?.Gva ?? default),
            Errno error => new CompletionEntry(UserData, Op, -1, error, default, default, default),
            _ => new CompletionEntry(UserData, Op, -1, Errno.EIO, default, default, default),
        };
        _ring.Complete(this, entry);
    }
}
