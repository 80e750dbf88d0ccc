using Edsos.Driver.Wires;

namespace Edsos.Driver.Tests.Wires;

public sealed class PcapMirrorWireTests
{
    private static readonly DateTimeOffset s_time = new(2024, 5, 1, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Transmit_MirroredPairEnd_CapturesBothDirectionsInOrder()
    {
        var stream = new MemoryStream();
        var (a, b) = LoopbackWire.CreatePair();
        using var writer = new PcapWriter(stream, leaveOpen: true);
        var mirror = new PcapMirrorWire(a, writer, new FixedTime(s_time));
        var atA = new Sink();
        var atB = new Sink();
        mirror.Attach(atA);
        b.Attach(atB);

        mirror.Transmit(new byte[] { 1, 2, 3 });
        b.Transmit(new byte[] { 4, 5 });
        writer.Flush();

        stream.Position = 0;
        using var reader = new PcapReader(stream);
        Assert.True(reader.TryReadNext(out var first));
        Assert.True(reader.TryReadNext(out var second));
        Assert.False(reader.TryReadNext(out _));
        Assert.Equal(new byte[] { 1, 2, 3 }, first!.Data);
        Assert.Equal(new byte[] { 4, 5 }, second!.Data);
        Assert.Equal(s_time, first.Timestamp);
        Assert.Equal(1, atA.Count);
        Assert.Equal(1, atB.Count);
        Assert.Equal(2, mirror.FramesCaptured);
    }

    [Fact]
    public void Transmit_WriterDisposed_FrameStillDeliveredAndCountedUncaptured()
    {
        var (a, b) = LoopbackWire.CreatePair();
        var writer = new PcapWriter(new MemoryStream());
        var mirror = new PcapMirrorWire(a, writer);
        var atB = new Sink();
        b.Attach(atB);
        writer.Dispose();

        mirror.Transmit(new byte[] { 1 });

        Assert.Equal(1, atB.Count);
        Assert.Equal(1, mirror.FramesNotCaptured);
    }

    private sealed class Sink : IWireReceiver
    {
        public int Count { get; private set; }

        public void OnFrame(ReadOnlySpan<byte> frame) => Count++;
    }

    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
