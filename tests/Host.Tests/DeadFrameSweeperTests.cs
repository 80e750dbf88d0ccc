using Akka.Actor;
using Edsos.Driver;
using Edsos.Host.Cluster;
using Edsos.Memory;
using Edsos.Scheduler;
using Edsos.Scheduler.Tracing;

namespace Edsos.Host.Tests;

/// <summary>
/// The net process's sweeper of late frames: a frame the driver shared into the stack's receive TS that reaches a
/// receive worker already stopped (bare, or in its trace carrier as it crosses processes) lands in the dead letters;
/// the sweeper releases it there exactly once, so the receive TS ends empty and the driver's own node is untouched.
/// A real runtime, real dead letters, a real arena.
/// </summary>
public sealed class DeadFrameSweeperTests
{
    [Fact]
    public async Task FrameToAStoppedWorker_BareOrTraced_ReleasedFromTheReceiveTsOnce()
    {
        using var memory = new MemoryManager(256);
        var system = Edsrt.Create("sweep", new EdsrtOptions { Memory = memory });
        try
        {
            var driverTs = memory.CreateTs("/drivers/net/eth0").Unwrap();
            var rxTs = memory.CreateTs("/net/ipv4/rx").Unwrap();
            var buffer = memory.Push(driverTs, "rx_buffer", 2048).Unwrap();
            var gva = memory.Inspect(driverTs, buffer).Unwrap().Gva;
            var first = memory.CtShare(driverTs, buffer, gva, 1078, rxTs, "eth0_rx_1", Rights.Read | Rights.Share | Rights.Map).Unwrap();
            var second = memory.CtShare(driverTs, buffer, gva, 60, rxTs, "eth0_rx_2", Rights.Read | Rights.Share | Rights.Map).Unwrap();
            Assert.Equal(2, memory.GetLeakReport(rxTs).Nodes.Count);

            int swept = 0;
            var sweeper = system.ActorOf(Props.Create(() => new DeadFrameSweeper(memory, rxTs, n => Volatile.Write(ref swept, n))), DeadFrameSweeper.Name);
            // The sweeper subscribes in PreStart, which runs before it answers any message: once it has answered,
            // it hears the dead letters (in the net process it starts long before the stack can stop).
            await sweeper.Ask<ActorIdentity>(new Identify(1), TimeSpan.FromSeconds(5));
            var worker = system.ActorOf(Props.Create(() => new Silent()), "rx-worker");
            var gone = await worker.GracefulStop(TimeSpan.FromSeconds(5));
            Assert.True(gone);

            // A third kind of dead letter is none of the sweeper's business.
            worker.Tell("not a frame");
            worker.Tell(new DriverProtocol.FrameReceivedEvent(first, 1078));
            worker.Tell(Traced.Wrap(new DriverProtocol.FrameReceivedEvent(second, 60), default));

            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
            while (memory.GetLeakReport(rxTs).Nodes.Count > 0 && DateTime.UtcNow < deadline)
            {
                await Task.Delay(20);
            }

            Assert.Empty(memory.GetLeakReport(rxTs).Nodes);
            Assert.Equal(2, Volatile.Read(ref swept));
            Assert.Equal(0L, memory.DoubleReleaseCount);

            // The driver's buffer is still the driver's: one node, released by its owner.
            Assert.Single(memory.GetLeakReport(driverTs).Nodes);
            memory.Release(driverTs, buffer);
            Assert.Empty(memory.GetLeakReport().Nodes);
        }
        finally
        {
            await system.Terminate();
        }
    }

    private sealed class Silent : ReceiveActor
    {
        public Silent() => ReceiveAny(_ => { });
    }
}
