using System.Diagnostics;
using Edsos.Memory.Shared;
using Edsos.Memory.SharedChild;

namespace Edsos.Memory.Tests.Shared;

/// <summary>
/// The arena's lock word (<c>ArenaLock</c>) when its holder is not this process: a dead holder's
/// half-made transaction is rolled back by the next locker, a reused pid does not pass for the
/// holder, and a live holder is waited for until the lock timeout. The holder is a real process
/// (<c>sleep</c>), killed or kept alive; the word and the undo log are left as a holder dying after
/// its last logged store and before its commit would leave them.
/// </summary>
[Collection("SharedArena")]
public sealed class ArenaLockTests : IDisposable
{
    private static readonly SharedArenaOptions s_options = new() { PageCount = 64, MaxNodes = 128, MaxTs = 64, MaxProcesses = 4, MaxPins = 16, LockTimeout = TimeSpan.FromMilliseconds(400) };

    private readonly string _path = Path.Combine(Path.GetTempPath(), $"edsos-lock-{Guid.NewGuid():N}.arena");

    public void Dispose() => File.Delete(_path);

    [Fact]
    public void DeadHolder_NextLockerRollsItsTransactionBack()
    {
        using var arena = SharedArena.Open(_path, s_options);
        var ts = arena.CreateTs(TsKind.User).Unwrap();
        var kept = arena.Push(ts, "kept", 4096).Unwrap();
        var pushed = arena.Push(ts, "pushed", 2 * 4096).Unwrap();
        int logged = arena.LastCommitEntries;
        var before = arena.GetStats();

        var (pid, start) = StartedSleeper(out var sleeper);
        sleeper.Kill();
        sleeper.WaitForExit();
        arena.AbandonLockForTests(pid, start, logged);

        // The next operation waits, finds the holder dead, takes the lock and undoes the push.
        var clock = Stopwatch.StartNew();
        Assert.Equal(MemoryError.Stale, arena.Check(ts, pushed, Rights.Read).Error);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"took {clock.Elapsed} to take over a dead holder's lock");
        var after = arena.GetStats();
        Assert.Equal(before.Recoveries + 1, after.Recoveries);
        Assert.Equal(before.UndoneWrites + logged, after.UndoneWrites);
        Assert.Equal(before.FreePages + 2, after.FreePages);
        Assert.Equal(before.LiveNodes - 1, after.LiveNodes);
        Assert.True(arena.Check(ts, kept, Rights.Read).IsOk);
        Assert.Empty(arena.CheckInvariants());
    }

    [Fact]
    public void ReusedPid_IsNotTheHolder_LockTakenOver()
    {
        using var arena = SharedArena.Open(_path, s_options);
        var ts = arena.CreateTs(TsKind.User).Unwrap();
        var before = arena.GetStats();

        // A live process, but not the one that locked: its start time differs.
        var (pid, start) = StartedSleeper(out var sleeper);
        try
        {
            arena.AbandonLockForTests(pid, start - 1, 0);
            Assert.True(arena.Push(ts, "after", 100).IsOk);
            Assert.Equal(before.Recoveries + 1, arena.GetStats().Recoveries);
        }
        finally
        {
            sleeper.Kill();
            sleeper.WaitForExit();
        }

        Assert.Empty(arena.CheckInvariants());
    }

    [Fact]
    public void LiveHolder_WaitedForUntilTheTimeout_ThenTakenOverOnceDead()
    {
        using var arena = SharedArena.Open(_path, s_options);
        var ts = arena.CreateTs(TsKind.User).Unwrap();
        var (pid, start) = StartedSleeper(out var sleeper);
        arena.AbandonLockForTests(pid, start, 0);

        var clock = Stopwatch.StartNew();
        Assert.Throws<TimeoutException>(() => arena.Push(ts, "blocked", 100));
        Assert.True(clock.Elapsed >= s_options.LockTimeout, $"gave up after {clock.Elapsed}");

        sleeper.Kill();
        sleeper.WaitForExit();
        Assert.True(arena.Push(ts, "after", 100).IsOk);
        Assert.Empty(arena.CheckInvariants());
    }

    [Fact]
    public void ContendedByThreads_EveryOperationSerialised()
    {
        using var arena = SharedArena.Open(_path, s_options);
        var ts = arena.CreateTs(TsKind.User).Unwrap();
        var other = arena.CreateTs(TsKind.User).Unwrap();
        var buffer = arena.Push(ts, "buf", 4096).Unwrap();
        long shared = 0;
        var workers = Enumerable.Range(0, 4).Select(_ => new Thread(() =>
        {
            for (int i = 0; i < 5000; i++)
            {
                var ctrn = arena.CtShare(ts, buffer, 0, 64, other, Rights.Read).Unwrap();
                arena.Pop(other, ctrn).ThrowIfFailed();
                Interlocked.Increment(ref shared);
            }
        })).ToArray();
        foreach (var worker in workers)
        {
            worker.Start();
        }

        foreach (var worker in workers)
        {
            worker.Join();
        }

        Assert.Equal(20_000, shared);
        Assert.Equal(0, arena.GetStats().Recoveries);

        // Every waiter that counted itself to sleep took its count back: unlocks no longer wake anyone.
        Assert.Equal(0, arena.LockSleepers);
        Assert.Equal(1, arena.GetStats().LiveNodes);
        Assert.Empty(arena.CheckInvariants());
    }

    [Fact]
    public void WaiterKilledWhileCounted_ReaperTakesItsCountBack()
    {
        string path = Path.Combine(Path.GetTempPath(), $"edsos-lock-child-{Guid.NewGuid():N}.arena");
        try
        {
            using var arena = SharedArena.Open(path, ChildGeometry.Options);
            using var child = ChildProcess.Start("bench", path, "1000000");
            child.WaitForLine("READY", TimeSpan.FromSeconds(30));
            var (pid, start) = StartedSleeper(out var sleeper);
            try
            {
                // A live holder the child must wait for: it spins, counts itself and sleeps.
                arena.AbandonLockForTests(pid, start, 0);
                child.SendLine("go");
                var clock = Stopwatch.StartNew();
                while (arena.LockSleepers == 0 && clock.Elapsed < TimeSpan.FromSeconds(20))
                {
                    Thread.Sleep(5);
                }

                Assert.Equal(1, arena.LockSleepers);
                child.Kill();
                Assert.Equal(1, arena.LockSleepers);
            }
            finally
            {
                sleeper.Kill();
                sleeper.WaitForExit();
            }

            // This process takes the dead sleeper's lock over; the reap of the child takes its count back.
            var reaped = arena.ReapDeadProcesses();
            Assert.Equal(1, reaped.Processes);
            Assert.Equal(0, arena.LockSleepers);
            Assert.Equal(1, arena.GetStats().Recoveries);
            Assert.Empty(arena.CheckInvariants());
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>A running <c>sleep</c> process with its pid and start time (field 22 of its /proc stat).</summary>
    private static (int Pid, long StartTime) StartedSleeper(out Process sleeper)
    {
        sleeper = Process.Start(new ProcessStartInfo("sleep", "60") { UseShellExecute = false })!;
        long start = ProcessLiveness.StartTime(sleeper.Id);
        Assert.True(start > 0, "no start time for the sleeper");
        return (sleeper.Id, start);
    }
}
