using System.Buffers.Binary;
using Edsos.Driver.Device;
using Edsos.Driver.Ring;
using Edsos.Driver.Tests.Support;
using Edsos.Memory;

namespace Edsos.Driver.Tests.Device;

/// <summary>
/// Receive checksum offload (<see cref="VirtualNicOptions.RxChecksumOffload"/>): what the device writes into a received
/// frame's EOP descriptor, checked against frames whose checksums the test support computes with its own word loop.
/// </summary>
public sealed class VirtualNicRxChecksumTests : IDisposable
{
    private const RxDescriptorStatus DoneEop = RxDescriptorStatus.Dd | RxDescriptorStatus.Eop;
    private const RxDescriptorStatus Checked = RxDescriptorStatus.IpCs | RxDescriptorStatus.TcpCs;

    private readonly MemoryManager _memory = new(128);
    private readonly TsId _driver;
    private readonly DescriptorRing _rxRing;
    private VirtualNic? _nic;

    public VirtualNicRxChecksumTests()
    {
        _driver = _memory.CreateTs("/drivers/net/e1000").Unwrap();
        _rxRing = DescriptorRing.Create(_memory, _driver, "rx_ring", 16).Unwrap();
    }

    public void Dispose()
    {
        _nic?.Dispose();
        _memory.Dispose();
    }

    [Theory]
    [InlineData(2048)]
    [InlineData(257)]
    public void Receive_ValidTcpFrameAcrossBuffers_EopReportsIpcsTcpcsWithoutErrors(int bufferSize)
    {
        // 257-byte buffers split the segment at odd offsets: the device sums each piece as it writes it.
        Start(new VirtualNicOptions { LargeFrames = true, RxBufferSize = bufferSize }, 15);
        var frame = TcpFrames.Tcp(Bytes.Pattern(3001, 9));

        Assert.Equal(RxOutcome.Delivered, _nic!.Receive(frame));

        int buffers = (frame.Length + bufferSize - 1) / bufferSize;
        for (int i = 0; i < buffers - 1; i++)
        {
            Assert.Equal(RxDescriptorStatus.Dd, _rxRing.ReadRx(i).Unwrap().Status);
        }

        var eop = _rxRing.ReadRx(buffers - 1).Unwrap();
        Assert.Equal(DoneEop | Checked, eop.Status);
        Assert.Equal(0, eop.Errors);
    }

    [Fact]
    public void Receive_TcpPayloadCorrupted_ReportsTcpeAndStillWritesTheFrame()
    {
        var buffer = Start(new VirtualNicOptions(), 1)[0];
        var frame = TcpFrames.Tcp(Bytes.Pattern(1000, 3));
        frame[^7] ^= 0x10;

        Assert.Equal(RxOutcome.Delivered, _nic!.Receive(frame));

        var eop = _rxRing.ReadRx(0).Unwrap();
        Assert.Equal(DoneEop | Checked, eop.Status);
        Assert.Equal((byte)RxDescriptorErrors.Tcpe, eop.Errors);
        Assert.Equal(frame.Length, eop.Length);
        var written = new byte[frame.Length];
        _memory.Read(_driver, buffer, 0, written, CopyKind.Payload).ThrowIfFailed();
        Assert.Equal(frame, written);
    }

    [Fact]
    public void Receive_Ipv4HeaderCorrupted_ReportsIpeAndChecksNoTransport()
    {
        Start(new VirtualNicOptions(), 1);
        var frame = TcpFrames.Tcp(Bytes.Pattern(100, 3));
        frame[TcpFrames.Ipv4Offset + 8] ^= 0x01;

        _nic!.Receive(frame);

        var eop = _rxRing.ReadRx(0).Unwrap();
        Assert.Equal(DoneEop | RxDescriptorStatus.IpCs, eop.Status);
        Assert.Equal((byte)RxDescriptorErrors.Ipe, eop.Errors);
    }

    [Fact]
    public void Receive_UdpWithAndWithoutChecksum_TcpcsOnlyWhenTheSenderComputedOne()
    {
        Start(new VirtualNicOptions(), 3);
        var good = TcpFrames.Udp(Bytes.Pattern(333, 4));
        var bad = TcpFrames.Udp(Bytes.Pattern(333, 4));
        bad[^1] ^= 0xFF;

        _nic!.Receive(good);
        _nic.Receive(bad);
        _nic.Receive(TcpFrames.Udp(Bytes.Pattern(333, 4), udpChecksum: false));

        Assert.Equal((DoneEop | Checked, (byte)0), Report(0));
        Assert.Equal((DoneEop | Checked, (byte)RxDescriptorErrors.Tcpe), Report(1));
        Assert.Equal((DoneEop | RxDescriptorStatus.IpCs, (byte)0), Report(2));
    }

