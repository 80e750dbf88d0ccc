using System.Diagnostics;
using Edsos.Driver.Tests.Support;
using Edsos.Driver.Wires;
using static Edsos.Driver.DriverProtocol;

namespace Edsos.Driver.Tests;

public sealed class PcapCaptureSpec : DriverSpecBase
{
    [Fact]
    public async Task Xmit_BothWaysThroughMirroredNic_PcapHoldsEveryFrameByteExact()
    {
        var path = Path.Combine(Path.GetTempPath(), $"edsos-driver-{Guid.NewGuid():N}.pcap");
        try
        {
            var (wireA, wireB) = LoopbackWire.CreatePair();
            var writer = new PcapWriter(File.Create(path));
            var a = await StartAsync(Small("nic_a"), new PcapMirrorWire(wireA, writer));
            var b = await StartAsync(Small("nic_b"), wireB);
            var atA = CreateTestProbe("at-a");
            var atB = CreateTestProbe("at-b");
            a.RxWorker.Tell(new AttachRx(atA, Skbs.HandlerTs));
            b.RxWorker.Tell(new AttachRx(atB, Skbs.HandlerTs));

            var out1 = Send(a, Bytes.Pattern(42, 1), Bytes.Pattern(100, 2), 1, TestActor);
            var fromA = atB.ExpectMsg<FrameReceivedEvent>();
            var back = Send(b, Bytes.Pattern(42, 3), Bytes.Pattern(60, 4), 2, TestActor);
            var fromB = atA.ExpectMsg<FrameReceivedEvent>();
            Skbs.ReadAndPop(fromA.Frame, fromA.Length);
            Skbs.ReadAndPop(fromB.Frame, fromB.Length);
            ReceiveN(2);
            await NicDriver.StopAsync(Sys, a, Long);
            await NicDriver.StopAsync(Sys, b, Long);
            writer.Dispose();

            using (var reader = new PcapReader(File.OpenRead(path)))
            {
                Assert.Equal(1u, reader.LinkType);
                Assert.True(reader.TryReadNext(out var first));
                Assert.True(reader.TryReadNext(out var second));
                Assert.False(reader.TryReadNext(out _));
                Assert.Equal(out1.Bytes, first!.Data);
                Assert.Equal(back.Bytes, second!.Data);
            }

            AssertTsharkReads(path, expectedFrames: 2);
            AssertNoLeak();
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static void AssertTsharkReads(string path, int expectedFrames)
    {
        if (!File.Exists("/usr/bin/tshark"))
        {
            Console.WriteLine("tshark not installed: skipping the tshark cross-check of the capture");
            return;
        }

        var start = new ProcessStartInfo("/usr/bin/tshark", ["-r", path, "-T", "fields", "-e", "frame.len"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var tshark = Process.Start(start)!;
        var output = tshark.StandardOutput.ReadToEnd();
        tshark.StandardError.ReadToEnd();
        Assert.True(tshark.WaitForExit(60_000), "tshark did not finish");
        Assert.Equal(0, tshark.ExitCode);
        Assert.Equal(["142", "102"], output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        Assert.Equal(expectedFrames, output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }
}
