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

    [Fact]
    public async Task IdleWait_TheIdleThreadWaitsOnIt_WokenByExecute_PolledAfterEachWaitAndWhileBusy()
    {
        var executor = new ParkingExecutor("spec", threads: 1, spin: 0);
        var idle = new CountingIdleWait();
        try
        {
            executor.IdleWait = idle;
            await idle.WaitingAsync();
            for (int round = 0; round < 20; round++)
            {
                var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                executor.Execute(new ActionRun(done.SetResult));
                await done.Task.WaitAsync(TimeSpan.FromSeconds(5));
                await idle.WaitingAsync();
            }

            Assert.True(idle.Wakes >= 20, $"{idle.Wakes} wakes for 20 runs queued while the thread waited");
            Assert.True(idle.Polls >= 20, $"{idle.Polls} polls after 20 waits");

            // A queue that does not empty is polled every PollEvery runs, without a wait.
            int pollsBefore = idle.Polls;
            var burst = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            int left = 10 * ParkingExecutor.PollEvery;
            var gate = new ManualResetEventSlim();
            executor.Execute(new ActionRun(() => gate.Wait()));
            for (int i = 0; i < 10 * ParkingExecutor.PollEvery; i++)
            {
                executor.Execute(new ActionRun(() =>
                {
                    if (--left == 0)
                    {
                        burst.SetResult();
                    }
                }));
            }

            gate.Set();
            await burst.Task.WaitAsync(TimeSpan.FromSeconds(5));
            Assert.True(idle.Polls - pollsBefore >= 10, $"{idle.Polls - pollsBefore} polls over {10 * ParkingExecutor.PollEvery} back-to-back runs");
            var two = new ParkingExecutor("two", threads: 2, spin: 0);
            Assert.Throws<InvalidOperationException>(() => two.IdleWait = idle);
            two.Shutdown();
        }
        finally
        {
            executor.Shutdown();
        }
    }

    /// <summary>An idle wait on a semaphore, counting what the executor asks of it.</summary>
    private sealed class CountingIdleWait : IIdleWait
    {
        private readonly SemaphoreSlim _wake = new(0);
        private int _waiting;
        private int _wakes;
        private int _polls;

        public int Wakes => Volatile.Read(ref _wakes);

        public int Polls => Volatile.Read(ref _polls);

        public void Wait()
        {
            Volatile.Write(ref _waiting, 1);
            _wake.Wait(TimeSpan.FromSeconds(1));
            Volatile.Write(ref _waiting, 0);
        }

        public void Wake()
        {
            Interlocked.Increment(ref _wakes);
            _wake.Release();
        }

        public void Poll() => Interlocked.Increment(ref _polls);

        public async Task WaitingAsync()
        {
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(5);
            while (Volatile.Read(ref _waiting) == 0 && DateTime.UtcNow < deadline)
            {
                await Task.Delay(1);
            }

            Assert.Equal(1, Volatile.Read(ref _waiting));
        }
    }

    private sealed class ThreadReporter : EdsrtActor
    {
        public ThreadReporter()
        {
            Receive<string>(_ => Sender.Tell(Thread.CurrentThread.Name ?? "?"));
        }
    }
}
