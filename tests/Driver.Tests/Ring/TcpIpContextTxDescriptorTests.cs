using Edsos.Driver.Ring;

namespace Edsos.Driver.Tests.Ring;

public sealed class TcpIpContextTxDescriptorTests
{
    // Checked by hand against the 8254x SDM TCP/IP context descriptor (3.3.6), little-endian:
    // IPCSS IPCSO IPCSE(2) TUCSS TUCSO TUCSE(2) | PAYLEN(20 bits) DTYP(4) TUCMD(8) | STA HDRLEN MSS(2).
    private static readonly byte[] s_fixture =
    [
        0x0E,                   // IPCSS 14: the IPv4 header follows the Ethernet header
        0x18,                   // IPCSO 24: its checksum field
        0x21, 0x00,             // IPCSE 33: the header's last byte
        0x22,                   // TUCSS 34: the TCP header
        0x32,                   // TUCSO 50: its checksum field
        0x00, 0x00,             // TUCSE 0: to the end of each segment
        0x00, 0x00, 0x01,       // PAYLEN 0x10000 = 65536 (bit 16 set: the field is 20 bits wide), DTYP 0 in the high nibble
        0x2F,                   // TUCMD DEXT | RS | TSE | IP | TCP
        0x01,                   // STA DD
        0x36,                   // HDRLEN 54
        0xB4, 0x05,             // MSS 1460
    ];

    [Fact]
    public void Read_Fixture_ParsesEveryField()
    {
        var descriptor = TcpIpContextTxDescriptor.Read(s_fixture);

        Assert.Equal((byte)14, descriptor.IpChecksumStart);
        Assert.Equal((byte)24, descriptor.IpChecksumOffset);
        Assert.Equal((ushort)33, descriptor.IpChecksumEnd);
        Assert.Equal((byte)34, descriptor.TcpChecksumStart);
        Assert.Equal((byte)50, descriptor.TcpChecksumOffset);
        Assert.Equal((ushort)0, descriptor.TcpChecksumEnd);
        Assert.Equal(65536, descriptor.PayloadLength);
        Assert.Equal(TxContextCommand.Dext | TxContextCommand.Rs | TxContextCommand.Tse | TxContextCommand.Ip | TxContextCommand.Tcp, descriptor.Command);
        Assert.Equal(TxDescriptorStatus.Dd, descriptor.Status);
        Assert.Equal((byte)54, descriptor.HeaderLength);
        Assert.Equal((ushort)1460, descriptor.Mss);
        Assert.Equal(TxDescriptorKind.Context, TxDescriptorLayout.Classify(s_fixture));
    }

    [Fact]
    public void Write_ParsedFixture_EmitsSameBytes()
    {
        var bytes = new byte[TcpIpContextTxDescriptor.Size];

        TcpIpContextTxDescriptor.Read(s_fixture).Write(bytes);

        Assert.Equal(s_fixture, bytes);
    }

    [Fact]
    public void ForTcpSegmentation_EthernetIpv4Tcp_IsTheFixtureWithoutRsAndDd()
    {
        var bytes = new byte[TcpIpContextTxDescriptor.Size];

        TcpIpContextTxDescriptor.ForTcpSegmentation(14, 34, 54, 65536, 1460).Write(bytes);

        var expected = (byte[])s_fixture.Clone();
        expected[11] = 0x27; // DEXT | TSE | IP | TCP
        expected[12] = 0x00;
        Assert.Equal(expected, bytes);
    }

    [Fact]
    public void Write_CommandWithoutDext_StillWritesDext()
    {
        var bytes = new byte[TcpIpContextTxDescriptor.Size];

        (TcpIpContextTxDescriptor.ForTcpSegmentation(14, 34, 54, 100, 536) with { Command = TxContextCommand.Tse }).Write(bytes);

        Assert.Equal(0x24, bytes[11]);
        Assert.Equal(TxDescriptorKind.Context, TxDescriptorLayout.Classify(bytes));
    }

    [Fact]
    public void Write_PayloadLengthBeyond20Bits_Throws()
    {
        var descriptor = TcpIpContextTxDescriptor.ForTcpSegmentation(14, 34, 54, 1, 536) with { PayloadLength = 1 << 20 };

        Assert.Throws<ArgumentOutOfRangeException>(() => descriptor.Write(new byte[16]));
    }

    [Fact]
    public void Read_ShortSpan_Throws()
    {
        Assert.Throws<ArgumentException>(() => TcpIpContextTxDescriptor.Read(new byte[15]));
    }
}
