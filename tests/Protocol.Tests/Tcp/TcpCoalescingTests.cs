using Edsos.Protocol.Tcp;
using Edsos.Protocol.Wire;

namespace Edsos.Protocol.Tests.Tcp;

public sealed class TcpCoalescingTests
{
    private static readonly Ipv4Address A = Ipv4Address.Parse("10.0.0.1");
    private static readonly Ipv4Address B = Ipv4Address.Parse("10.0.0.2");
    private static readonly TcpRepr Held = new(5000, 80, 1000, 77, TcpFlags.Ack, 4096);

    [Fact]
    public void CanAppend_InOrderPlainData_True()
    {
        Assert.True(TcpCoalescing.CanAppend(Held, 1460, A, B, Held with { Sequence = 2460 }, 1460, A, B));
    }

    [Fact]
    public void CanAppend_NextCarriesPsh_TrueAndTheJoinedSegmentKeepsIt()
    {
        var next = Held with { Sequence = 2460, Flags = TcpFlags.Ack | TcpFlags.Psh };

        Assert.True(TcpCoalescing.CanAppend(Held, 1460, A, B, next, 100, A, B));
        Assert.Equal(Held with { Flags = TcpFlags.Ack | TcpFlags.Psh }, TcpCoalescing.Append(Held, next));
    }

    [Theory]
    [InlineData(2461u, 4096, 77u, TcpFlags.Ack)]
    [InlineData(2459u, 4096, 77u, TcpFlags.Ack)]
    [InlineData(2460u, 4095, 77u, TcpFlags.Ack)]
    [InlineData(2460u, 4096, 78u, TcpFlags.Ack)]
    [InlineData(2460u, 4096, 77u, TcpFlags.Ack | TcpFlags.Fin)]
    [InlineData(2460u, 4096, 77u, TcpFlags.Ack | TcpFlags.Cwr)]
    [InlineData(2460u, 4096, 77u, TcpFlags.Rst)]
    public void CanAppend_GapWindowAckOrFlagsDiffer_False(uint sequence, int window, uint ack, TcpFlags flags)
    {
        var next = Held with { Sequence = sequence, Window = (ushort)window, Acknowledgement = ack, Flags = flags };

        Assert.False(TcpCoalescing.CanAppend(Held, 1460, A, B, next, 1460, A, B));
    }

    [Fact]
    public void CanAppend_OtherFlowHeldPshEmptyOrTooLong_False()
    {
        var next = Held with { Sequence = 2460 };

        Assert.False(TcpCoalescing.CanAppend(Held, 1460, A, B, next with { SourcePort = 5001 }, 1460, A, B));
        Assert.False(TcpCoalescing.CanAppend(Held, 1460, A, B, next, 1460, B, B));
        Assert.False(TcpCoalescing.CanAppend(Held with { Flags = TcpFlags.Ack | TcpFlags.Psh }, 1460, A, B, next, 1460, A, B));
        Assert.False(TcpCoalescing.CanAppend(Held, 1460, A, B, next, 0, A, B));
        Assert.False(TcpCoalescing.CanAppend(Held, 1460, A, B, next with { MaxSegmentSize = 1460 }, 1460, A, B));
        Assert.False(TcpCoalescing.CanAppend(Held, TcpCoalescing.MaxLength - 100, A, B, Held with { Sequence = (uint)(1000 + TcpCoalescing.MaxLength - 100) }, 101, A, B));
        Assert.True(TcpCoalescing.CanAppend(Held, TcpCoalescing.MaxLength - 100, A, B, Held with { Sequence = (uint)(1000 + TcpCoalescing.MaxLength - 100) }, 100, A, B));
    }

    [Fact]
    public void CanAppend_SequenceWraps_True()
    {
        var held = Held with { Sequence = uint.MaxValue - 99 };

        Assert.True(TcpCoalescing.CanAppend(held, 100, A, B, held with { Sequence = 0 }, 100, A, B));
    }
}
