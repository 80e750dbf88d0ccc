using System.Collections.Concurrent;
using System.Diagnostics;
using Akka.Dispatch;

namespace Edsos.Scheduler.Tests;

/// <summary>
/// The parking executor's spare threads: a run that blocks its thread does not stop the queue, a backlog brings a
/// second thread in, a serial chain of runs does not, and once the work is done the spares and the watchdog go quiet.
/// </summary>
public sealed class ParkingExecutorSparesSpec
{
    private static ParkingExecutorSettings OneThread(int maxThreads, int saturatedMs = 0) => new()
    {
        Threads = 1,
        SpinTime = TimeSpan.FromMicroseconds(200),
        YieldWhileSpinning = true,
        MaxThreads = maxThreads,
        BlockedAfter = TimeSpan.FromMilliseconds(20),
        SaturatedAfter = TimeSpan.FromMilliseconds(saturatedMs),
        SpareLease = TimeSpan.FromMilliseconds(50),
    };

    [Theory]
    [InlineData(4, true)]
    [InlineData(0, false)]
    public async Task ARunThatBlocksItsThread_TheQueueGoesOnOnlyWithSpares(int maxThreads, bool goesOn)
    {
        var executor = new ParkingExecutor("spares", OneThread(maxThreads), null);
        using var release = new ManualResetEventSlim();
        try
        {
            // Like an app waiting synchronously on its syscall on the stack's only thread.
            executor.Execute(new ActionRun(() => release.Wait(TimeSpan.FromSeconds(30))));
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            int ran = 0;
            for (int i = 0; i < 100; i++)
            {
                executor.Execute(new ActionRun(() =>
                {
                    if (Interlocked.Increment(ref ran) == 100)
                    {
                        done.SetResult();
                    }
                }));
            }

            var finished = await Task.WhenAny(done.Task, Task.Delay(TimeSpan.FromSeconds(goesOn ? 10 : 1)));
            Assert.Equal(goesOn, finished == done.Task);
            Assert.False(release.IsSet);
            Assert.Equal(goesOn ? 1 : 0, executor.SpareThreads);
            release.Set();
            await done.Task.WaitAsync(TimeSpan.FromSeconds(10));
        }
        finally
        {
            release.Set();
            executor.Shutdown();
        }
    }

    [Fact]
    public async Task TwoBlockedRuns_TwoSpares()
    {
        var executor = new ParkingExecutor("spares", OneThread(4), null);
        using var release = new ManualResetEventSlim();
        try
        {
            executor.Execute(new ActionRun(() => release.Wait(TimeSpan.FromSeconds(30))));
            await Until(() => executor.SpareThreads == 1, "a spare for the first blocked run");
            executor.Execute(new ActionRun(() => release.Wait(TimeSpan.FromSeconds(30))));
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            executor.Execute(new ActionRun(done.SetResult));

            await done.Task.WaitAsync(TimeSpan.FromSeconds(10));
            Assert.Equal(2, executor.SpareThreads);
        }
        finally
        {
            release.Set();
            executor.Shutdown();
        }
    }

    [Fact]
    public async Task AtTheCap_NoMoreSpares_AndWakesCountOnlyThoseMade()
    {
        var executor = new ParkingExecutor("spares", OneThread(2), null);
        using var release = new ManualResetEventSlim();
        try
        {
            executor.Execute(new ActionRun(() => release.Wait(TimeSpan.FromSeconds(30))));
            await Until(() => executor.SpareThreads == 1, "a spare for the first blocked run");
            executor.Execute(new ActionRun(() => release.Wait(TimeSpan.FromSeconds(30))));
            await Task.Delay(200);

            Assert.Equal(1, executor.SpareThreads);
            Assert.Equal(1, executor.BlockedWakes);
        }
        finally
        {
            release.Set();
            executor.Shutdown();
        }
    }

    [Fact]
    public async Task AfterTheBlockedRunReturns_SparesAndWatchdogGoQuiet()
    {
        var executor = new ParkingExecutor("spares", OneThread(4), null);
        using var release = new ManualResetEventSlim();
        try
        {
            executor.Execute(new ActionRun(() => release.Wait(TimeSpan.FromSeconds(30))));
            await Until(() => executor.ActiveSpares == 1, "a spare woken");
            release.Set();

            await Until(() => executor.ActiveSpares == 0, "the spare back to waiting for a lease");
            await Until(() => Quiet(executor), "the watchdog stopped ticking");

            // Work after the quiet wakes the core thread (and the watchdog), not a spare.
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            string? ranOn = null;
            executor.Execute(new ActionRun(() =>
            {
                ranOn = Thread.CurrentThread.Name;
                done.SetResult();
            }));
            await done.Task.WaitAsync(TimeSpan.FromSeconds(5));
            Assert.StartsWith("edsrt-0 ", ranOn, StringComparison.Ordinal);
        }
        finally
        {
            release.Set();
            executor.Shutdown();
        }
    }

