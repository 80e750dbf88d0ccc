using Edsos.Driver.Ring;

namespace Edsos.Driver.Tests.Ring;

public sealed class LegacyTxDescriptorTests
{
    // Checked by hand against the 8254x SDM legacy TX layout: addr(8) len(2) cso cmd sta css special(2), little-endian.
    private static readonly byte[] s_fixture =
    [
        0x00, 0x30, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, // buffer address 0x23000
        0xEA, 0x05,                                     // length 1514
        0x22,                                           // CSO 34
        0x0B,                                           // CMD EOP | IFCS | RS
        0x01,                                           // STA DD
        0x0E,                                           // CSS 14
        0x34, 0x12,                                     // special 0x1234
    ];

    [Fact]
    public void Read_Fixture_ParsesEveryField()
    {
        var descriptor = LegacyTxDescriptor.Read(s_fixture);

        Assert.Equal(0x23000UL, descriptor.BufferAddress);
        Assert.Equal((ushort)1514, descriptor.Length);
        Assert.Equal((byte)34, descriptor.ChecksumOffset);
        Assert.Equal(TxCommand.Eop | TxCommand.Ifcs | TxCommand.Rs, descriptor.Command);
        Assert.Equal(TxDescriptorStatus.Dd, descriptor.Status);
        Assert.Equal((byte)14, descriptor.ChecksumStart);
        Assert.Equal((ushort)0x1234, descriptor.Special);
    }

    [Fact]
    public void Write_ParsedFixture_EmitsSameBytes()
    {
        var bytes = new byte[LegacyTxDescriptor.Size];

        LegacyTxDescriptor.Read(s_fixture).Write(bytes);

        Assert.Equal(s_fixture, bytes);
    }

    [Fact]
    public void ForBuffer_Constructed_HasClearStatusAndFieldOffsetsOfTheSdm()
    {
        var bytes = new byte[LegacyTxDescriptor.Size];

        LegacyTxDescriptor.ForBuffer(0x1122334455667788, 0x0102, TxCommand.Ifcs).Write(bytes);

        Assert.Equal(new byte[] { 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11, 0x02, 0x01, 0, 0x02, 0, 0, 0, 0 }, bytes);
    }

    [Fact]
    public void Read_ShortSpan_Throws()
    {
        Assert.Throws<ArgumentException>(() => LegacyTxDescriptor.Read(new byte[15]));
    }
}
