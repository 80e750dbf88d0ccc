using System.Diagnostics;
using Edsos.Memory.Shared;
using Edsos.Memory.SharedChild;
using Xunit.Abstractions;

namespace Edsos.Memory.Tests.Shared;

/// <summary>
/// Real OS processes on one arena file: capabilities checked across processes, zero-copy reads of
/// another process's page, and SIGKILLs at random instants and inside operations with the lock
/// held, after which the survivors must repair, lift the dead process's TSs and return its pages.
/// </summary>
// One collection: SharedArena.TestHook is static, and tests that set it must not run beside others.
[Collection("SharedArena")]
public sealed class SharedArenaProcessTests : IDisposable
{
    private static readonly TimeSpan s_startTimeout = TimeSpan.FromSeconds(60);

    // A survivor must get the lock and finish reaping within this after a kill. Generous: the
    // machine is shared; the measured times are printed.
    private static readonly TimeSpan s_repairBound = TimeSpan.FromSeconds(10);

    private readonly ITestOutputHelper _output;
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"edsos-shared-{Guid.NewGuid():N}.arena");

    public SharedArenaProcessTests(ITestOutputHelper output) => _output = output;

    public void Dispose() => File.Delete(_path);

    [Fact]
    public void Capability_MintedInAnotherProcess_CheckedHereAndReadZeroCopy()
    {
        using var arena = SharedArena.Open(_path, ChildGeometry.Options);
        var me = arena.CreateTs(TsKind.Kernel).Unwrap();
        using var child = ChildProcess.Start("mint", _path, me.Value.ToString());

        string[] ctrnLine = child.WaitForLine("CTRN", s_startTimeout).Split(' ');
        var ctrn = ChildProcess.ParseCapability(ctrnLine, 1);
        long writtenAt = long.Parse(ctrnLine[5]);
        var own = ChildProcess.ParseCapability(child.WaitForLine("OWN", s_startTimeout).Split(' '), 1);
        child.WaitForLine("POPPED", s_startTimeout);

        // Minted there, checked here: same key, same records.
        Assert.Equal(8_000, arena.Check(me, ctrn, Rights.Read).Unwrap());

        // The device side here reads the very bytes the other process wrote, at the same physical address.
        var pin = arena.Pin(me, ctrn).Unwrap();
        Assert.Equal(writtenAt, arena.PinPhysicalAddress(pin, 0).Unwrap());
        var dma = new byte[8_000];
        arena.DmaRead(pin, 0, dma).ThrowIfFailed();
        for (int i = 0; i < dma.Length; i++)
        {
            Assert.Equal((byte)((i + 100) * 7), dma[i]);
        }

        // Forged, widened and stale capabilities from the other process are refused here.
        Assert.Equal(MemoryError.Forged, arena.Check(me, ctrn with { Tag = ctrn.Tag ^ 1 }, Rights.Read).Error);
        Assert.Equal(MemoryError.Forged, arena.Check(me, ctrn with { Rights = Rights.All }, Rights.Write).Error);
        Assert.Equal(MemoryError.RightsDenied, arena.Check(me, ctrn, Rights.Write).Error);
        Assert.Equal(MemoryError.Stale, arena.Check(me, own, Rights.Read).Error);

        // The other process exits cleanly: its TS exits, the CTRN originating in it is lifted, and
        // its pages stay until this process (a survivor holding a pin) lets go.
        child.SendLine("exit");
        Assert.True(child.WaitForExit(s_startTimeout));
        Assert.Equal(MemoryError.InvalidGva, arena.Check(me, ctrn, Rights.Read).Error);
        Assert.Equal(2, arena.PageCount - arena.GetStats().FreePages);
        arena.Unpin(pin).ThrowIfFailed();
        Assert.Equal(arena.PageCount, arena.GetStats().FreePages);
        Assert.Empty(arena.CheckInvariants());
    }

    [Fact]
    public void Kill_InsideEveryOperationWithLockHeld_SurvivorsRollBackAndReturnEveryPage()
    {
        using var arena = SharedArena.Open(_path, ChildGeometry.Options);
        var me = arena.CreateTs(TsKind.Kernel).Unwrap();
        var pins = new List<SharedPin>();
        int kills = 0;

        // A bystander churns throughout: it is blocked on the lock while the victim holds it and
        // may be the one that inherits it (EOWNERDEAD) and rolls the victim's update back.
        using var bystander = ChildProcess.Start("churn", _path, "1000", me.Value.ToString());
        bystander.WaitForLine("READY", s_startTimeout);
        int seed = 77;
        foreach (string point in (string[])["push", "ctshare", "pop", "pin", "unpin", "lift", "divide", "merge", "grant", "longlift", "divide", "merge", "grant", "longlift", "cow", "cow"])
        {
            int recoveriesBefore = arena.GetStats().Recoveries;
            using var victim = ChildProcess.Start("churn", _path, (seed++).ToString(), me.Value.ToString(), point);
            victim.WaitForLine("READY", s_startTimeout);

            // The victim now holds the lock and sleeps: touch the arena only after the kill.
            var shared = new List<string>();
            _output.WriteLine($"victim {victim.Pid} runs until it is inside {point}");
            victim.WaitForLine("HOLDING", s_startTimeout, shared.Add);
            victim.Kill();
            kills++;

            var report = TimedReap(arena, $"killed inside {point}");
            Assert.True(arena.GetStats().Recoveries > recoveriesBefore, $"nobody inherited the lock from the victim killed inside {point}");
            AssertReaped(report, victim.Pid, arena);
            foreach (string line in shared.Concat(bystander.Drain()))
            {
                PinShared(arena, me, line, pins);
            }
        }

        bystander.Kill();
        kills++;
        TimedReap(arena, "bystander killed");
        FinishAndAssertEverythingReturned(arena, me, pins);
        _output.WriteLine($"{kills} kills; recoveries {arena.GetStats().Recoveries}, undone writes {arena.GetStats().UndoneWrites}");
    }

    /// <summary>
    /// The derived state (GVA index, live counts, page counts, free stacks) is stored without undo
    /// entries: a victim killed right after changing it, before its commit ("publish": a new node
    /// indexed and counted; "endnode": a node out of the index and counts while its record is still
    /// live), leaves index and counts wrong. The test process inherits the lock itself (no
    /// bystander), rolls the logged words back and rebuilds the rest: every invariant holds at once.
    /// </summary>
    [Fact]
    public void Kill_AfterUnloggedDerivedStores_InheritorRebuildsThem()
    {
        using var arena = SharedArena.Open(_path, ChildGeometry.Options);
        var me = arena.CreateTs(TsKind.Kernel).Unwrap();
        var pins = new List<SharedPin>();
        int seed = 301;
        foreach (string point in (string[])["publish", "endnode", "publish", "endnode"])
        {
            var before = arena.GetStats();
            using var victim = ChildProcess.Start("churn", _path, (seed++).ToString(), me.Value.ToString(), point);
            victim.WaitForLine("READY", s_startTimeout);
            var shared = new List<string>();
            victim.WaitForLine("HOLDING", s_startTimeout, shared.Add);
            victim.Kill();

            // The first locker after the kill is this process: it finds the holder dead and repairs.
            Assert.Empty(arena.CheckInvariants());
            var after = arena.GetStats();
            // (Inside a lift's per-node transaction nothing may be logged yet at "endnode": then
            // the rebuild alone repairs it.)
            Assert.Equal(before.Recoveries + 1, after.Recoveries);
            AssertReaped(TimedReap(arena, $"killed inside {point}"), victim.Pid, arena);
            foreach (string line in shared)
            {
                PinShared(arena, me, line, pins);
            }
        }

        FinishAndAssertEverythingReturned(arena, me, pins);
    }

    [Fact]
    public void Kill_InsideTheFirstTranslateOfATs_InheritorRebuildsTheIndexItsSwitchSays()
    {
        using var arena = SharedArena.Open(_path, ChildGeometry.Options);
        var me = arena.CreateTs(TsKind.Kernel).Unwrap();
        var before = arena.GetStats();
        using var victim = ChildProcess.Start("indexctrns", _path);
        victim.WaitForLine("HOLDING", s_startTimeout);
        victim.Kill();

        // This process inherits the lock with the TS's switch set and 2 of its 3 CTRNs indexed:
        // the rebuild indexes all three (an invariant would name the missing one).
        Assert.Empty(arena.CheckInvariants());
        var after = arena.GetStats();
        Assert.Equal(before.Recoveries + 1, after.Recoveries);
        Assert.Equal(before.LiveNodes + 4, after.LiveNodes);
        Assert.Equal(before.LiveCtrns + 3, after.LiveCtrns);
        AssertReaped(TimedReap(arena, "killed inside the first translate"), victim.Pid, arena);
        FinishAndAssertEverythingReturned(arena, me, []);
    }

    [Fact]
    public void Kill_ReaperMidReap_NextReaperFinishesBothProcesses()
    {
        using var arena = SharedArena.Open(_path, ChildGeometry.Options);
        var me = arena.CreateTs(TsKind.Kernel).Unwrap();

        // The reaper attaches first (attaching reaps, before its hook is armed), then the first
        // victim runs a while and is killed; the reaper finds it dead and is killed after lifting
        // its TSs, before releasing its pins and its process record.
        using var reaper = ChildProcess.Start("churn", _path, "4242", me.Value.ToString(), "reap");
        reaper.WaitForLine("READY", s_startTimeout);
        using var first = ChildProcess.Start("churn", _path, "4243", me.Value.ToString());
        first.WaitForLine("READY", s_startTimeout);
        Thread.Sleep(300);
        first.Kill();
        reaper.WaitForLine("HOLDING", s_startTimeout);
        reaper.Kill();

        var report = TimedReap(arena, "reaper killed mid-reap");

        // The first victim's record was still attached: this reap finished what the reaper began.
        Assert.Contains(first.Pid, report.Pids);
        Assert.Contains(reaper.Pid, report.Pids);
        // Every CTRN they shared into this TS is lifted: refused, never memory.
        foreach (string line in first.Drain().Concat(reaper.Drain()).Where(l => l.StartsWith("SHARED", StringComparison.Ordinal)))
        {
            var ctrn = ChildProcess.ParseCapability(line.Split(' '), 1);
            Assert.True(arena.Check(me, ctrn, Rights.Read).Error is MemoryError.InvalidGva or MemoryError.Stale);
        }

        FinishAndAssertEverythingReturned(arena, me, []);
    }

    [Fact]
    public void Kill_InsideALiftOfAnotherProcesssTs_NextReapFinishesTheLift()
    {
        using var arena = SharedArena.Open(_path, ChildGeometry.Options);
        var victim = arena.CreateTs("/user_proc/victim").Unwrap();
        var net = arena.CreateTs("/net/sock").Unwrap();
        var caps = new List<Capability>();
        for (int i = 0; i < 12; i++)
        {
            var own = arena.Push(victim, "buf", 3000).Unwrap();
            caps.Add(own);
            caps.Add(arena.CtShare(victim, own, arena.Locate(victim, own).Unwrap().Gva, 3000, net, "q", Rights.Read).Unwrap());
        }

        // The lifter is not the TS's host: if it dies mid-lift, the host's process is alive and its
        // reaping would not look at the TS; the half-done lift itself must be found and finished.
        using var lifter = ChildProcess.Start("liftother", _path, victim.Value.ToString());
        lifter.WaitForLine("HOLDING", s_startTimeout);
        lifter.Kill();

        var report = TimedReap(arena, "lifter killed mid-lift");

        Assert.Contains(lifter.Pid, report.Pids);
        Assert.Equal(1, report.LiftedTs);
        Assert.True(arena.TryGetTs(victim, out var info));
        Assert.False(info.Alive);
        for (int i = 0; i < caps.Count; i += 2)
        {
            Assert.Equal(MemoryError.TsExited, arena.Locate(victim, caps[i]).Error);
            Assert.Equal(MemoryError.InvalidGva, arena.Locate(net, caps[i + 1]).Error);
        }

        Assert.Equal(0, arena.GetStats().LiveNodes);
        Assert.Equal(arena.PageCount, arena.GetStats().FreePages);
    }

    [Fact]
    public void Kill_InsideAVisitOutsideTheLock_ReapReleasesItsTemporaryPin()
    {
        using var arena = SharedArena.Open(_path, ChildGeometry.Options);
        using var visitor = ChildProcess.Start("visit", _path);
        visitor.WaitForLine("HOLDING", s_startTimeout);

        // The visitor runs outside the lock: this process is not blocked while it sleeps in it.
        var me = arena.CreateTs("/net/sock").Unwrap();
        Assert.True(arena.Push(me, "x", 10).IsOk);
        Assert.Equal(4, arena.PageCount - arena.GetStats().FreePages);
        visitor.Kill();

        var report = TimedReap(arena, "visitor killed mid-visit");

        // Its node was lifted with its TS and its temporary pin released: every page of it is back.
        Assert.Contains(visitor.Pid, report.Pids);
        Assert.Equal(1, arena.PageCount - arena.GetStats().FreePages);
    }

    [Fact]
    public void Kill_AtRandomInstants_SurvivorsRepairLiftAndReturnEveryPage()
    {
        // Seeded: the kill instants, the victims and the children's operations repeat run to run
        // (the interleavings with the scheduler do not; the assertions hold for any).
        var random = new Random(20261205);
        using var arena = SharedArena.Open(_path, ChildGeometry.Options);
        var me = arena.CreateTs(TsKind.Kernel).Unwrap();
        var pins = new List<SharedPin>();
        var children = new List<ChildProcess>();
        int kills = 0;
        try
        {
            for (int round = 0; round < 20; round++)
            {
                while (children.Count < 2)
                {
                    var child = ChildProcess.Start("churn", _path, random.Next().ToString(), me.Value.ToString(), "slow");
                    child.WaitForLine("READY", s_startTimeout);
                    children.Add(child);
                }

                foreach (var child in children)
                {
                    foreach (string line in child.Drain())
                    {
                        PinShared(arena, me, line, pins);
                    }
                }

                // The kill instant: random relative to the children's work, not right after this
                // process released the lock.
                Thread.Sleep(random.Next(20, 400));

                var victim = children[random.Next(children.Count)];
                children.Remove(victim);
                victim.Kill();
                kills++;
                var report = TimedReap(arena, $"round {round}");
                AssertReaped(report, victim.Pid, arena);
                victim.Dispose();

                // Survivors let go of some pins: pages held only by them return now.
                for (int i = pins.Count - 1; i >= 0; i -= 2)
                {
                    arena.Unpin(pins[i]).ThrowIfFailed();
                    pins.RemoveAt(i);
                }
            }
        }
        finally
        {
            foreach (var child in children)
            {
                child.Kill();
                kills++;
                child.Dispose();
            }
        }

        TimedReap(arena, "last children killed");
        FinishAndAssertEverythingReturned(arena, me, pins);
        _output.WriteLine($"{kills} kills; recoveries {arena.GetStats().Recoveries}, undone writes {arena.GetStats().UndoneWrites}");
    }

    [Fact]
    public void Benchmark_TwoProcessesCyclingAtOnce_ReportsNsPerOp()
    {
        const int Cycles = 100_000;
        using var arena = SharedArena.Open(_path, ChildGeometry.Options);
        var app = arena.CreateTs(TsKind.User).Unwrap();
        var net = arena.CreateTs(TsKind.Kernel).Unwrap();
        using var child = ChildProcess.Start("bench", _path, Cycles.ToString());
        child.WaitForLine("READY", s_startTimeout);

        child.SendLine("go");
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < Cycles; i++)
        {
            var buffer = arena.Push(app, 4096).Unwrap();
            var ctrn = arena.CtShare(app, buffer, 0, 4096, net, Rights.Read | Rights.Map).Unwrap();
            arena.Pop(app, buffer).ThrowIfFailed();
            arena.Pop(net, ctrn).ThrowIfFailed();
        }

        double here = clock.Elapsed.TotalNanoseconds / Cycles;
        string there = child.WaitForLine("NSOP", s_startTimeout).Split(' ')[1];

        // Informational (the machine is shared): one lock per host serialises both processes.
        _output.WriteLine($"push+ct_share+pop+pop cycle, two processes at once on one arena: this process {here:F0} ns/op, the other {there} ns/op");
        Assert.True(child.WaitForExit(s_startTimeout));
        Assert.Empty(arena.CheckInvariants());
        Assert.Equal(arena.PageCount, arena.GetStats().FreePages);
    }

    private static void PinShared(SharedArena arena, TsId me, string line, List<SharedPin> pins)
    {
        // A CTRN a child shared into this process's TS: pin some, as the driver would for DMA,
        // then pop it (the pin alone keeps its pages), as the net side pops a sent buffer.
        if (!line.StartsWith("SHARED", StringComparison.Ordinal))
        {
            return;
        }

        var ctrn = ChildProcess.ParseCapability(line.Split(' '), 1);
        if (pins.Count < 32)
        {
            var pinned = arena.Pin(me, ctrn);
            if (pinned.IsOk)
            {
                pins.Add(pinned.Value);
            }
        }

        var popped = arena.Pop(me, ctrn);

        // Already lifted (its origin died) or reused: refused, never memory.
        Assert.True(popped.IsOk || popped.Error is MemoryError.InvalidGva or MemoryError.Stale, popped.ToString());
    }

    private ReapReport TimedReap(SharedArena arena, string what)
    {
        var clock = Stopwatch.StartNew();
        var report = arena.ReapDeadProcesses();
        var problems = arena.CheckInvariants();
        clock.Stop();
        _output.WriteLine($"{what}: reaped {string.Join(",", report.Pids)} lifted {report.LiftedTs} TSs, {report.RevokedNodes} nodes, {report.ReleasedPins} pins in {clock.Elapsed.TotalMilliseconds:F1} ms");
        Assert.True(clock.Elapsed < s_repairBound, $"{what}: repair took {clock.Elapsed}");
        Assert.Empty(problems);
        return report;
    }

    private static void AssertReaped(ReapReport report, int pid, SharedArena arena)
    {
        // Either this reap found the victim or a surviving child's reap got there first; either
        // way no process record of it is left (a second reap finds nothing more).
        Assert.DoesNotContain(pid, arena.ReapDeadProcesses().Pids);
        Assert.True(report.Pids.Count <= 1);
    }

    private static void FinishAndAssertEverythingReturned(SharedArena arena, TsId me, List<SharedPin> pins)
    {
        // Every child is dead, so every CTRN in this TS originated in a lifted TS: only the pins remain.
        var stats = arena.GetStats();
        Assert.Equal(pins.Count, stats.LivePins);
        Assert.Equal(0, stats.LiveNodes);
        foreach (var pin in pins)
        {
            arena.Unpin(pin).ThrowIfFailed();
        }

        stats = arena.GetStats();
        Assert.Equal(stats.PageCount, stats.FreePages);
        Assert.Equal(0, stats.LivePins);
        Assert.Equal(1, stats.AttachedProcesses);
        Assert.Empty(arena.CheckInvariants());
        Assert.True(arena.ExitTs(me).IsOk);
    }
}
