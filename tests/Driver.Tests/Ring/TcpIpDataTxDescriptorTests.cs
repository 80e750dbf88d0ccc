using Edsos.Driver.Ring;

namespace Edsos.Driver.Tests.Ring;

public sealed class TcpIpDataTxDescriptorTests
{
    // Checked by hand against the 8254x SDM TCP/IP data descriptor (3.3.7), little-endian:
    // address(8) | DTALEN(20 bits) DTYP(4) DCMD(8) | STA POPTS special(2).
    private static readonly byte[] s_fixture =
    [
        0x00, 0x30, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, // buffer address 0x23000
        0x00, 0x00, 0x11,                               // DTALEN 0x10000 = 65536; DTYP 1 in the high nibble
        0x2F,                                           // DCMD DEXT | RS | TSE | IFCS | EOP
        0x01,                                           // STA DD
        0x03,                                           // POPTS TXSM | IXSM
        0x34, 0x12,                                     // special 0x1234
    ];

    [Fact]
    public void Read_Fixture_ParsesEveryField()
    {
        var descriptor = TcpIpDataTxDescriptor.Read(s_fixture);

        Assert.Equal(0x23000UL, descriptor.BufferAddress);
        Assert.Equal(65536, descriptor.Length);
        Assert.Equal(TxDataCommand.Dext | TxDataCommand.Rs | TxDataCommand.Tse | TxDataCommand.Ifcs | TxDataCommand.Eop, descriptor.Command);
        Assert.Equal(TxDescriptorStatus.Dd, descriptor.Status);
        Assert.Equal(TxPacketOptions.Txsm | TxPacketOptions.Ixsm, descriptor.Options);
        Assert.Equal((ushort)0x1234, descriptor.Special);
        Assert.Equal(TxDescriptorKind.Data, TxDescriptorLayout.Classify(s_fixture));
    }

    [Fact]
    public void Write_ParsedFixture_EmitsSameBytes()
    {
        var bytes = new byte[TcpIpDataTxDescriptor.Size];

        TcpIpDataTxDescriptor.Read(s_fixture).Write(bytes);

        Assert.Equal(s_fixture, bytes);
    }

    [Fact]
    public void ForBuffer_Constructed_HasDextStatusClearAndFieldOffsetsOfTheSdm()
    {
        var bytes = new byte[TcpIpDataTxDescriptor.Size];

        TcpIpDataTxDescriptor.ForBuffer(0x1122334455667788, 0xABCDE, TxDataCommand.Tse, TxPacketOptions.Txsm).Write(bytes);

        Assert.Equal(new byte[] { 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11, 0xDE, 0xBC, 0x1A, 0x24, 0, 0x02, 0, 0 }, bytes);
    }

    [Fact]
    public void Classify_LegacyAndReservedTypes_ToldApartByDextAndDtyp()
    {
        var legacy = new byte[16];
        LegacyTxDescriptor.ForBuffer(0x1000, 1514, TxCommand.Eop | TxCommand.Rs | TxCommand.Ifcs).Write(legacy);
        var reserved = (byte[])s_fixture.Clone();
        reserved[10] = 0x21; // DTYP 2

        Assert.Equal(TxDescriptorKind.Legacy, TxDescriptorLayout.Classify(legacy));
        Assert.Equal(TxDescriptorKind.Reserved, TxDescriptorLayout.Classify(reserved));
    }

    [Fact]
    public void Write_LengthBeyond20Bits_Throws()
    {
        var descriptor = TcpIpDataTxDescriptor.ForBuffer(0, 1 << 20, TxDataCommand.Eop, TxPacketOptions.None);

        Assert.Throws<ArgumentOutOfRangeException>(() => descriptor.Write(new byte[16]));
    }
}
