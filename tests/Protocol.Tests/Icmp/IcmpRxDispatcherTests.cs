using Edsos.Protocol.Icmp;
using Edsos.Protocol.Wire;

namespace Edsos.Protocol.Tests.Icmp;

public sealed class IcmpRxDispatcherTests
{
    [Fact]
    public void Dispatch_EchoRequestFromAHost_Answered()
    {
        Assert.Equal(IcmpRxAction.AnswerEcho, IcmpRxDispatcher.Dispatch(IcmpV4Repr.EchoRequest(1, 2, 8), WireError.None, canSendError: true));
    }

    [Fact]
    public void Dispatch_EchoRequestToBroadcast_Ignored()
    {
        Assert.Equal(IcmpRxAction.Ignore, IcmpRxDispatcher.Dispatch(IcmpV4Repr.EchoRequest(1, 2, 8), WireError.None, canSendError: false));
    }

    [Fact]
    public void Dispatch_EchoReply_Reported()
    {
        var reply = IcmpV4Repr.EchoReplyTo(IcmpV4Repr.EchoRequest(1, 2, 8));

        Assert.Equal(IcmpRxAction.ReportEchoReply, IcmpRxDispatcher.Dispatch(reply, WireError.None, canSendError: false));
    }

    [Fact]
    public void Dispatch_UnsupportedType_Ignored()
    {
        Assert.Equal(IcmpRxAction.Ignore, IcmpRxDispatcher.Dispatch(default, WireError.Unsupported, canSendError: true));
    }
}
