using Edsos.Driver.Device;
using Edsos.Driver.Ring;
using Edsos.Driver.Tests.Support;
using Edsos.Memory;

namespace Edsos.Driver.Tests.Device;

/// <summary>
/// The device's TCP segmentation offload: a super-frame built in arena memory, described by a TCP/IP
/// context descriptor and TSE data descriptors, cut into frames checked field by field with code of
/// the test's own (<see cref="TcpFrames"/>).
/// </summary>
public sealed class VirtualNicTsoTests : IDisposable
{
    private const int Mss = 1460;

    private readonly MemoryManager _memory = new(256);
    private readonly TsId _driver;
    private readonly DescriptorRing _txRing;
    private readonly CapturingWire _wire = new();
    private VirtualNic _nic;

    public VirtualNicTsoTests()
    {
        _driver = _memory.CreateTs("/drivers/net/e1000").Unwrap();
        _txRing = DescriptorRing.Create(_memory, _driver, "tx_ring", 32).Unwrap();
        _nic = CreateNic(new VirtualNicOptions());
    }

    public void Dispose()
    {
        _nic.Dispose();
        _memory.Dispose();
    }

    [Fact]
    public void ProcessTx_TsoSuperFrame_CutIntoMssFramesWithFixedHeadersAndValidChecksums()
    {
        // Arrange: 10,000 payload bytes, identification and sequence both about to wrap.
        const int payloadLength = 10_000;
        const ushort identification = 0xFFFE;
        const uint sequence = 0xFFFF_F000;
        var payload = Bytes.Pattern(payloadLength, 3);
        var header = TcpFrames.Header(payloadLength, identification, sequence, TcpFrames.Ack | TcpFrames.Psh | TcpFrames.Fin | TcpFrames.Cwr);
        var (_, pin) = PushTsoSkb(header, payload, Context(payloadLength));
        var before = _memory.Counters;

        // Act
        _nic.WriteTdt(_txRing.Tail);
        var batch = _nic.ProcessTx(_wire);

        // Assert: ceil(10000 / 1460) = 7 frames, every field fixed per segment.
        var frames = _wire.Frames.ToArray();
        Assert.Equal(new TxBatch(1 + pin.Extents.Count, 7, 0), batch);
        Assert.Equal(7, frames.Length);
        var received = new List<byte>();
        for (int i = 0; i < frames.Length; i++)
        {
            var frame = frames[i];
            int segmentPayload = Math.Min(Mss, payloadLength - (i * Mss));
            bool first = i == 0;
            bool last = i == frames.Length - 1;
            Assert.Equal(TcpFrames.HeaderLength + segmentPayload, frame.Length);
            Assert.True(frame.Length <= 1514);
            Assert.Equal(20 + 20 + segmentPayload, TcpFrames.IpTotalLength(frame));
            Assert.Equal(unchecked((ushort)(identification + i)), TcpFrames.IpIdentification(frame));
            Assert.True(TcpFrames.DontFragment(frame));
            Assert.True(TcpFrames.Ipv4ChecksumValid(frame), $"IPv4 checksum of segment {i}");
            Assert.True(TcpFrames.TcpChecksumValid(frame), $"TCP checksum of segment {i}");
            Assert.Equal(unchecked(sequence + (uint)(i * Mss)), TcpFrames.Sequence(frame));
            byte flags = TcpFrames.Flags(frame);
            Assert.Equal(last, (flags & TcpFrames.Fin) != 0);
            Assert.Equal(last, (flags & TcpFrames.Psh) != 0);
            Assert.Equal(first, (flags & TcpFrames.Cwr) != 0);
            Assert.True((flags & TcpFrames.Ack) != 0);

            // Everything the device does not fix is the template's: MACs, ports, ACK number, window.
            Assert.Equal(header.AsSpan(0, 14).ToArray(), frame.AsSpan(0, 14).ToArray());
            Assert.Equal(header.AsSpan(TcpFrames.TcpOffset, 4).ToArray(), frame.AsSpan(TcpFrames.TcpOffset, 4).ToArray());
            Assert.Equal(header.AsSpan(TcpFrames.TcpOffset + 8, 4).ToArray(), frame.AsSpan(TcpFrames.TcpOffset + 8, 4).ToArray());
            Assert.Equal(header.AsSpan(TcpFrames.TcpOffset + 14, 2).ToArray(), frame.AsSpan(TcpFrames.TcpOffset + 14, 2).ToArray());
            received.AddRange(frame.AsSpan(TcpFrames.HeaderLength).ToArray());
        }

        Assert.Equal(payload, received.ToArray());
        var counters = _nic.Counters;
        Assert.Equal(7, counters.FramesSent);
        Assert.Equal(1, counters.TsoFrames);
        Assert.Equal(7, counters.TsoSegments);
        Assert.Equal(0, counters.TxErrors);
        Assert.Equal((7 * TcpFrames.HeaderLength) + payloadLength, counters.BytesSent);

        // The super-frame was read by DMA once; the CPU copied nothing.
        var after = _memory.Counters;
        Assert.Equal(0, after.CpuBytesCopied - before.CpuBytesCopied);
        Assert.Equal(TcpFrames.HeaderLength + payloadLength + (16 * (1 + pin.Extents.Count)), after.DmaBytesRead - before.DmaBytesRead);
        Assert.Equal(TxDescriptorStatus.Dd, _txRing.ReadTx(pin.Extents.Count).Unwrap().Status);
        Assert.Equal(_txRing.Tail, _nic.Tdh);
        Assert.Equal(InterruptCause.TxDescriptorWritten, _nic.TakeInterrupts());
    }

