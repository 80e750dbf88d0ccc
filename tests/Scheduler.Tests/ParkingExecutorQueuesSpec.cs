using System.Collections.Concurrent;
using Akka.Actor;

namespace Edsos.Scheduler.Tests;

/// <summary>
/// A run queue per thread (<see cref="ParkingExecutorSettings.QueuePerThread"/>): each queue's runs run on its own
/// thread, a queue whose thread is blocked waits for it unless a spare thread takes over, and the actor systems sharing
/// the executor are bound one to each queue.
/// </summary>
public sealed class ParkingExecutorQueuesSpec
{
    private static ParkingExecutorSettings TwoQueues(int maxThreads = 0) => new()
    {
        Threads = 2,
        QueuePerThread = true,
        MaxThreads = maxThreads,
        BlockedAfter = TimeSpan.FromMilliseconds(20),
        SpareLease = TimeSpan.FromMilliseconds(50),
    };

    [Fact]
    public void Queues_OnePerThread_OrOne()
    {
        var own = new ParkingExecutor("queues", TwoQueues(), null);
        var one = new ParkingExecutor("queues", TwoQueues() with { QueuePerThread = false }, null);
        try
        {
            Assert.Equal(2, own.Queues);
            Assert.Equal(1, one.Queues);
            Assert.Throws<ArgumentOutOfRangeException>(() => own.Execute(new ActionRun(() => { }), 2));
            Assert.Throws<ArgumentOutOfRangeException>(() => one.Execute(new ActionRun(() => { }), 1));
        }
        finally
        {
            own.Shutdown();
            one.Shutdown();
        }
    }

    [Fact]
    public async Task EachQueuesRuns_RunOnItsOwnThread_WhoeverQueuesThem()
    {
        var executor = new ParkingExecutor("queues", TwoQueues(), null);
        try
        {
            const int Runs = 2_000;
            var threads = new ConcurrentDictionary<(int Queue, string Thread), int>();
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            void Step(int k)
            {
                threads.AddOrUpdate((k % 2, Thread.CurrentThread.Name ?? "?"), 1, (_, n) => n + 1);
                if (k == Runs)
                {
                    done.SetResult();
                    return;
                }

                // Each run queues the next on the other queue, as a frame goes from one host to the other in an echo.
                executor.Execute(new ActionRun(() => Step(k + 1)), (k + 1) % 2);
            }

            executor.Execute(new ActionRun(() => Step(0)), 0);
            await done.Task.WaitAsync(TimeSpan.FromSeconds(20));

            string Seen() => string.Join(", ", threads.Select(p => $"{p.Key}={p.Value}"));
            Assert.True(threads.Count == 2, Seen());
            Assert.True(threads.ContainsKey((0, "edsrt-0 queues")), Seen());
            Assert.True(threads.ContainsKey((1, "edsrt-1 queues")), Seen());
        }
        finally
        {
            executor.Shutdown();
        }
    }

    [Theory]
    [InlineData(0, false)]
    [InlineData(4, true)]
    public async Task AQueueWhoseThreadIsBlocked_GoesOnOnlyWithASpare_TheOtherThreadLeavesIt(int maxThreads, bool goesOn)
    {
        var executor = new ParkingExecutor("queues", TwoQueues(maxThreads), null);
        using var release = new ManualResetEventSlim();
        try
        {
            // Queue 0's thread waits synchronously, like an app blocking on its syscall; queue 1's thread is idle.
            executor.Execute(new ActionRun(() => release.Wait(TimeSpan.FromSeconds(30))), 0);
            var ran = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
            executor.Execute(new ActionRun(() => ran.SetResult(Thread.CurrentThread.Name ?? "?")), 0);

            var finished = await Task.WhenAny(ran.Task, Task.Delay(TimeSpan.FromSeconds(goesOn ? 10 : 1)));

            Assert.Equal(goesOn, finished == ran.Task);
            release.Set();
            string thread = await ran.Task.WaitAsync(TimeSpan.FromSeconds(10));
            if (goesOn)
            {
                Assert.StartsWith("edsrt-spare-", thread, StringComparison.Ordinal);
            }
            else
            {
                // Not queue 1's idle thread: the run waited for its own.
                Assert.Equal("edsrt-0 queues", thread);
            }
        }
        finally
        {
            release.Set();
            executor.Shutdown();
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(3)]
    public async Task TwoSystemsOnASharedExecutor_AreBoundOneToEachQueue(int unboundRunsBetween)
    {
        // Runs queued from outside the executor between the two systems' starts (timers, thread-pool continuations do
        // that) take the queues in turn by a counter of their own: they must not move the second system's binding.
        string key = $"queues-{Guid.NewGuid():N}";
        var a = Edsrt.Create("queues-a", new EdsrtOptions { ExtraConfig = Config(key) });
        var shared = await a.ActorOf(Props.Create(() => new ExecutorTeller())).Ask<ParkingExecutor>("which", TimeSpan.FromSeconds(10));
        using (var ran = new CountdownEvent(unboundRunsBetween))
        {
            for (int i = 0; i < unboundRunsBetween; i++)
            {
                shared.Execute(new ActionRun(() => ran.Signal()));
            }

            Assert.True(ran.Wait(TimeSpan.FromSeconds(10)));
        }

        var b = Edsrt.Create("queues-b", new EdsrtOptions { ExtraConfig = Config(key) });
        try
        {
            var inA = a.ActorOf(Props.Create(() => new Meeter()));
            var inB = b.ActorOf(Props.Create(() => new Meeter()));
            var namesA = new HashSet<string>();
            var namesB = new HashSet<string>();
            for (int round = 0; round < 20; round++)
            {
                // Both actors wait for each other inside their turns: the two systems' runs run at once.
                using var meet = new Barrier(2);
                var fromA = inA.Ask<string>(meet, TimeSpan.FromSeconds(10));
                var fromB = inB.Ask<string>(meet, TimeSpan.FromSeconds(10));
                namesA.Add(await fromA);
                namesB.Add(await fromB);
            }

            Assert.Single(namesA);
            Assert.Single(namesB);
            Assert.NotEqual(namesA.Single(), namesB.Single());
            Assert.All(namesA.Concat(namesB), n => Assert.EndsWith($"shared {key}", n, StringComparison.Ordinal));
        }
        finally
        {
            await a.Terminate();
            await b.Terminate();
        }
    }

    private static string Config(string key) => $$"""
        akka.actor.default-dispatcher {
          type = Dispatcher
          executor = "Edsos.Scheduler.SharedParkingExecutorConfigurator, Edsos.Scheduler"
          shared-executor { thread-count = 2, queue-per-thread = on, shared = {{key}}, max-threads = 0 }
        }
        """;

    private sealed class ExecutorTeller : ReceiveActor
    {
        public ExecutorTeller() => Receive<string>(_ => Sender.Tell(ParkingExecutor.Current!));
    }

    private sealed class Meeter : ReceiveActor
    {
        public Meeter() => Receive<Barrier>(meet => Sender.Tell(meet.SignalAndWait(TimeSpan.FromSeconds(5)) ? Thread.CurrentThread.Name ?? "?" : "timed out"));
    }
}
