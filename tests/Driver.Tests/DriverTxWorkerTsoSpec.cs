using Edsos.Driver.Device;
using Edsos.Driver.Ring;
using Edsos.Driver.Tests.Support;
using Edsos.Driver.Wires;
using Edsos.Memory;
using Akka.Actor;
using Edsos.Scheduler;
using static Edsos.Driver.DriverProtocol;

namespace Edsos.Driver.Tests;

/// <summary>The driver's side of TSO: an skb with a <see cref="TxOffload"/> becomes a context descriptor plus TSE data descriptors, completes once, or is refused.</summary>
public sealed class DriverTxWorkerTsoSpec : DriverSpecBase
{
    private static readonly TxOffload s_offload = new(1460, TcpFrames.Ipv4Offset, TcpFrames.TcpOffset, TcpFrames.HeaderLength);

    [Fact]
    public async Task Xmit_OffloadSkb_NicCutsItIntoFramesAndTheSkbCompletesOnce()
    {
        // Arrange
        var wire = new CapturingWire();
        var nic = await StartAsync(Small("nic"), wire);
        const int payloadLength = 20_000;
        var payload = Bytes.Pattern(payloadLength, 2);
        var skb = Skbs.Build(nic.DriverTs, TcpFrames.Header(payloadLength, 100, 5000, TcpFrames.Ack | TcpFrames.Psh), payload, "tso");

        // Act
        nic.TxWorker.Tell(new XmitSkbEvent(Skb: skb.Capability, Length: skb.Length, Token: 1, ReplyTo: TestActor, Offload: s_offload), TestActor);

        // Assert: one completion for the whole skb, 14 frames of at most 1514 bytes on the wire.
        var completion = ExpectMsg<SendCompleteEvent>();
        Assert.Equal(new SendCompleteEvent(1, skb.Length, TxStatus.Sent, 31), completion);
        ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        var frames = wire.Frames.ToArray();
        Assert.Equal((payloadLength + 1459) / 1460, frames.Length);
        Assert.All(frames, f => Assert.True(f.Length <= 1514 && TcpFrames.TcpChecksumValid(f) && TcpFrames.Ipv4ChecksumValid(f)));
        Assert.Equal(payload, frames.SelectMany(f => f.Skip(TcpFrames.HeaderLength)).ToArray());
        var stats = await NicDriver.GetStatisticsAsync(nic, Long);
        Assert.Equal(frames.Length, stats.FramesSent);
        Assert.Equal(1, stats.TsoFrames);
        Assert.Equal(frames.Length, stats.TsoSegments);
        Assert.Equal(0, stats.TxRingInUse);
        await NicDriver.StopAsync(Sys, nic, Long);
        AssertNoLeak();
    }

    [Fact]
    public async Task Xmit_OffloadSkb_ContextDescriptorThenTseDataDescriptorsOverTheUsersOwnPages()
    {
        var nic = await StartAsync(Small("nic"), new NullWire());
        var skb = Skbs.Build(nic.DriverTs, TcpFrames.Header(3000, 1, 1, TcpFrames.Ack), Bytes.Pattern(3000, 2), "tso");

        nic.TxWorker.Tell(new XmitSkbEvent(Skb: skb.Capability, Length: skb.Length, Token: 1, ReplyTo: TestActor, Offload: s_offload), TestActor);
        ExpectMsg<SendCompleteEvent>(m => m.Status == TxStatus.Sent);

        var registers = await nic.Device.Ask<VirtualNicProtocol.DeviceRegisters>(new VirtualNicProtocol.GetRegisters(), Long);
        var slots = Memory.Backing.Slice(registers.Tdba, 48);
        Assert.Equal(TxDescriptorKind.Context, TxDescriptorLayout.Classify(slots[..16]));
        var context = TcpIpContextTxDescriptor.Read(slots[..16]);
        Assert.Equal(TcpIpContextTxDescriptor.ForTcpSegmentation(14, 34, 54, 3000, 1460), context);
        var header = TcpIpDataTxDescriptor.Read(slots.Slice(16, 16));
        var payload = TcpIpDataTxDescriptor.Read(slots.Slice(32, 16));
        Assert.Equal(TxDescriptorKind.Data, TxDescriptorLayout.Classify(slots.Slice(16, 16)));
        Assert.Equal(skb.HeaderExtents[0].Address, header.BufferAddress);
        Assert.Equal(54, header.Length);
        Assert.Equal(TxDataCommand.Dext | TxDataCommand.Tse | TxDataCommand.Ifcs, header.Command);
        Assert.Equal(TxPacketOptions.Ixsm | TxPacketOptions.Txsm, header.Options);
        Assert.Equal(skb.PayloadExtents[0].Address, payload.BufferAddress);
        Assert.Equal(3000, payload.Length);
        Assert.Equal(TxDataCommand.Dext | TxDataCommand.Tse | TxDataCommand.Ifcs | TxDataCommand.Eop | TxDataCommand.Rs, payload.Command);
        Assert.Equal(TxDescriptorStatus.Dd, payload.Status);
        Assert.Equal(3, registers.Tdh);
        await NicDriver.StopAsync(Sys, nic, Long);
        AssertNoLeak();
    }

