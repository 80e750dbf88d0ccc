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

    private sealed class Recorder : IWireReceiver
    {
        public List<byte[]> Frames { get; } = [];

        public void OnFrame(ReadOnlySpan<byte> frame) => Frames.Add(frame.ToArray());
    }
}
