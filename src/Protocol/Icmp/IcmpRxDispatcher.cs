using Edsos.Protocol.Wire;

namespace Edsos.Protocol.Icmp;

/// <summary>
/// Dispatches a received ICMP message (RFC 792, RFC 1122 3.2.2.6) to what the stack does with it.
/// </summary>
public static class IcmpRxDispatcher
{
    /// <summary>
    /// An echo request is answered only when <paramref name="canSendError"/> holds (RFC 1122 3.2.2.6: no
    /// reply to a broadcast echo, Linux's default, nor to a source that names no host); an echo reply is
    /// reported; everything else is ignored. <paramref name="parseError"/> is the wire layer's verdict:
    /// anything but <see cref="WireError.None"/> (an unsupported type) is ignored.
    /// </summary>
    public static IcmpRxAction Dispatch(in IcmpV4Repr icmp, WireError parseError, bool canSendError) =>
        parseError != WireError.None ? IcmpRxAction.Ignore
        : icmp.Type == IcmpV4Type.EchoRequest ? (canSendError ? IcmpRxAction.AnswerEcho : IcmpRxAction.Ignore)
        : icmp.Type == IcmpV4Type.EchoReply ? IcmpRxAction.ReportEchoReply
        : IcmpRxAction.Ignore;
}
