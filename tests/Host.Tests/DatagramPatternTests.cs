using Edsos.Host.Demo;
using Edsos.Memory;

namespace Edsos.Host.Tests;

public sealed class DatagramPatternTests
{
    [Fact]
    public void Check_FilledDatagramInSegments_Matches()
    {
        byte[] datagram = new byte[5000];
        DatagramPattern.Fill(datagram, 42);
        var verifier = new DatagramPattern.Verifier(42);

        // Odd-sized segments, as a scatter list would hand them out.
        DatagramPattern.Check(ref verifier, datagram.AsSpan(0, 3));
        DatagramPattern.Check(ref verifier, datagram.AsSpan(3, 1997));
        DatagramPattern.Check(ref verifier, datagram.AsSpan(2000));

        Assert.True(verifier.Ok);
        Assert.Equal(5000, verifier.Position);
    }

    [Fact]
    public void Check_OneByteChanged_ReportsItsPosition()
    {
        byte[] datagram = new byte[1024];
        DatagramPattern.Fill(datagram, 7);
        datagram[777] ^= 0x01;
        var verifier = new DatagramPattern.Verifier(7);

        DatagramPattern.Check(ref verifier, datagram);

        Assert.False(verifier.Ok);
        Assert.Equal(777, verifier.FirstBad);
    }

    [Fact]
    public void Check_StaleDatagram_Fails()
    {
        byte[] datagram = new byte[64];
        DatagramPattern.Fill(datagram, 6);
        var verifier = new DatagramPattern.Verifier(7);

        DatagramPattern.Check(ref verifier, datagram);

        Assert.False(verifier.Ok);
        Assert.Equal(0, verifier.FirstBad);
    }

    [Fact]
    public void Fill_ConsecutiveSequences_DifferInTheBody()
    {
        byte[] a = new byte[256];
        byte[] b = new byte[256];
        DatagramPattern.Fill(a, 1);
        DatagramPattern.Fill(b, 2);
        Assert.NotEqual(a.AsSpan(8).ToArray(), b.AsSpan(8).ToArray());
    }
}
