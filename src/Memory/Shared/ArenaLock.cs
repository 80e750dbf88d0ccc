using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace Edsos.Memory.Shared;

/// <summary>
/// The arena's lock: one 64-bit word in shared memory holding the owning process's identity (pid in
/// the low half, the low 32 bits of its start time in the high half) or 0 when free, and beside it
/// a count of the threads (of any process) that sleep or are about to sleep on it. An uncontended
/// lock is one compare-and-swap; an unlock is a plain store of 0 and a plain read of the count
/// (a futex wake only when it is not 0). A process killed at any instant leaves either its identity
/// in the word (it held the lock) or nothing (it did not): the swap that takes the lock is the only
/// step, so there is no window between "owner died" and "the word says so".
/// </summary>
/// <remarks>
/// <para>Waiting: a locker that finds the word taken spins briefly; then it counts itself in the
/// sleepers word (and in its process record's share of it), issues
/// <c>membarrier(MEMBARRIER_CMD_GLOBAL_EXPEDITED)</c> and only then reads the word and sleeps on its
/// low half with <c>futex(2)</c> (shared, not private: the word is in a file mapping of several
/// processes) while it is unchanged. The unlock's store and read are not fenced against each other
/// (x86 may let the read pass the store): the waiter pays that fence instead, once per wait, which
/// is the asymmetric Dekker pattern. The barrier runs a full fence on every CPU running a registered
/// process, so either the holder's store of 0 is visible to the waiter's read (it does not sleep)
/// or the holder's read of the count comes after the waiter's increment (it wakes one sleeper). A
/// process whose kernel refuses the registration unlocks with an atomic exchange instead (fenced).</para>
/// <para>A dead holder: the kernel does not hand the lock on (glibc's robust list would, at the price
/// of a second atomic and list bookkeeping on every lock and unlock). A waiter that has seen the
/// same owner for <see cref="SuspectAfter"/> checks it in /proc (pid present, not a zombie, same
/// start time, so a reused pid does not pass); a dead owner's word is swapped for the waiter's,
/// which then holds the lock and repairs, as after <c>EOWNERDEAD</c>. Only one waiter's swap wins.
/// The owner is a process, not a thread: threads of a live process do not die holding it (an
/// exception unwinds through the arena's <c>Leave</c>). A waiter killed while counted leaves its
/// count in its process record, which the reaper of that process subtracts from the sleepers word
/// (a stale count would cost every unlock a futex wake, never correctness).</para>
/// </remarks>
internal readonly unsafe struct ArenaLock
{
    /// <summary>How long one owner may hold the lock, as seen by a waiter, before the waiter checks that it is alive.</summary>
    private static readonly TimeSpan SuspectAfter = TimeSpan.FromMilliseconds(10);

    private readonly long* _word;
    private readonly int* _sleepers;

    public ArenaLock(void* word, void* sleepers)
    {
        _word = (long*)word;
        _sleepers = (int*)sleepers;
    }

    /// <summary>This process's identity in the word: pid, and the low half of its start time (field 22 of /proc/self/stat).</summary>
    private static long Token => Identity.Value;

    /// <summary>Initialises the word (free) and the sleepers count; only the creator of the file calls it, before the file is published.</summary>
    public void Initialise()
    {
        Volatile.Write(ref *_word, 0);
        Volatile.Write(ref *_sleepers, 0);
    }

    /// <summary>
    /// Locks, waiting at most <paramref name="timeout"/>. Returns true when the previous holder died
    /// holding it: the caller now holds it and must repair the state it guards. Throws
    /// <see cref="TimeoutException"/> when a live holder keeps it longer than the timeout.
    /// <paramref name="mine"/> is this process's sleeper count in its process record (null before it
    /// has one): a wait counts itself there too, so a reaper can take a dead waiter's count back.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool Lock(TimeSpan timeout, int* mine)
    {
        if (Interlocked.CompareExchange(ref *_word, Token, 0) == 0)
        {
            return false;
        }

        return LockSlow(timeout, mine);
    }

    /// <summary>
    /// Unlocks: a release store of 0 (no atomic instruction: it would wait for every store of the
    /// operation to drain), then a read of the sleepers count and a futex wake when it is not 0.
    /// Throws <see cref="InvalidOperationException"/> when this process does not hold the lock.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Unlock()
    {
        // Only this process changes the word while it holds it (waiters count themselves beside it),
        // so a plain read tells whether it does.
        if (Volatile.Read(ref *_word) != Token)
        {
            ThrowNotHeld();
        }

        if (Barrier.Registered)
        {
            // The read below may pass this store on x86: a waiter's membarrier covers that.
            Volatile.Write(ref *_word, 0);
        }
        else
        {
            Interlocked.Exchange(ref *_word, 0);
        }

        if (Volatile.Read(ref *_sleepers) != 0)
        {
            Wake();
        }
    }

    /// <summary>The word naming process <paramref name="pid"/> started at <paramref name="startTime"/> (clock ticks since boot) as the holder.</summary>
    public static long TokenOf(int pid, long startTime) => ((long)(uint)startTime << 32) | (uint)pid;

    /// <summary>Stores <paramref name="word"/> as if its process held the lock: tests make a dead or foreign holder with it.</summary>
    public void ForgeForTests(long word) => Volatile.Write(ref *_word, word);

    /// <summary>Threads counted as sleeping on the lock, over every process (tests read it).</summary>
    public int Sleepers => Volatile.Read(ref *_sleepers);

    /// <summary>Takes back the count a dead process's waiters left (its record's share, already cleared by the caller).</summary>
    public void ForgetSleepers(int count) => Interlocked.Add(ref *_sleepers, -count);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ThrowNotHeld() =>
        throw new InvalidOperationException($"shared arena lock released by process {Environment.ProcessId}, which does not hold it (word {Volatile.Read(ref *_word):x})");

    // Out of line: a P/Invoke frame in the inlined unlock would cost every operation a runtime call.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Wake() => LibC.FutexWake((int*)_word, 1);

    // Out of line: the waiting path holds ordinary P/Invokes (a P/Invoke frame in its prologue),
    // which the fast path above, inlined into every operation, must not pay.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool LockSlow(TimeSpan timeout, int* mine)
    {
        long token = Token;
        for (int spin = 0; spin < 64; spin++)
        {
            if (Volatile.Read(ref *_word) == 0 && Interlocked.CompareExchange(ref *_word, token, 0) == 0)
            {
                return false;
            }

            Thread.SpinWait(8);
        }

        // Counted before the barrier, the barrier before the first read of the word we may sleep on.
        // The shared count first and the record's share last (and back in reverse order), so the
        // shared count never holds less than the records say: a reaper subtracting a dead process's
        // share cannot take another waiter's count away.
        Interlocked.Increment(ref *_sleepers);
        if (mine != null)
        {
            Interlocked.Increment(ref *mine);
        }

        try
        {
            Barrier.Publish();
            return WaitCounted(timeout, token);
        }
        finally
        {
            if (mine != null)
            {
                Interlocked.Decrement(ref *mine);
            }

            Interlocked.Decrement(ref *_sleepers);
        }
    }

    private bool WaitCounted(TimeSpan timeout, long token)
    {
        long start = Stopwatch.GetTimestamp();
        long suspect = 0, suspectSince = start;
        while (true)
        {
            long seen = Volatile.Read(ref *_word);
            if (seen == 0)
            {
                if (Interlocked.CompareExchange(ref *_word, token, 0) == 0)
                {
                    return false;
                }

                continue;
            }

            long now = Stopwatch.GetTimestamp();
            if (seen != suspect)
            {
                suspect = seen;
                suspectSince = now;
            }
            else if (Stopwatch.GetElapsedTime(suspectSince, now) >= SuspectAfter && seen != token)
            {
                if (!IsAlive(seen))
                {
                    if (Interlocked.CompareExchange(ref *_word, token, seen) == seen)
                    {
                        return true;
                    }

                    continue;
                }

                suspectSince = now;
            }

            if (Stopwatch.GetElapsedTime(start, now) >= timeout)
            {
                throw new TimeoutException($"shared arena lock not acquired within {timeout}: a live process (pid {(int)(seen & int.MaxValue)}) holds it");
            }

            // Sleeps only while the low half still names that holder; a later unlock sees our count.
            LibC.FutexWait((int*)_word, (int)seen, SuspectAfter);
        }
    }

    /// <summary>Whether the process a word names still runs: the same pid with the same start time, not a zombie.</summary>
    private static bool IsAlive(long owner)
    {
        int pid = (int)(owner & int.MaxValue);
        long start = ProcessLiveness.StartTime(pid);
        return start >= 0 && (uint)start == (uint)(owner >> 32);
    }

    /// <summary>The token, computed once per process.</summary>
    private static class Identity
    {
        public static readonly long Value = Make();

        private static long Make()
        {
            int pid = Environment.ProcessId;
            long start = ProcessLiveness.StartTime(pid);
            if (start < 0 || pid <= 0)
            {
                throw new InvalidOperationException("the shared arena lock needs /proc/self/stat (Linux)");
            }

            return TokenOf(pid, start);
        }
    }

    /// <summary>
    /// The waiters' side of the unlock's missing fence: <c>membarrier(2)</c>. This process registers
    /// for global expedited barriers once (then its unlocks may be plain stores); a waiter issues one
    /// before it reads the word it may sleep on.
    /// </summary>
    private static class Barrier
    {
        /// <summary>Whether this process registered: its unlock is then a plain store.</summary>
        public static readonly bool Registered = LibC.MembarrierRegisterGlobalExpedited();

        private static readonly int s_command = LibC.MembarrierCommandForOthers();

        /// <summary>Runs a full memory barrier on every CPU running a registered process (or, without the expedited command, on all); a kernel without membarrier leaves the futex wait's bounded sleep as the fallback.</summary>
        public static void Publish()
        {
            if (s_command != 0)
            {
                LibC.Membarrier(s_command);
            }
        }
    }
}
