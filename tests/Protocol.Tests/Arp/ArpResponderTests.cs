using Edsos.Protocol.Arp;
using Edsos.Protocol.Wire;

namespace Edsos.Protocol.Tests.Arp;

public sealed class ArpResponderTests
{
    private static readonly MacAddress s_ourMac = MacAddress.Parse("02:00:00:00:00:01");
    private static readonly MacAddress s_peerMac = MacAddress.Parse("02:00:00:00:00:02");
    private static readonly Ipv4Address s_ours = Ipv4Address.Parse("10.0.0.1");
    private static readonly Ipv4Address s_peer = Ipv4Address.Parse("10.0.0.2");
    private static readonly Ipv4Address s_other = Ipv4Address.Parse("10.0.0.3");

    private readonly ArpResponder _responder = new(s_ourMac, s_ours);

    [Fact]
    public void Decide_RequestForUs_LearnsAndReplies()
    {
        var decision = _responder.Decide(ArpRepr.Request(s_peerMac, s_peer, s_ours));

        Assert.Equal(new ArpRxDecision(Learn: true, TargetedAtUs: true, Reply: true), decision);
    }

    [Fact]
    public void Decide_RequestForAnotherHost_RefreshOnlyNoReply()
    {
        var decision = _responder.Decide(ArpRepr.Request(s_peerMac, s_peer, s_other));

        Assert.Equal(new ArpRxDecision(Learn: true, TargetedAtUs: false, Reply: false), decision);
    }

    [Fact]
    public void Decide_ReplyToUs_LearnsWithoutAnswering()
    {
        var request = ArpRepr.Request(s_ourMac, s_ours, s_peer);

        var decision = _responder.Decide(ArpRepr.ReplyTo(request, s_peerMac));

        Assert.Equal(new ArpRxDecision(Learn: true, TargetedAtUs: true, Reply: false), decision);
    }

    [Fact]
    public void Decide_OurOwnAnnouncementEchoed_Ignored()
    {
        var decision = _responder.Decide(new ArpRepr(ArpOperation.Request, s_ourMac, s_ours, MacAddress.Zero, s_ours));

        Assert.Equal(ArpRxDecision.Ignore, decision);
    }

    [Fact]
    public void Decide_ProbeFromUnspecifiedSender_AnsweredButNotLearnt()
    {
        // RFC 5227 2.1.1: a probe's sender address is 0.0.0.0; there is nothing to learn, but it asks for our address.
        var decision = _responder.Decide(ArpRepr.Request(s_peerMac, Ipv4Address.Any, s_ours));

        Assert.Equal(new ArpRxDecision(Learn: false, TargetedAtUs: true, Reply: true), decision);
    }

    [Fact]
    public void Decide_AnotherMacClaimingOurAddress_NeitherLearntNorAnswered()
    {
        var decision = _responder.Decide(new ArpRepr(ArpOperation.Request, s_peerMac, s_ours, MacAddress.Zero, s_ours));

        Assert.Equal(new ArpRxDecision(Learn: false, TargetedAtUs: true, Reply: false), decision);
    }
}
