using Edsos.Driver.Ring;

namespace Edsos.Driver.Tests.Ring;

public sealed class LegacyRxDescriptorTests
{
    // 8254x SDM legacy RX layout: addr(8) length(2) checksum(2) status errors special(2), little-endian.
    private static readonly byte[] s_fixture =
    [
        0x00, 0x10, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, // buffer address 0x1_0000_1000
        0x3C, 0x00,                                     // length 60
        0xCD, 0xAB,                                     // checksum 0xABCD
        0x03,                                           // status DD | EOP
        0x80,                                           // errors RXE
        0x00, 0x00,                                     // special
    ];

    [Fact]
    public void Read_Fixture_ParsesEveryField()
    {
        var descriptor = LegacyRxDescriptor.Read(s_fixture);

        Assert.Equal(0x1_0000_1000UL, descriptor.BufferAddress);
        Assert.Equal((ushort)60, descriptor.Length);
        Assert.Equal((ushort)0xABCD, descriptor.Checksum);
        Assert.Equal(RxDescriptorStatus.Dd | RxDescriptorStatus.Eop, descriptor.Status);
        Assert.Equal((byte)0x80, descriptor.Errors);
        Assert.Equal((ushort)0, descriptor.Special);
    }

    [Fact]
    public void Write_ParsedFixture_EmitsSameBytes()
    {
        var bytes = new byte[LegacyRxDescriptor.Size];

        LegacyRxDescriptor.Read(s_fixture).Write(bytes);

        Assert.Equal(s_fixture, bytes);
    }

    [Fact]
    public void Posted_Constructed_CarriesOnlyTheAddress()
    {
        var bytes = new byte[LegacyRxDescriptor.Size];

        LegacyRxDescriptor.Posted(0x5000).Write(bytes);

        Assert.Equal(new byte[] { 0x00, 0x50, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }, bytes);
    }
}