    [Fact]
    public void ProcessTx_PayloadAMultipleOfMss_LastSegmentFullAndFlagsOnItOnly()
    {
        var payload = Bytes.Pattern(3 * 536, 5);
        var header = TcpFrames.Header(payload.Length, 7, 1000, TcpFrames.Ack | TcpFrames.Psh);
        PushTsoSkb(header, payload, Context(payload.Length) with { Mss = 536 });

        _nic.WriteTdt(_txRing.Tail);
        _nic.ProcessTx(_wire);

        var frames = _wire.Frames.ToArray();
        Assert.Equal(3, frames.Length);
        Assert.All(frames, f => Assert.Equal(TcpFrames.HeaderLength + 536, f.Length));
        Assert.Equal([0, 0, TcpFrames.Psh], frames.Select(f => (byte)(TcpFrames.Flags(f) & TcpFrames.Psh)).ToArray());
        Assert.All(frames, f => Assert.True(TcpFrames.TcpChecksumValid(f)));
    }

    [Fact]
    public void ProcessTx_OddPayloadLength_LastSegmentChecksumPadsTheOddByte()
    {
        var payload = Bytes.Pattern(1460 + 777, 9);
        PushTsoSkb(TcpFrames.Header(payload.Length, 1, 1, TcpFrames.Ack), payload, Context(payload.Length));

        _nic.WriteTdt(_txRing.Tail);
        _nic.ProcessTx(_wire);

        var frames = _wire.Frames.ToArray();
        Assert.Equal(2, frames.Length);
        Assert.Equal(TcpFrames.HeaderLength + 777, frames[1].Length);
        Assert.All(frames, f => Assert.True(TcpFrames.TcpChecksumValid(f)));
    }

    [Fact]
    public void ProcessTx_ContextWithRs_GetsDdAndItsSlotIsConsumed()
    {
        var payload = Bytes.Pattern(2000, 1);
        var context = Context(payload.Length) with { Command = Context(payload.Length).Command | TxContextCommand.Rs };
        PushTsoSkb(TcpFrames.Header(payload.Length, 1, 1, TcpFrames.Ack), payload, context);

        _nic.WriteTdt(_txRing.Tail);
        _nic.ProcessTx(_wire);

        Assert.Equal(TxDescriptorStatus.Dd, _txRing.ReadTx(0).Unwrap().Status);
        Assert.Equal(context, _nic.TsoContext!.Value with { Status = TxDescriptorStatus.None });
    }