    [Theory]
    [InlineData(5, true)]
    [InlineData(0, false)]
    public async Task ABacklog_BringsASecondThreadIn_OnlyWhenSaturationIsOn(int saturatedMs, bool secondThread)
    {
        // Blocked runs out of the picture: a 1 ms run preempted for a while on this shared machine must not count.
        var settings = OneThread(4, saturatedMs) with { BlockedAfter = TimeSpan.FromSeconds(5) };
        var executor = new ParkingExecutor("spares", settings, null);
        try
        {
            var threads = new ConcurrentDictionary<string, int>();
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            const int runs = 400;
            int ran = 0;
            for (int i = 0; i < runs; i++)
            {
                executor.Execute(new ActionRun(() =>
                {
                    threads.AddOrUpdate(Thread.CurrentThread.Name ?? "?", 1, (_, n) => n + 1);
                    Busy(TimeSpan.FromMilliseconds(1));
                    if (Interlocked.Increment(ref ran) == runs)
                    {
                        done.SetResult();
                    }
                }));
            }

            await done.Task.WaitAsync(TimeSpan.FromSeconds(30));
            if (secondThread && Environment.ProcessorCount < 2)
            {
                // One CPU: a second running thread would only take turns with the first.
                Assert.Single(threads);
                return;
            }

            Assert.True((secondThread ? 2 : 1) == threads.Count, string.Join(", ", threads.Select(t => $"{t.Key}: {t.Value}")));
            Assert.True(executor.SpareThreads <= Math.Max(0, Environment.ProcessorCount - 1), $"{executor.SpareThreads} spares for {Environment.ProcessorCount} CPUs");
        }
        finally
        {
            executor.Shutdown();
        }
    }

    [Fact]
    public async Task ASerialChain_EachRunQueueingTheNext_StaysOnOneThread()
    {
        var settings = OneThread(4, saturatedMs: 5) with { BlockedAfter = TimeSpan.FromSeconds(5) };
        var executor = new ParkingExecutor("spares", settings, null);
        try
        {
            // An echo's shape: every run queues the next, so the queue is never deeper than one, for 300 ms.
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var threads = new ConcurrentDictionary<string, bool>();
            var until = Stopwatch.GetTimestamp() + Stopwatch.Frequency * 3 / 10;
            ChainRun? first = null;
            first = new ChainRun(() =>
            {
                threads.TryAdd(Thread.CurrentThread.Name ?? "?", true);
                if (Stopwatch.GetTimestamp() >= until)
                {
                    done.SetResult();
                    return false;
                }

                executor.Execute(first!);
                return true;
            });
            executor.Execute(first);

            await done.Task.WaitAsync(TimeSpan.FromSeconds(10));
            Assert.Single(threads);
            Assert.Equal(0, executor.SpareThreads);
        }
        finally
        {
            executor.Shutdown();
        }
    }

    [Fact]
    public async Task WithoutSpares_NoWatchdog()
    {
        var executor = new ParkingExecutor("spares", OneThread(1), null);
        try
        {
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            executor.Execute(new ActionRun(done.SetResult));
            await done.Task.WaitAsync(TimeSpan.FromSeconds(5));
            Assert.Equal(0, executor.WatchdogTicks);
        }
        finally
        {
            executor.Shutdown();
        }
    }

    [Fact]
    public void MaxThreadsFromHocon_AndTheDefaults()
    {
        var section = Akka.Configuration.ConfigurationFactory.ParseString(
            "thread-count = 1, max-threads = 8, blocked-after-ms = 30, saturated-after-ms = 4, spare-lease-ms = 70");
        var settings = ParkingExecutorConfigurator.Read(section);
        Assert.Equal(8, settings.MaxThreads);
        Assert.Equal(TimeSpan.FromMilliseconds(30), settings.BlockedAfter);
        Assert.Equal(TimeSpan.FromMilliseconds(4), settings.SaturatedAfter);
        Assert.Equal(TimeSpan.FromMilliseconds(70), settings.SpareLease);

        var defaults = ParkingExecutorConfigurator.Read(Akka.Configuration.ConfigurationFactory.ParseString("thread-count = 1"));
        Assert.Equal(0, defaults.MaxThreads);
        Assert.Equal(TimeSpan.FromMilliseconds(50), defaults.BlockedAfter);
        Assert.Equal(TimeSpan.Zero, defaults.SaturatedAfter);
    }

    private static bool Quiet(ParkingExecutor executor)
    {
        long before = executor.WatchdogTicks;
        Thread.Sleep(200);
        return executor.WatchdogTicks == before;
    }

    private static async Task Until(Func<bool> condition, string what)
    {
        var deadline = Stopwatch.GetTimestamp() + Stopwatch.Frequency * 10;
        while (!condition())
        {
            if (Stopwatch.GetTimestamp() > deadline)
            {
                Assert.Fail($"not within 10 s: {what}");
            }

            await Task.Delay(5);
        }
    }

    private static void Busy(TimeSpan time)
    {
        long until = Stopwatch.GetTimestamp() + (long)(time.TotalSeconds * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < until)
        {
            Thread.SpinWait(10);
        }
    }

    private sealed class ChainRun(Func<bool> step) : IRunnable
    {
        public void Run() => step();

        public void Execute() => step();
    }
}
