using Edsos.SocketService;
using Edsos.Kpn;
using Edsos.Driver;
using Edsos.Host.Faults;
using Edsos.Protocol;
using Edsos.Scheduler.Faults;

namespace Edsos.Scenarios.Tests.Faults;

/// <summary>
/// Faults on a TCP stream between two real hosts, run by <see cref="TcpFaultScenario"/>: the client app
/// streams to a reading server while its TS exits, its socket is closed, the driver crashes or a DMA read
/// fails; on the receive duals the server's side fails as it reads. TCP holds references to the app's
/// pages for retransmission, so a lift must cut them off (no byte of a lifted page on the wire afterwards,
/// the peer told by a reset or a FIN), while device faults are repaired by retransmission (every byte
/// arrives). Both hosts are stopped and nothing may leak.
/// </summary>
public sealed class TcpFaultSpec
{
    public static TheoryData<string> ExitPoints() => new() { KpnFaultPoints.KpnShare.Name, SocketFaultPoints.SocketQueue.Name, StackFaultPoints.SkbMerge.Name, StackFaultPoints.Qdisc.Name, DriverFaultPoints.Completion.Name };

    public static TheoryData<string> AllFaults()
    {
        var data = new TheoryData<string>();
        foreach (var pair in FaultCatalog.Supported)
        {
            data.Add(pair.ToString());
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(AllFaults))]
    public async Task Run_EverySupportedFaultOverTcp_SystemBehavesAsDesigned(string fault)
    {
        // Arrange
        Assert.True(FaultCatalog.TryParse(fault, out var parsed, out var error), error);
        var receiving = parsed.Point.IsReceive;

        // Act
        var run = await TcpFaultScenario.RunAsync(new TcpFaultScenarioOptions { Fault = parsed });

        // Assert
        Assert.True(run.Ok, $"{fault}:\n  " + string.Join("\n  ", run.Violations));
        Assert.True(run.FaultFired, $"{fault} never fired");
        Assert.Equal(receiving ? "server" : "client", run.Victim);
        Assert.DoesNotContain(run.SyscallResults.Keys, k => k.EndsWith(" none", StringComparison.Ordinal));
        Assert.Equal(0, run.FramesFromLiftedPages);
        Assert.Equal(run.BystanderRounds, run.BystanderOk);
        Assert.True(run.BystanderRounds >= 3, $"only {run.BystanderRounds} bystander rounds");
        Assert.True(run.StreamIntact, "the server read bytes out of place");
        AssertPrefixOfStream(run.Received.Span);
        Assert.True(run.LeakA.IsClean, "host A: " + run.LeakA);
        Assert.True(run.LeakB.IsClean, "host B: " + run.LeakB);
        Assert.Equal(0, run.LeakedPages + run.LeakedNodes + run.LeakedPins);
        switch (parsed.Kind)
        {
            case FaultKind.TsExit or FaultKind.SocketClose:
                Assert.Equal(parsed.Kind == FaultKind.TsExit, run.VictimExited);
                Assert.True(run.Received.Length < run.StreamBytes, "every byte arrived although the stream was cut mid-way");
                if (parsed.Point == StackFaultPoints.ArpParked)
                {
                    Assert.Equal(0, run.Received.Length);
                }
                else if (parsed.Kind == FaultKind.TsExit && !receiving)
                {
                    Assert.NotEmpty(run.LiftedCtrns);
                    Assert.Contains(run.SendResults, r => r != Errno.None);
                }

                break;
            default:
                Assert.All(run.SendResults, r => Assert.Equal(Errno.None, r));
                Assert.Equal(Errno.None, run.ReaderEnd);
                Assert.Equal(run.StreamBytes, run.Received.Length);
                break;
        }

        if (parsed.Kind == FaultKind.DmaFail)
        {
            Assert.True(run.Retransmits > 0, "the lost segment was not retransmitted");
        }

        if (parsed.Kind == FaultKind.DriverCrash)
        {
            var crash = Assert.Single(run.Failures);
            Assert.IsType<InjectedFaultException>(crash.Exception);
        }
        else
        {
            Assert.Empty(run.Failures);
        }
    }

    [Fact]
    public async Task Run_NoFault_WholeStreamArrivesAndNothingLeaks()
    {
        var run = await TcpFaultScenario.RunAsync(new TcpFaultScenarioOptions());

        Assert.True(run.Ok, string.Join("\n", run.Violations));
        Assert.False(run.FaultFired);
        Assert.Equal(run.StreamBytes, run.Received.Length);
        Assert.Equal(run.Syscalls, run.SyscallResults.Where(r => r.Key.EndsWith(" ok", StringComparison.Ordinal)).Sum(r => r.Value));
    }

