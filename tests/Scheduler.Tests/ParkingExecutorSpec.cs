using System.Collections.Concurrent;
using Akka.Actor;
using Akka.Dispatch;

namespace Edsos.Scheduler.Tests;

/// <summary>The parking executor runs every run once, on its own threads, and wakes a parked worker.</summary>
public sealed class ParkingExecutorSpec
{
    [Fact]
    public async Task Execute_FromManyThreads_RunsEveryRunOnceOnTheExecutorsThreads()
    {
        var executor = new ParkingExecutor("spec", threads: 2, spin: 0);
        try
        {
            const int perProducer = 5_000;
            int ran = 0;
            var threads = new ConcurrentDictionary<string, bool>();
            var all = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var producers = Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
            {
                for (int i = 0; i < perProducer; i++)
                {
                    executor.Execute(new ActionRun(() =>
                    {
                        threads.TryAdd(Thread.CurrentThread.Name ?? "?", true);
                        if (Interlocked.Increment(ref ran) == 4 * perProducer)
                        {
                            all.SetResult();
                        }
                    }));
                }
            })).ToArray();
            await Task.WhenAll(producers);

            await all.Task.WaitAsync(TimeSpan.FromSeconds(20));
            await Task.Delay(100);
            Assert.Equal(4 * perProducer, Volatile.Read(ref ran));
            Assert.All(threads.Keys, name => Assert.StartsWith("edsrt-", name, StringComparison.Ordinal));
        }
        finally
        {
            executor.Shutdown();
        }
    }

    [Fact]
    public async Task Execute_AfterTheWorkersParked_WakesOne()
    {
        var executor = new ParkingExecutor("spec", threads: 1, spin: 0);
        try
        {
            for (int round = 0; round < 20; round++)
            {
                var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                await Task.Delay(round % 4 == 0 ? 50 : 1);

                executor.Execute(new ActionRun(done.SetResult));

                await done.Task.WaitAsync(TimeSpan.FromSeconds(5));
            }
        }
        finally
        {
            executor.Shutdown();
        }
    }

    [Fact]
    public async Task EdsrtSystem_WithTheParkingExecutor_RunsActorsOnItsThreads()
    {
        var system = Edsrt.Create("parking", new EdsrtOptions
        {
            ExtraConfig = """
                akka.actor.default-dispatcher {
                  type = Dispatcher
                  executor = "Edsos.Scheduler.ParkingExecutorConfigurator, Edsos.Scheduler"
                  parking-executor { thread-count = 1, spin = 0 }
                }
                """,
        });
        try
        {
            var echo = system.ActorOf(Props.Create<ThreadReporter>());

            string thread = await echo.Ask<string>("which", TimeSpan.FromSeconds(10));

            Assert.StartsWith("edsrt-0", thread, StringComparison.Ordinal);
        }
        finally
        {
            await system.Terminate();
        }
    }

    private sealed class ActionRun(Action action) : IRunnable
    {
        public void Run() => action();

        public void Execute() => action();
    }

    private sealed class ThreadReporter : EdsrtActor
    {
        public ThreadReporter()
        {
            Receive<string>(_ => Sender.Tell(Thread.CurrentThread.Name ?? "?"));
        }
    }
}