    [Fact]
    public void ProcessTx_ContextThenLegacyFrame_LegacyFrameSentWhole()
    {
        _txRing.WriteTx(_txRing.Tail, Context(1000)).ThrowIfFailed();
        _txRing.Produce(1);
        var (_, pin) = PushLegacySkb(Bytes.Pattern(42, 1), Bytes.Pattern(1000, 2));

        _nic.WriteTdt(_txRing.Tail);
        var batch = _nic.ProcessTx(_wire);

        Assert.Equal(new TxBatch(1 + pin.Extents.Count, 1, 0), batch);
        Assert.Equal(1042, Assert.Single(_wire.Frames).Length);
        Assert.Equal(0, _nic.Counters.TsoFrames);
    }

    public static TheoryData<string> BadContexts() =>
    [
        "mss-zero", "mss-too-long-for-a-frame", "hdrlen-beyond-the-tcp-header", "paylen-disagrees", "not-ip", "not-tcp",
        "ip-version-6", "udp-header", "tucse-set", "no-context", "device-without-tso", "mixed-descriptor-formats",
    ];

    [Theory]
    [MemberData(nameof(BadContexts))]
    public void ProcessTx_BadTsoFrame_DroppedCountedDescriptorsCompletedNextFrameStillSent(string bad)
    {
        // Arrange
        if (bad == "device-without-tso")
        {
            _nic.Dispose();
            _nic = CreateNic(new VirtualNicOptions { Tso = false });
        }

        const int payloadLength = 4000;
        var payload = Bytes.Pattern(payloadLength, 4);
        var header = bad switch
        {
            "ip-version-6" => TcpFrames.Header(payloadLength, 1, 1, TcpFrames.Ack, ipVersion: 6),
            "udp-header" => TcpFrames.Header(payloadLength, 1, 1, TcpFrames.Ack, ipProtocol: 17),
            _ => TcpFrames.Header(payloadLength, 1, 1, TcpFrames.Ack),
        };
        var good = Context(payloadLength);
        TcpIpContextTxDescriptor? context = bad switch
        {
            "mss-zero" => good with { Mss = 0 },
            "mss-too-long-for-a-frame" => good with { Mss = 9000 },
            "hdrlen-beyond-the-tcp-header" => good with { HeaderLength = 200, PayloadLength = TcpFrames.HeaderLength + payloadLength - 200 },
            "paylen-disagrees" => good with { PayloadLength = payloadLength + 1 },
            "not-ip" => good with { Command = good.Command & ~TxContextCommand.Ip },
            "not-tcp" => good with { Command = good.Command & ~TxContextCommand.Tcp },
            "tucse-set" => good with { TcpChecksumEnd = 100 },
            "no-context" => null,
            _ => good,
        };
        var (_, pin) = PushTsoSkb(header, payload, context, mixFormats: bad == "mixed-descriptor-formats");
        int lastSlot = _txRing.Tail - 1;
        var (_, follower) = PushLegacySkb(Bytes.Pattern(42, 1), Bytes.Pattern(100, 2));

        // Act
        _nic.WriteTdt(_txRing.Tail);
        var batch = _nic.ProcessTx(_wire);

        // Assert: the TSO frame is gone without a byte on the wire, its descriptors are done with EC, the ring moved on.
        int contextSlots = context is null ? 0 : 1;
        Assert.Equal(new TxBatch(contextSlots + pin.Extents.Count + follower.Extents.Count, 1, 1), batch);
        Assert.Equal(142, Assert.Single(_wire.Frames).Length);
        Assert.Equal(TxDescriptorStatus.Dd | TxDescriptorStatus.Ec, _txRing.ReadTx(lastSlot).Unwrap().Status);
        Assert.Equal(_txRing.Tail, _nic.Tdh);
        var counters = _nic.Counters;
        Assert.Equal(1, counters.TxErrors);
        Assert.Equal(1, counters.FramesSent);
        Assert.Equal(0, counters.TsoFrames);
        Assert.Equal(0, counters.TsoSegments);
    }

