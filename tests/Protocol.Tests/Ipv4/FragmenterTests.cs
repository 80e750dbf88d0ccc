using Edsos.Protocol.Ipv4;

namespace Edsos.Protocol.Tests.Ipv4;

public sealed class FragmenterTests
{
    [Fact]
    public void Plan_4096ByteUdpOverMtu1500_ThreeFragments()
    {
        // 4096 data + 8 UDP header = 4104 bytes of IP payload; 1500 − 20 = 1480 per fragment (a multiple of 8).
        FragmentPiece[] pieces = Fragmenter.Plan(4104, 20, 1500);

        Assert.Equal(
            new[]
            {
                new FragmentPiece(0, 1480, true),
                new FragmentPiece(1480, 1480, true),
                new FragmentPiece(2960, 1144, false),
            },
            pieces);
    }

    [Fact]
    public void Plan_FitsMtu_OnePieceWithoutMf()
    {
        Assert.Equal(new[] { new FragmentPiece(0, 1480, false) }, Fragmenter.Plan(1480, 20, 1500));
        Assert.Equal(new[] { new FragmentPiece(0, 0, false) }, Fragmenter.Plan(0, 20, 1500));
    }

    [Fact]
    public void Plan_HeaderWithOptions_RoundsDownTo8()
    {
        // 1500 − 24 = 1476, rounded down to 1472 so the next offset is a multiple of 8.
        FragmentPiece[] pieces = Fragmenter.Plan(3000, 24, 1500);

        Assert.Equal(1472, pieces[0].Length);
        Assert.Equal(1472, pieces[1].Offset);
        Assert.Equal(3, pieces.Length);
        Assert.Equal(3000 - 2944, pieces[2].Length);
    }

    [Fact]
    public void Plan_MinimumMtu_EveryPieceFitsAndCoversPayload()
    {
        const int Payload = 1000;
        var pieces = new FragmentPiece[Fragmenter.CountFragments(Payload, 20, 68)];
        int count = Fragmenter.Plan(Payload, 20, 68, pieces);

        int next = 0;
        for (int i = 0; i < count; i++)
        {
            Assert.Equal(next, pieces[i].Offset);
            Assert.Equal(0, pieces[i].Offset % 8);
            Assert.True(20 + pieces[i].Length <= 68);
            Assert.Equal(i < count - 1, pieces[i].MoreFragments);
            next += pieces[i].Length;
        }

        Assert.Equal(Payload, next);
        Assert.Equal(21, count); // 48 bytes each: ceil(1000 / 48)
    }

    [Theory]
    [InlineData(100, 20, 67)]     // MTU below RFC 791's 68
    [InlineData(100, 19, 1500)]   // header shorter than 20
    [InlineData(100, 22, 1500)]   // header not a multiple of 4
    [InlineData(65516, 20, 1500)] // datagram over 65535
    [InlineData(-1, 20, 1500)]
    public void Plan_InvalidArguments_Throw(int payload, int header, int mtu)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Fragmenter.Plan(payload, header, mtu));
    }

    [Fact]
    public void Plan_DestinationTooSmall_Throws()
    {
        Assert.Throws<ArgumentException>(() => Fragmenter.Plan(4104, 20, 1500, new FragmentPiece[2]));
    }
}