    [Fact]
    public void Receive_EthernetPaddingPastTheIpv4Length_NotSummed()
    {
        Start(new VirtualNicOptions(), 1);
        var datagram = TcpFrames.Udp([1, 2, 3]);
        var padded = new byte[60];
        datagram.CopyTo(padded, 0);
        padded.AsSpan(datagram.Length).Fill(0xAB);

        _nic!.Receive(padded);

        Assert.Equal((DoneEop | Checked, (byte)0), Report(0));
    }

    [Fact]
    public void Receive_Fragment_IpcsOnly()
    {
        Start(new VirtualNicOptions(), 1);
        var frame = TcpFrames.Tcp(Bytes.Pattern(200, 5));
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(TcpFrames.Ipv4Offset + 6), 0x2000);
        TcpFrames.FillChecksums(frame);

        _nic!.Receive(frame);

        Assert.Equal((DoneEop | RxDescriptorStatus.IpCs, (byte)0), Report(0));
    }

    [Fact]
    public void Receive_NotIpv4_NoIndication()
    {
        Start(new VirtualNicOptions(), 1);
        var frame = TcpFrames.Tcp(Bytes.Pattern(200, 5));
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(12), 0x0806);

        _nic!.Receive(frame);

        Assert.Equal((DoneEop, (byte)0), Report(0));
    }

    [Fact]
    public void Receive_OffloadOff_IxsmAndNothingChecked()
    {
        Start(new VirtualNicOptions { RxChecksumOffload = false }, 2);
        var bad = TcpFrames.Tcp(Bytes.Pattern(200, 5));
        bad[^1] ^= 0x01;

        _nic!.Receive(TcpFrames.Tcp(Bytes.Pattern(200, 5)));
        _nic.Receive(bad);

        Assert.Equal((DoneEop | RxDescriptorStatus.Ixsm, (byte)0), Report(0));
        Assert.Equal((DoneEop | RxDescriptorStatus.Ixsm, (byte)0), Report(1));
    }

    [Theory]
    [InlineData(RxDescriptorStatus.Dd | RxDescriptorStatus.Eop | RxDescriptorStatus.IpCs | RxDescriptorStatus.TcpCs, RxDescriptorErrors.None, RxChecksum.Ipv4Good | RxChecksum.TransportGood)]
    [InlineData(RxDescriptorStatus.Dd | RxDescriptorStatus.Eop | RxDescriptorStatus.IpCs | RxDescriptorStatus.TcpCs, RxDescriptorErrors.Tcpe, RxChecksum.Ipv4Good | RxChecksum.TransportBad)]
    [InlineData(RxDescriptorStatus.Dd | RxDescriptorStatus.Eop | RxDescriptorStatus.IpCs, RxDescriptorErrors.Ipe, RxChecksum.Ipv4Bad)]
    [InlineData(RxDescriptorStatus.Dd | RxDescriptorStatus.Eop | RxDescriptorStatus.IpCs, RxDescriptorErrors.None, RxChecksum.Ipv4Good)]
    [InlineData(RxDescriptorStatus.Dd | RxDescriptorStatus.Eop | RxDescriptorStatus.Ixsm | RxDescriptorStatus.IpCs | RxDescriptorStatus.TcpCs, RxDescriptorErrors.None, RxChecksum.None)]
    [InlineData(RxDescriptorStatus.Dd | RxDescriptorStatus.Eop, RxDescriptorErrors.None, RxChecksum.None)]
    public void ChecksumOf_EopDescriptor_ReadsAsE1000DriversDo(RxDescriptorStatus status, RxDescriptorErrors errors, RxChecksum expected)
    {
        Assert.Equal(expected, RxQueue.ChecksumOf(status, errors));
    }

    private (RxDescriptorStatus Status, byte Errors) Report(int slot)
    {
        var done = _rxRing.ReadRx(slot).Unwrap();
        return (done.Status, done.Errors);
    }

    private List<Capability> Start(VirtualNicOptions options, int buffers)
    {
        _nic = new VirtualNic(_memory, options);
        _nic.ConfigureRx(_rxRing.Extents, _rxRing.Count);
        var posted = new List<Capability>();
        for (int i = 0; i < buffers; i++)
        {
            var buffer = _memory.Push(_driver, "rx_buf", options.RxBufferSize).Unwrap();
            var pin = _memory.Pin(_driver, buffer).Unwrap();
            _rxRing.WriteRx(_rxRing.Tail, LegacyRxDescriptor.Posted(pin.Extents[0].Address)).ThrowIfFailed();
            _rxRing.Produce(1);
            posted.Add(buffer);
        }

        _nic.WriteRdt(_rxRing.Tail);
        return posted;
    }
}
