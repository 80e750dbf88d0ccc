namespace Edsos.Memory.Tests;

public sealed class GvaTests
{
    [Fact]
    public void Make_TsAndOffset_RoundTripAndFormat()
    {
        var gva = Gva.Make(new TsId(3), 0x1_2000);

        Assert.Equal(new TsId(3), gva.Ts);
        Assert.Equal(0x1_2000UL, gva.Offset);
        Assert.Equal("0x0003_0000_0001_2000", gva.ToString());
    }

    [Fact]
    public void Add_PastOffsetRange_WrapsInsideSameTs()
    {
        var gva = Gva.Make(new TsId(7), Gva.OffsetMask);

        Assert.Equal(new TsId(7), gva.Add(1).Ts);
        Assert.Equal(0UL, gva.Add(1).Offset);
        Assert.Equal(Gva.OffsetMask - 1, gva.Add(-1).Offset);
    }
}
