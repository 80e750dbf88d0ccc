using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Edsos.Driver.Wires;

namespace Edsos.Driver.Tests.Wires;

/// <summary>
/// The cross-process wire, two ends in this process (the kernel cannot tell: each end is its own
/// socket). The process tests of <c>edsos cluster demo</c> run it between two processes.
/// </summary>
public sealed class UdpWireTests
{
    [Fact]
    public void Transmit_Pair_DeliversEveryFrameInOrderToThePeerOnly()
    {
        int portA = FreeUdpPort();
        int portB = FreeUdpPort();
        using var aEnd = new UdpWire(portA, portB);
        using var b = new UdpWire(portB, portA);
        var atA = new Recorder();
        var atB = new Recorder();
        aEnd.Attach(atA);
        b.Attach(atB);

        const int frames = 2000;
        byte[] frame = new byte[1514];
        for (int i = 0; i < frames; i++)
        {
            BitConverter.TryWriteBytes(frame, i);
            frame[^1] = (byte)i;
            aEnd.Transmit(frame);
            frame[0] = 0xFF; // the wire is done with the bytes once Transmit returns
            if (i % 64 == 63)
            {
                Thread.Sleep(1); // a NIC's pace, not a flood: loopback drops what rmem cannot hold
            }
        }

        Assert.True(atB.WaitFor(frames, TimeSpan.FromSeconds(20)), $"only {atB.Frames.Count} of {frames} frames arrived");
        var received = atB.Frames.ToArray();
        for (int i = 0; i < frames; i++)
        {
            Assert.Equal(1514, received[i].Length);
            Assert.Equal(i, BitConverter.ToInt32(received[i]));
            Assert.Equal((byte)i, received[i][^1]);
        }

        Assert.Empty(atA.Frames);
        Assert.Equal(new WireCounters(frames, frames * 1514L, frames, 0), aEnd.Counters);
        Assert.Equal(frames, b.FramesReceived);
    }

    [Fact]
    public void Transmit_BothDirections_EachEndGetsTheOthersFrames()
    {
        int portA = FreeUdpPort();
        int portB = FreeUdpPort();
        using var a = new UdpWire(portA, portB);
        using var b = new UdpWire(portB, portA);
        var atA = new Recorder();
        var atB = new Recorder();
        a.Attach(atA);
        b.Attach(atB);

        a.Transmit(new byte[] { 1, 2, 3 });
        b.Transmit(new byte[] { 4, 5 });

        Assert.True(atB.WaitFor(1, TimeSpan.FromSeconds(5)));
        Assert.True(atA.WaitFor(1, TimeSpan.FromSeconds(5)));
        Assert.Equal(new byte[] { 1, 2, 3 }, Assert.Single(atB.Frames));
        Assert.Equal(new byte[] { 4, 5 }, Assert.Single(atA.Frames));
    }

    [Fact]
    public void Transmit_NoPeerThenPeerComesBack_CountsLossesAndDeliversAgain()
    {
        int portA = FreeUdpPort();
        int portB = FreeUdpPort();
        using var a = new UdpWire(portA, portB);
        for (int i = 0; i < 5; i++)
        {
            a.Transmit(new byte[] { (byte)i });
            Thread.Sleep(5);
        }

        // Nobody on portB: the frames are gone, and the sender was never failed.
        Assert.Equal(5, a.Counters.FramesTransmitted);

        using var b = new UdpWire(portB, portA);
        var atB = new Recorder();
        b.Attach(atB);
        var watch = Stopwatch.StartNew();
        while (atB.Frames.IsEmpty && watch.Elapsed < TimeSpan.FromSeconds(5))
        {
            a.Transmit(new byte[] { 42 });
            Thread.Sleep(10);
        }

        Assert.Equal(42, atB.Frames.First()[0]);
        Assert.True(a.Counters.FramesDropped <= a.Counters.FramesTransmitted);
    }

    [Fact]
    public void PcapMirror_OverUdpWire_CapturesBothDirections()
    {
        int portA = FreeUdpPort();
        int portB = FreeUdpPort();
        using var a = new UdpWire(portA, portB);
        using var b = new UdpWire(portB, portA);
        using var stream = new MemoryStream();
        var writer = new PcapWriter(stream);
        var mirror = new PcapMirrorWire(a, writer);
        var atA = new Recorder();
        var atB = new Recorder();
        mirror.Attach(atA);
        b.Attach(atB);

        mirror.Transmit(new byte[60]);
        Assert.True(atB.WaitFor(1, TimeSpan.FromSeconds(5)));
        b.Transmit(new byte[64]);
        Assert.True(atA.WaitFor(1, TimeSpan.FromSeconds(5)));

        Assert.Equal(2, mirror.FramesCaptured);
    }

    [Fact]
    public void Transmit_UnderASpan_ReceiverTellsInTheSendersTrace()
    {
        int portA = FreeUdpPort();
        int portB = FreeUdpPort();
        using var a = new UdpWire(portA, portB);
        using var b = new UdpWire(portB, portA);
        var seen = new ConcurrentQueue<ActivityContext>();
        b.Attach(new ContextRecorder(seen));
        using var span = new Activity("sendto").SetIdFormat(ActivityIdFormat.W3C).Start();
        span.ActivityTraceFlags = ActivityTraceFlags.Recorded;

        a.Transmit(new byte[60]);
        span.Stop();
        Activity.Current = null;
        a.Transmit(new byte[60]);

        var watch = Stopwatch.StartNew();
        while (seen.Count < 2 && watch.Elapsed < TimeSpan.FromSeconds(5))
        {
            Thread.Sleep(5);
        }

        var contexts = seen.ToArray();
        Assert.Equal(2, contexts.Length);
        Assert.Equal(span.TraceId, contexts[0].TraceId);
        Assert.Equal(span.SpanId, contexts[0].SpanId);
        Assert.True(contexts[0].IsRemote);
        Assert.Equal(default, contexts[1]);
    }

    [Fact]
    public void Dispose_EndsTheReaderAndLaterTransmitsAreDrops()
    {
        var a = new UdpWire(0, FreeUdpPort());
        a.Dispose();
        a.Transmit(new byte[10]);
        a.Dispose();

        Assert.Equal(1, a.Counters.FramesDropped);
    }

    [Fact]
    public void Constructor_PortInUse_Throws()
    {
        using var a = new UdpWire(0, FreeUdpPort());

        Assert.Throws<SocketException>(() => new UdpWire(a.LocalPort, 9));
    }

    /// <summary>A UDP port free on 127.0.0.1 a moment ago (the kernel's pick for port 0).</summary>
    internal static int FreeUdpPort()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }

    private sealed class ContextRecorder(ConcurrentQueue<ActivityContext> seen) : IWireReceiver
    {
        public void OnFrame(ReadOnlySpan<byte> frame) => seen.Enqueue(Edsos.Scheduler.Tracing.TracingMessageQueue.Capture());
    }

    private sealed class Recorder : IWireReceiver
    {
        public ConcurrentQueue<byte[]> Frames { get; } = new();

        public void OnFrame(ReadOnlySpan<byte> frame) => Frames.Enqueue(frame.ToArray());

        public bool WaitFor(int count, TimeSpan timeout)
        {
            var watch = Stopwatch.StartNew();
            while (Frames.Count < count && watch.Elapsed < timeout)
            {
                Thread.Sleep(5);
            }

            return Frames.Count >= count;
        }
    }
}
