using Edsos.Driver.Device;
using Edsos.Driver.Ring;
using Edsos.Driver.Tests.Support;
using Edsos.Memory;

namespace Edsos.Driver.Tests.Device;

/// <summary>The device's side of <see cref="VirtualNicOptions.LargeFrames"/> on receive: a frame longer than one buffer fills consecutive ones.</summary>
public sealed class VirtualNicLargeFrameTests : IDisposable
{
    private readonly MemoryManager _memory = new(128);
    private readonly TsId _driver;
    private readonly DescriptorRing _rxRing;
    private readonly VirtualNic _nic;

    public VirtualNicLargeFrameTests()
    {
        _driver = _memory.CreateTs("/drivers/net/e1000").Unwrap();
        _rxRing = DescriptorRing.Create(_memory, _driver, "rx_ring", 16).Unwrap();
        _nic = new VirtualNic(_memory, new VirtualNicOptions { LargeFrames = true });
        _nic.ConfigureRx(_rxRing.Extents, _rxRing.Count);
        _nic.EnableInterrupts(InterruptCause.All);
    }

    public void Dispose()
    {
        _nic.Dispose();
        _memory.Dispose();
    }

    [Fact]
    public void Receive_FrameLongerThanABuffer_FillsConsecutiveBuffersDdOnEachEopOnTheLastOnly()
    {
        var buffers = new[] { PostRxBuffer(), PostRxBuffer(), PostRxBuffer(), PostRxBuffer() };
        var frame = Bytes.Pattern(5000, 7);

        var outcome = _nic.Receive(frame);

        Assert.Equal(RxOutcome.Delivered, outcome);
        Assert.Equal(3, _nic.Rdh);
        var lengths = new[] { 2048, 2048, 904 };
        var joined = new List<byte>();
        for (var i = 0; i < 3; i++)
        {
            var done = _rxRing.ReadRx(i).Unwrap();
            Assert.Equal(i == 2 ? RxDescriptorStatus.Dd | RxDescriptorStatus.Eop : RxDescriptorStatus.Dd, done.Status);
            Assert.Equal((ushort)lengths[i], done.Length);
            var read = new byte[lengths[i]];
            _memory.Read(_driver, buffers[i], 0, read, CopyKind.Payload).ThrowIfFailed();
            joined.AddRange(read);
        }

        Assert.Equal(frame, joined.ToArray());
        Assert.Equal(RxDescriptorStatus.None, _rxRing.ReadRx(3).Unwrap().Status & RxDescriptorStatus.Dd);
        Assert.Equal(1, _nic.Counters.FramesReceived);
        Assert.Equal(InterruptCause.RxTimer, _nic.TakeInterrupts());
    }

    [Fact]
    public void Receive_FrameWhoseBuffersWrapAroundTheRingsEnd_FillsThemInRingOrder()
    {
        // Move RDH to slot 14: fourteen one-buffer frames, their slots reclaimed and reposted.
        for (var i = 0; i < 14; i++)
        {
            PostRxBuffer();
            Assert.Equal(RxOutcome.Delivered, _nic.Receive(new byte[60]));
            _rxRing.Reclaim(1);
        }

        var buffers = new[] { PostRxBuffer(), PostRxBuffer(), PostRxBuffer() };
        var frame = Bytes.Pattern(5000, 3);

        Assert.Equal(RxOutcome.Delivered, _nic.Receive(frame));

        Assert.Equal(1, _nic.Rdh);
        var joined = new List<byte>();
        var slots = new[] { 14, 15, 0 };
        for (var i = 0; i < 3; i++)
        {
            var done = _rxRing.ReadRx(slots[i]).Unwrap();
            Assert.Equal(i == 2 ? RxDescriptorStatus.Dd | RxDescriptorStatus.Eop : RxDescriptorStatus.Dd, done.Status);
            var read = new byte[done.Length];
            _memory.Read(_driver, buffers[i], 0, read, CopyKind.Payload).ThrowIfFailed();
            joined.AddRange(read);
        }

        Assert.Equal(frame, joined.ToArray());
    }

    [Fact]
    public void Receive_FrameAcrossBuffersBackToBack_WrittenByteExactIntoEach()
    {
        // One node of four buffers, posted in address order (as the driver posts a block): the device writes runs of
        // adjacent buffers in one burst, each descriptor still with its own length.
        var block = _memory.Push(_driver, "rx_block", 4 * 2048).Unwrap();
        var pin = _memory.Pin(_driver, block).Unwrap();
        var addresses = new List<ulong>();
        foreach (var extent in pin.Extents)
        {
            for (var offset = 0; offset + 2048 <= extent.Length; offset += 2048)
            {
                addresses.Add(extent.Address + (ulong)offset);
            }
        }

        foreach (var address in addresses)
        {
            _rxRing.WriteRx(_rxRing.Tail, LegacyRxDescriptor.Posted(address)).ThrowIfFailed();
            _rxRing.Produce(1);
        }

        _nic.WriteRdt(_rxRing.Tail);
        var frame = Bytes.Pattern(7000, 5);

        Assert.Equal(RxOutcome.Delivered, _nic.Receive(frame));

        var lengths = new[] { 2048, 2048, 2048, 856 };
        for (var i = 0; i < 4; i++)
        {
            Assert.Equal((ushort)lengths[i], _rxRing.ReadRx(i).Unwrap().Length);
        }

        var written = new byte[7000];
        _memory.Read(_driver, block, 0, written, CopyKind.Payload).ThrowIfFailed();
        Assert.Equal(frame, written);
    }

    [Fact]
    public void Receive_LargeFrameWithTooFewBuffersPosted_MissedWholeWithoutUsingAny()
    {
        PostRxBuffer();
        PostRxBuffer();

        var outcome = _nic.Receive(new byte[5000]);

        Assert.Equal(RxOutcome.Missed, outcome);
        Assert.Equal(0, _nic.Rdh);
        Assert.Equal(1, _nic.Counters.RxMissed);
        Assert.Equal(RxOutcome.Delivered, _nic.Receive(new byte[4000]));
        Assert.Equal(2, _nic.Rdh);
    }

    [Fact]
    public void Receive_LongerThanTheLargestIpv4Frame_TooLong()
    {
        for (var i = 0; i < 15; i++)
        {
            PostRxBuffer();
        }

        Assert.Equal(RxOutcome.TooLong, _nic.Receive(new byte[VirtualNicOptions.MaxLargeFrameLength + 1]));
        Assert.Equal(0, _nic.Rdh);
    }

    private Capability PostRxBuffer()
    {
        var buffer = _memory.Push(_driver, "rx_buf", 2048).Unwrap();
        var pin = _memory.Pin(_driver, buffer).Unwrap();
        _rxRing.WriteRx(_rxRing.Tail, LegacyRxDescriptor.Posted(pin.Extents[0].Address)).ThrowIfFailed();
        _rxRing.Produce(1);
        _nic.WriteRdt(_rxRing.Tail);
        return buffer;
    }
}