    [Fact]
    public async Task Xmit_OffloadWithTsoDisabled_RepliesOffloadUnsupportedSendsNothingPopsTheSkb()
    {
        var wire = new CapturingWire();
        var nic = await StartAsync(Small("nic") with { Tso = false }, wire);
        var skb = Skbs.Build(nic.DriverTs, TcpFrames.Header(5000, 1, 1, TcpFrames.Ack), Bytes.Pattern(5000, 2), "no-tso");

        nic.TxWorker.Tell(new XmitSkbEvent(Skb: skb.Capability, Length: skb.Length, Token: 4, ReplyTo: TestActor, Offload: s_offload), TestActor);

        var refused = ExpectMsg<SendCompleteEvent>();
        Assert.Equal(new SendCompleteEvent(4, skb.Length, TxStatus.OffloadUnsupported, 31), refused);
        Assert.Empty(wire.Frames);
        Assert.Equal(MemoryError.Stale, Memory.Inspect(nic.DriverTs, skb.Capability).Error);
        var stats = await NicDriver.GetStatisticsAsync(nic, Long);
        Assert.Equal(1, stats.TxDropped);
        Assert.Equal(0, stats.FramesSent);
        await NicDriver.StopAsync(Sys, nic, Long);
        AssertNoLeak();
    }

    public static TheoryData<string> BadOffloads() => ["mss-zero", "header-longer-than-the-skb", "tcp-before-ip-end", "mss-frame-too-long", "payload-over-64k"];

    [Theory]
    [MemberData(nameof(BadOffloads))]
    public async Task Xmit_OffloadThatDoesNotFitTheSkb_RepliesMalformedAndPops(string bad)
    {
        var wire = new CapturingWire();
        var nic = await StartAsync(Small("nic"), wire);
        int payloadLength = bad switch
        {
            "payload-over-64k" => 65_600,
            "header-longer-than-the-skb" => 100,
            _ => 2000,
        };
        var skb = Skbs.Build(nic.DriverTs, TcpFrames.Header(payloadLength, 1, 1, TcpFrames.Ack), Bytes.Pattern(payloadLength, 2), "bad");
        var offload = bad switch
        {
            "mss-zero" => s_offload with { Mss = 0 },
            "header-longer-than-the-skb" => s_offload with { HeaderLength = 200 },
            "tcp-before-ip-end" => s_offload with { TransportOffset = 20 },
            "mss-frame-too-long" => s_offload with { Mss = 9000 },
            _ => s_offload,
        };

        nic.TxWorker.Tell(new XmitSkbEvent(Skb: skb.Capability, Length: skb.Length, Token: 5, ReplyTo: TestActor, Offload: offload), TestActor);

        Assert.Equal(TxStatus.Malformed, ExpectMsg<SendCompleteEvent>().Status);
        Assert.Empty(wire.Frames);
        await NicDriver.StopAsync(Sys, nic, Long);
        AssertNoLeak();
    }
}
