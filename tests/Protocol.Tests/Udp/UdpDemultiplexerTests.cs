using Edsos.Protocol.Udp;
using Edsos.Protocol.Wire;

namespace Edsos.Protocol.Tests.Udp;

public sealed class UdpDemultiplexerTests
{
    private static readonly Ipv4Address s_ours = Ipv4Address.Parse("10.0.0.1");
    private static readonly Ipv4Address s_loopback = Ipv4Address.Parse("127.0.0.1");

    private readonly UdpDemultiplexer<string> _demux = new();

    [Fact]
    public void TryLookup_BoundToAny_MatchesEveryDestination()
    {
        _demux.Bind(new Ipv4Endpoint(Ipv4Address.Any, 7), "echo");

        Assert.True(_demux.TryLookup(s_ours, 7, out string socket));
        Assert.Equal("echo", socket);
        Assert.True(_demux.TryLookup(s_loopback, 7, out _));
    }

    [Fact]
    public void TryLookup_BoundToOneAddress_OtherDestinationNotMatched()
    {
        _demux.Bind(new Ipv4Endpoint(s_loopback, 7), "lo-only");

        Assert.False(_demux.TryLookup(s_ours, 7, out _));
        Assert.True(_demux.TryLookup(s_loopback, 7, out _));
    }

    [Fact]
    public void TryLookup_UnboundPort_False()
    {
        _demux.Bind(new Ipv4Endpoint(Ipv4Address.Any, 7), "echo");

        Assert.False(_demux.TryLookup(s_ours, 8, out _));
    }

    [Fact]
    public void Unbind_StaleAddress_NewBindingKept()
    {
        _demux.Bind(new Ipv4Endpoint(s_loopback, 7), "old");
        _demux.Bind(new Ipv4Endpoint(Ipv4Address.Any, 7), "new");

        Assert.False(_demux.Unbind(new Ipv4Endpoint(s_loopback, 7)));
        Assert.True(_demux.TryLookup(s_ours, 7, out string socket));
        Assert.Equal("new", socket);
    }

    [Fact]
    public void Unbind_SameAddress_Removed()
    {
        _demux.Bind(new Ipv4Endpoint(Ipv4Address.Any, 7), "echo");

        Assert.True(_demux.Unbind(new Ipv4Endpoint(Ipv4Address.Any, 7)));
        Assert.False(_demux.TryLookup(s_ours, 7, out _));
        Assert.Equal(0, _demux.Count);
    }
}