    [Theory]
    [MemberData(nameof(ExitPoints))]
    public async Task TsExit_MidStream_PeerGetsAPrefixThenTheEndAndNothingLeaks(string pointName)
    {
        var point = FaultCatalog.Point(pointName);
        var run = await RunAsync(FaultKind.TsExit, point);

        Assert.True(run.Connected, "connect failed");

        Assert.True(run.FaultFired, $"ts-exit@{point.Name} never fired");
        Assert.True(run.VictimExited, "the client's TS did not exit");
        // The exiting process's sends end as the scenario's checks allow (TcpFaultScenario.CheckResults): EINTR or EBADF
        // from its KPN's stop, EFAULT or EIO from a call that raced the lift, the reset or EPIPE, or ECONNABORTED when
        // the lift reached TCP's queued payload before the KPN stopped (seen once in a CI run at "completion").
        Assert.All(run.SendResults, r => Assert.True(r is Errno.None or Errno.EINTR or Errno.EBADF or Errno.EFAULT or Errno.EIO or Errno.ECONNRESET or Errno.EPIPE or Errno.ECONNABORTED, $"send ended with {r}"));
        Assert.Contains(run.SendResults, r => r != Errno.None);
        Assert.True(run.ReaderEnd is Errno.None or Errno.ECONNRESET, $"the server's stream ended with {run.ReaderEnd}");
        AssertPrefixOfStream(run.Received.Span);
        Assert.True(run.Received.Length < run.StreamBytes, "every byte arrived although the sender exited mid-stream");
        Assert.Equal(0, run.FramesFromLiftedPages);
        Assert.Empty(run.Failures);
        Assert.True(run.LeakA.IsClean, "host A: " + run.LeakA);
        Assert.True(run.LeakB.IsClean, "host B: " + run.LeakB);
        Assert.True(run.Ok, string.Join("\n", run.Violations));
    }

    [Fact]
    public async Task SocketClose_MidSend_SendEndsBadFileAndPeerSeesTheEnd()
    {
        var run = await RunAsync(FaultKind.SocketClose, SocketFaultPoints.SocketQueue);

        Assert.True(run.Connected, "connect failed");

        Assert.True(run.FaultFired);
        Assert.All(run.SendResults, r => Assert.True(r is Errno.None or Errno.EBADF or Errno.EPIPE or Errno.ECONNRESET, $"send ended with {r}"));
        Assert.Contains(Errno.EBADF, run.SendResults);
        Assert.True(run.ReaderEnd is Errno.None or Errno.ECONNRESET, $"the server's stream ended with {run.ReaderEnd}");
        AssertPrefixOfStream(run.Received.Span);
        Assert.Empty(run.Failures);
        Assert.True(run.LeakA.IsClean, "host A: " + run.LeakA);
        Assert.True(run.LeakB.IsClean, "host B: " + run.LeakB);
        Assert.True(run.Ok, string.Join("\n", run.Violations));
    }

    [Theory]
    [InlineData(FaultKind.DmaFail, "dma")]
    [InlineData(FaultKind.DriverCrash, "completion")]
    [InlineData(FaultKind.RingFull, "descriptors-posted")]
    [InlineData(FaultKind.QdiscFull, "qdisc")]
    public async Task DeviceFault_MidStream_RetransmissionDeliversEveryByte(FaultKind kind, string pointName)
    {
        var point = FaultCatalog.Point(pointName);
        var run = await RunAsync(kind, point);

        Assert.True(run.Connected, "connect failed");

        Assert.True(run.FaultFired, $"{kind}@{point} never fired");
        Assert.All(run.SendResults, r => Assert.Equal(Errno.None, r));
        Assert.Equal(Errno.None, run.ReaderEnd);
        Assert.Equal(run.StreamBytes, run.Received.Length);
        AssertPrefixOfStream(run.Received.Span);
        if (kind != FaultKind.DriverCrash)
        {
            // A driver crash completes every in-flight frame from the NIC's write-back: nothing to repair.
            Assert.True(run.Retransmits > 0, "the lost segment was not retransmitted");
        }
        Assert.All(run.Failures, f => Assert.IsType<InjectedFaultException>(f.Exception));
        Assert.Equal(kind == FaultKind.DriverCrash ? 1 : 0, run.Failures.Count);
        Assert.True(run.LeakA.IsClean, "host A: " + run.LeakA);
        Assert.True(run.LeakB.IsClean, "host B: " + run.LeakB);
        Assert.True(run.Ok, string.Join("\n", run.Violations));
    }

    private static void AssertPrefixOfStream(ReadOnlySpan<byte> received)
    {
        for (int i = 0; i < received.Length; i++)
        {
            if (received[i] != TcpFaultScenario.StreamByte(i))
            {
                Assert.Fail($"byte {i} of the stream is 0x{received[i]:x2}, expected 0x{TcpFaultScenario.StreamByte(i):x2}");
            }
        }
    }

    /// <summary>The spec's stream: four writes of 128 KiB, the fault after two hits of its point.</summary>
    private static Task<TcpFaultScenarioResult> RunAsync(FaultKind kind, FaultPoint point) =>
        TcpFaultScenario.RunAsync(new TcpFaultScenarioOptions { Fault = new FaultSpecName(kind, point), Writes = 4, WriteSize = 128 * 1024, FaultAfterHits = 2 });
}
