using System.Runtime.CompilerServices;
using L = Edsos.Memory.Shared.SharedLayout;

namespace Edsos.Memory.Shared;

/// <summary>The lock and the undo log: how a half-made update by a dead process is undone.</summary>
public sealed unsafe partial class SharedArena
{
    /// <summary>A lift calls the "longlift" test hook after committing this many nodes (a kill there leaves it half done).</summary>
    private const int LongLiftHookAfter = 8;

    /// <summary>
    /// Takes the metadata lock. If its holder died, this process inherits it with the dead
    /// holder's transaction half applied: roll it back and rebuild the derived state (always: the
    /// holder may have changed derived words without logging anything) before anything reads them.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Enter()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_mutex.Lock(_lockTimeout, _mySleepers))
        {
            Recover();
        }
    }

    /// <summary>
    /// Test hook: marks the lock held by process <paramref name="pid"/> started at
    /// <paramref name="startTime"/>, with the undo log as this instance's last transaction left it
    /// (an operation that died after logging and before its commit). The lock must be free.
    /// </summary>
    internal void AbandonLockForTests(int pid, long startTime, int undoEntries)
    {
        Enter();
        I32(L.HUndoCount) = undoEntries;
        _mutex.ForgeForTests(ArenaLock.TokenOf(pid, startTime));
    }

    /// <summary>
    /// Takes back from the lock's sleepers count what process record <paramref name="slot"/> says its
    /// waiters added (a process killed while waiting for the lock). Not logged: the count is the
    /// lock's, outside every transaction; cleared first, so a reaper killed between the two steps
    /// leaves a count too high (an unlock then makes a needless futex wake), never too low.
    /// </summary>
    private void ForgetLockSleepers(int slot)
    {
        int stale = Interlocked.Exchange(ref I32(_layout.Proc(slot) + L.PLockSleepers), 0);
        if (stale != 0)
        {
            _mutex.ForgetSleepers(stale);
        }
    }

    /// <summary>Threads of any process counted as waiting for the lock (tests read it).</summary>
    internal int LockSleepers => _mutex.Sleepers;

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Recover()
    {
        int undone = RollBackAndRebuild();
        I32(L.HRecoveries)++;
        I32(L.HUndoneWrites) += undone;
    }

    /// <summary>
    /// Releases the lock. A transaction still open here was cut short by an error return after its
    /// first store or by an exception in this process: it is rolled back like a dead holder's (and
    /// the derived state rebuilt), so the metadata never stays half updated.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Leave()
    {
        if (I32(L.HUndoCount) != 0 || _derivedDirty)
        {
            RollBackAndRebuild();
        }

        _mutex.Unlock();
    }

    /// <summary>Undo entries the last commit of this instance made permanent (tests measure each operation's log with it).</summary>
    internal int LastCommitEntries { get; private set; }

    /// <summary>Makes the writes since the last commit permanent: one aligned store empties the log.</summary>
    private void Commit()
    {
        LastCommitEntries = I32(L.HUndoCount);
        Volatile.Write(ref I32(L.HUndoCount), 0);
        _derivedDirty = false;
    }

    /// <summary>Logs the old value, then stores. The entry is complete before the count covers it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Set32(long offset, int value)
    {
        Log(offset, I32(offset), wide: false);
        I32(offset) = value;
    }

    /// <summary>
    /// Three <see cref="Set32"/>s with one append to the log: the three entries, then one release
    /// store of the count covering them, then the three stores. The same guarantee (every entry is
    /// complete before the count covers it, every store comes after its entry is covered) with one
    /// read and one write of the count instead of three of each: the count is a serial chain
    /// through memory from one logged store to the next. The old values are read before any store,
    /// so offsets may repeat (the oldest entry holds the original and is restored last).
    /// </summary>
    private void Set32Three(long a, int valueA, long b, int valueB, long c, int valueC)
    {
        int count = I32(L.HUndoCount);
        if ((uint)count > (uint)(_undoEntries - 3))
        {
            ThrowUndoLogFull();
        }

        long* entry = (long*)(_base + _undoLog + ((long)count * L.UndoEntrySize));
        entry[0] = a;
        entry[1] = I32(a);
        entry[2] = b;
        entry[3] = I32(b);
        entry[4] = c;
        entry[5] = I32(c);
        Volatile.Write(ref I32(L.HUndoCount), count + 3);
        I32(a) = valueA;
        I32(b) = valueB;
        I32(c) = valueC;
    }

    /// <summary>A <see cref="Set64"/> and a <see cref="Set32"/> with one append to the log, as <see cref="Set32Three"/>.</summary>
    private void Set64And32(long wide, long wideValue, long narrow, int narrowValue)
    {
        int count = I32(L.HUndoCount);
        if ((uint)count > (uint)(_undoEntries - 2))
        {
            ThrowUndoLogFull();
        }

        long* entry = (long*)(_base + _undoLog + ((long)count * L.UndoEntrySize));
        entry[0] = wide | long.MinValue;
        entry[1] = I64(wide);
        entry[2] = narrow;
        entry[3] = I32(narrow);
        Volatile.Write(ref I32(L.HUndoCount), count + 2);
        I64(wide) = wideValue;
        I32(narrow) = narrowValue;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Set64(long offset, long value)
    {
        Log(offset, I64(offset), wide: true);
        I64(offset) = value;
    }

    /// <summary>
    /// An unlogged store, only into a record that was free when this transaction began and that it
    /// took off a free list: a rollback puts the record back on its list, where its fields mean
    /// nothing, so their old values need not come back. Hence every operation takes its new records
    /// before it frees old ones (a record freed and retaken in one transaction would lose fields a
    /// rollback must restore). Never for a free node's generations, which mean something while free.
    /// </summary>
    private void Init32(long offset, int value) => I32(offset) = value;

    private void Init64(long offset, long value) => I64(offset) = value;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Log(long offset, long old, bool wide)
    {
        int count = I32(L.HUndoCount);
        if ((uint)count >= (uint)_undoEntries)
        {
            ThrowUndoLogFull();
        }

        long* entry = (long*)(_base + _undoLog + ((long)count * L.UndoEntrySize));
        entry[0] = wide ? offset | long.MinValue : offset;
        entry[1] = old;

        // Release store: the entry is visible no later than the count that covers it. A kill
        // between the two leaves an entry nobody reads; a kill after the count but before the data
        // store makes the rollback restore the value that is still there. Either is harmless.
        Volatile.Write(ref I32(L.HUndoCount), count + 1);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowUndoLogFull() => throw new InvalidOperationException("shared arena undo log full: one transaction wrote too much");

    /// <summary>Restores every logged word, newest first, then empties the log. Idempotent. Returns the entries undone.</summary>
    private int RollBack()
    {
        int count = I32(L.HUndoCount);
        for (int i = count - 1; i >= 0; i--)
        {
            long entry = _layout.UndoEntry(i);
            long offset = I64(entry);
            long old = I64(entry + 8);
            if (offset < 0)
            {
                I64(offset & long.MaxValue) = old;
            }
            else
            {
                I32(offset) = (int)old;
            }
        }

        Commit();
        return count;
    }

    private static void Hook(string point)
    {
        if (s_anyTestHook)
        {
            t_testHook?.Invoke(point);
        }
    }
}
