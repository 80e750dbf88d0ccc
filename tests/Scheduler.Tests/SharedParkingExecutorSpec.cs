using Akka.Actor;
using Akka.Dispatch;

namespace Edsos.Scheduler.Tests;

/// <summary>
/// The parking executor's settings beyond the thread count: one executor shared by the actor systems of a process
/// (still running for one after another stopped), and the timed spin, pausing or yielding, before a worker parks.
/// </summary>
public sealed class SharedParkingExecutorSpec
{
    [Fact]
    public async Task TwoSystems_SharingOneExecutor_RunOnOneThread_WhichOutlivesTheFirst()
    {
        string key = $"spec-{Guid.NewGuid():N}";
        var a = Edsrt.Create("shared-a", new EdsrtOptions { ExtraConfig = Config(key) });
        var b = Edsrt.Create("shared-b", new EdsrtOptions { ExtraConfig = Config(key) });
        try
        {
            var inA = a.ActorOf(Props.Create<ThreadReporter>());
            var inB = b.ActorOf(Props.Create<ThreadReporter>());

            var thread = await inA.Ask<Thread>("which", TimeSpan.FromSeconds(10));
            var threadOfB = await inB.Ask<Thread>("which", TimeSpan.FromSeconds(10));

            Assert.Same(thread, threadOfB);
            Assert.Equal($"edsrt-0 shared {key}", thread.Name);

            await a.Terminate();
            Assert.Same(thread, await inB.Ask<Thread>("which", TimeSpan.FromSeconds(10)));
            Assert.True(thread.IsAlive);
        }
        finally
        {
            await a.Terminate();
            await b.Terminate();
        }
    }

    [Theory]
    [InlineData(0, false)]
    [InlineData(300, false)]
    [InlineData(300, true)]
    public async Task Execute_WhileTheWorkerSpinsOrAfterItParked_RunsEveryRun(int spinMicroseconds, bool yieldWhileSpinning)
    {
        var executor = new ParkingExecutor("spec", new ParkingExecutorSettings
        {
            Threads = 1,
            SpinTime = TimeSpan.FromMicroseconds(spinMicroseconds),
            YieldWhileSpinning = yieldWhileSpinning,
        }, null);
        try
        {
            var random = new Random(7);
            for (int round = 0; round < 200; round++)
            {
                // Gaps inside the spin, about its length, and well past it (the worker parked).
                int gap = random.Next(4) switch { 0 => 0, 1 => spinMicroseconds / 2, 2 => spinMicroseconds, _ => 2_000 };
                var until = TimeSpan.FromMicroseconds(gap);
                var clock = System.Diagnostics.Stopwatch.StartNew();
                while (clock.Elapsed < until)
                {
                    Thread.SpinWait(10);
                }

                var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                executor.Execute(new ActionRun(done.SetResult));
                await done.Task.WaitAsync(TimeSpan.FromSeconds(5));
            }
        }
        finally
        {
            executor.Shutdown();
        }
    }

    private static string Config(string key) => $$"""
        akka.actor.default-dispatcher {
          type = Dispatcher
          executor = "Edsos.Scheduler.ParkingExecutorConfigurator, Edsos.Scheduler"
          parking-executor { thread-count = 1, spin-us = 50, spin-yield = on, shared = {{key}} }
        }
        """;

    private sealed class ThreadReporter : ReceiveActor
    {
        public ThreadReporter() => Receive<string>(_ => Sender.Tell(Thread.CurrentThread));
    }
}