    [Fact]
    public void TsoContext_AfterReset_IsForgotten()
    {
        var payload = Bytes.Pattern(2000, 1);
        PushTsoSkb(TcpFrames.Header(payload.Length, 1, 1, TcpFrames.Ack), payload, Context(payload.Length));
        _nic.WriteTdt(_txRing.Tail);
        _nic.ProcessTx(_wire);

        _nic.ResetTx();

        Assert.Null(_nic.TsoContext);
    }

    private static TcpIpContextTxDescriptor Context(int payloadLength) =>
        TcpIpContextTxDescriptor.ForTcpSegmentation(TcpFrames.Ipv4Offset, TcpFrames.TcpOffset, TcpFrames.HeaderLength, payloadLength, Mss);

    private VirtualNic CreateNic(VirtualNicOptions options)
    {
        var nic = new VirtualNic(_memory, options);
        nic.ConfigureTx(_txRing.Extents, _txRing.Count);
        nic.EnableInterrupts(InterruptCause.All);
        return nic;
    }

    /// <summary>
    /// Header node + payload node merged into an skb, pinned, and described the way the driver does it:
    /// the context (unless null), then one TSE data descriptor per extent, POPTS on the first, EOP | RS on the last.
    /// </summary>
    private (Capability Skb, DmaPin Pin) PushTsoSkb(byte[] header, byte[] payload, TcpIpContextTxDescriptor? context, bool mixFormats = false)
    {
        var (skb, pin) = PushAndPin(header, payload);
        if (context is { } loaded)
        {
            _txRing.WriteTx(_txRing.Tail, loaded).ThrowIfFailed();
            _txRing.Produce(1);
        }

        for (var i = 0; i < pin.Extents.Count; i++)
        {
            var last = i == pin.Extents.Count - 1;
            var extent = pin.Extents[i];
            if (mixFormats && last)
            {
                _txRing.WriteTx(_txRing.Tail, LegacyTxDescriptor.ForBuffer(extent.Address, (ushort)extent.Length, TxCommand.Eop | TxCommand.Rs | TxCommand.Ifcs)).ThrowIfFailed();
            }
            else
            {
                var command = TxDataCommand.Tse | TxDataCommand.Ifcs | (last ? TxDataCommand.Eop | TxDataCommand.Rs : TxDataCommand.None);
                var options = i == 0 ? TxPacketOptions.Ixsm | TxPacketOptions.Txsm : TxPacketOptions.None;
                _txRing.WriteTx(_txRing.Tail, TcpIpDataTxDescriptor.ForBuffer(extent.Address, extent.Length, command, options)).ThrowIfFailed();
            }

            _txRing.Produce(1);
        }

        if (mixFormats)
        {
            Assert.True(pin.Extents.Count > 1, "the mixed-format case needs two extents");
        }

        return (skb, pin);
    }

    private (Capability Skb, DmaPin Pin) PushLegacySkb(byte[] header, byte[] payload)
    {
        var (skb, pin) = PushAndPin(header, payload);
        for (var i = 0; i < pin.Extents.Count; i++)
        {
            var last = i == pin.Extents.Count - 1;
            var command = TxCommand.Ifcs | (last ? TxCommand.Eop | TxCommand.Rs : TxCommand.None);
            _txRing.WriteTx(_txRing.Tail, LegacyTxDescriptor.ForBuffer(pin.Extents[i].Address, (ushort)pin.Extents[i].Length, command)).ThrowIfFailed();
            _txRing.Produce(1);
        }

        return (skb, pin);
    }

    private (Capability Skb, DmaPin Pin) PushAndPin(byte[] header, byte[] payload)
    {
        var head = _memory.Push(_driver, "hdr", header.Length).Unwrap();
        _memory.Write(_driver, head, 0, header, CopyKind.Header).ThrowIfFailed();
        var body = _memory.Push(_driver, "payload", payload.Length).Unwrap();
        _memory.Write(_driver, body, 0, payload, CopyKind.Payload).ThrowIfFailed();
        var skb = _memory.Merge(_driver, head, body, "skb").Unwrap();
        return (skb, _memory.Pin(_driver, skb).Unwrap());
    }
}
