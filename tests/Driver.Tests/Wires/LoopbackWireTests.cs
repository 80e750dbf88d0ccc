using System.Buffers;
using Edsos.Driver.Wires;

namespace Edsos.Driver.Tests.Wires;

public sealed class LoopbackWireTests
{
    [Fact]
    public void Transmit_OnPair_DeliversACopyToThePeerOnly()
    {
        var (a, b) = LoopbackWire.CreatePair();
        var atA = new Recorder();
        var atB = new Recorder();
        a.Attach(atA);
        b.Attach(atB);
        var frame = new byte[] { 1, 2, 3 };

        a.Transmit(frame);
        frame[0] = 9;

        Assert.Empty(atA.Frames);
        Assert.Equal(new byte[] { 1, 2, 3 }, Assert.Single(atB.Frames));
        Assert.Equal(new WireCounters(1, 3, 1, 0), a.Counters);
    }

    [Fact]
    public void Transmit_SelfLoop_ComesBackToTheSender()
    {
        var wire = LoopbackWire.CreateSelf();
        var receiver = new Recorder();
        wire.Attach(receiver);

        wire.Transmit(new byte[] { 7 });

        Assert.Single(receiver.Frames);
    }

    [Fact]
    public void Transmit_NoReceiverOrDropEveryNth_CountsDrops()
    {
        var (a, b) = LoopbackWire.CreatePair();
        a.Transmit(new byte[] { 1 });
        var receiver = new Recorder();
        b.Attach(receiver);
        a.DropEveryNth = 2;

        a.Transmit(new byte[] { 2 });
        a.Transmit(new byte[] { 3 });
        b.Detach(receiver);
        a.Transmit(new byte[] { 4 });

        Assert.Equal(new byte[] { 3 }, Assert.Single(receiver.Frames));
        Assert.Equal(new WireCounters(4, 4, 1, 3), a.Counters);
    }

    [Fact]
    public void Transmit_NullWire_CountsAndDiscards()
    {
        var wire = new NullWire();

        wire.Transmit(new byte[60]);
        wire.Transmit(new byte[40]);

        Assert.Equal(2, wire.Counters.FramesTransmitted);
        Assert.Equal(100, wire.Counters.BytesTransmitted);
    }

    [Fact]
    public void TransmitOwned_OnPair_HandsThePeerTheBufferItself()
    {
        var (a, b) = LoopbackWire.CreatePair();
        var atB = new OwnedRecorder();
        b.Attach(atB);
        var buffer = ArrayPool<byte>.Shared.Rent(100);
        buffer[0] = 5;

        a.TransmitOwned(buffer, 100);

        var (received, length) = Assert.Single(atB.Buffers);
        Assert.Same(buffer, received);
        Assert.Equal(100, length);
        Assert.Equal(new WireCounters(1, 100, 1, 0), a.Counters);
    }

    [Fact]
    public void TransmitOwned_ToAReceiverWithoutOwnedFrames_DeliversTheBytes()
    {
        var (a, b) = LoopbackWire.CreatePair();
        var atB = new Recorder();
        b.Attach(atB);
        var buffer = ArrayPool<byte>.Shared.Rent(3);
        new byte[] { 4, 5, 6 }.CopyTo(buffer, 0);

        a.TransmitOwned(buffer, 3);

        Assert.Equal(new byte[] { 4, 5, 6 }, Assert.Single(atB.Frames));
    }

    [Fact]
    public void TransmitOwned_DropEveryNth_CountsTheDropAndDeliversNothing()
    {
        var (a, b) = LoopbackWire.CreatePair();
        var atB = new OwnedRecorder();
        b.Attach(atB);
        a.DropEveryNth = 1;

        a.TransmitOwned(ArrayPool<byte>.Shared.Rent(10), 10);

        Assert.Empty(atB.Buffers);
        Assert.Equal(new WireCounters(1, 10, 0, 1), a.Counters);
    }

    private sealed class OwnedRecorder : IWireReceiver
    {
        public List<(byte[] Buffer, int Length)> Buffers { get; } = [];

        public void OnFrame(ReadOnlySpan<byte> frame) => throw new InvalidOperationException("an owned frame was copied");

        public void OnFrameOwned(byte[] buffer, int length) => Buffers.Add((buffer, length));
    }

    private sealed class Recorder : IWireReceiver
    {
        public List<byte[]> Frames { get; } = [];

        public void OnFrame(ReadOnlySpan<byte> frame) => Frames.Add(frame.ToArray());
    }
}
