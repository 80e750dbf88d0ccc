using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace Edsos.Memory.Shared;

/// <summary>
/// The arena's lock: one 64-bit word in shared memory holding the owning process's identity (pid in
/// the low half, the low 32 bits of its start time in the high half) or 0 when free. An uncontended
/// lock is one compare-and-swap, an unlock one more; nothing else is written. A process killed at
/// any instant leaves either its identity in the word (it held the lock) or nothing (it did not):
/// the swap is the only step, so there is no window between "owner died" and "the word says so".
/// </summary>
/// <remarks>
/// <para>Waiting: a locker that finds the word taken spins briefly, then sets the waiters bit and
/// sleeps on the word's low half with <c>futex(2)</c> (shared, not private: the word is in a file
/// mapping of several processes); an unlock that finds the bit set wakes one sleeper, which takes
/// the lock with the bit set in turn (it cannot know whether others sleep).</para>
/// <para>A dead holder: the kernel does not hand the lock on (glibc's robust list would, at the price
/// of a second atomic and list bookkeeping on every lock and unlock, twice this lock's cost). A
/// waiter that has seen the same owner for <see cref="SuspectAfter"/> checks it in /proc (pid
/// present, not a zombie, same start time, so a reused pid does not pass); a dead owner's word is
/// swapped for the waiter's, which then holds the lock and repairs, as after <c>EOWNERDEAD</c>. Only
/// one waiter's swap wins. The owner is a process, not a thread: threads of a live process do not
/// die holding it (an exception unwinds through the arena's <c>Leave</c>).</para>
/// </remarks>
internal readonly unsafe struct ArenaLock
{
    /// <summary>Set in the word while a locker may sleep on it: the unlock must wake one.</summary>
    private const long Waiters = 0x8000_0000L;

    /// <summary>How long one owner may hold the lock, as seen by a waiter, before the waiter checks that it is alive.</summary>
    private static readonly TimeSpan SuspectAfter = TimeSpan.FromMilliseconds(10);

    private readonly long* _word;

    public ArenaLock(void* word) => _word = (long*)word;

    /// <summary>This process's identity in the word: pid, and the low half of its start time (field 22 of /proc/self/stat).</summary>
    private static long Token => Identity.Value;

    /// <summary>Initialises the word (free); only the creator of the file calls it, before the file is published.</summary>
    public void Initialise() => Volatile.Write(ref *_word, 0);

    /// <summary>
    /// Locks, waiting at most <paramref name="timeout"/>. Returns true when the previous holder died
    /// holding it: the caller now holds it and must repair the state it guards. Throws
    /// <see cref="TimeoutException"/> when a live holder keeps it longer than the timeout.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool Lock(TimeSpan timeout)
    {
        if (Interlocked.CompareExchange(ref *_word, Token, 0) == 0)
        {
            return false;
        }

        return LockSlow(timeout);
    }

    /// <summary>Unlocks: one compare-and-swap back to free, and a futex wake when a waiter set its bit.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Unlock()
    {
        long token = Token;
        if (Interlocked.CompareExchange(ref *_word, 0, token) != token)
        {
            UnlockSlow();
        }
    }

    /// <summary>The word naming process <paramref name="pid"/> started at <paramref name="startTime"/> (clock ticks since boot) as the holder.</summary>
    public static long TokenOf(int pid, long startTime) => ((long)(uint)startTime << 32) | (uint)pid;

    /// <summary>Stores <paramref name="word"/> as if its process held the lock: tests make a dead or foreign holder with it.</summary>
    public void ForgeForTests(long word) => Volatile.Write(ref *_word, word);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void UnlockSlow()
    {
        // Checked before the store: a process that does not hold the lock must not free it for
        // another. Only waiters change the word meanwhile, and only by adding their bit.
        long seen = Volatile.Read(ref *_word);
        if ((seen & ~Waiters) != Token)
        {
            throw new InvalidOperationException($"shared arena lock released by process {Environment.ProcessId}, which does not hold it (word {seen:x})");
        }

        Interlocked.Exchange(ref *_word, 0);
        LibC.FutexWake((int*)_word, 1);
    }

    // Out of line: the waiting path holds ordinary P/Invokes (a P/Invoke frame in its prologue),
    // which the fast path above, inlined into every operation, must not pay.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool LockSlow(TimeSpan timeout)
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

        long start = Stopwatch.GetTimestamp();
        long suspect = 0, suspectSince = start;
        while (true)
        {
            long seen = Volatile.Read(ref *_word);
            if (seen == 0)
            {
                // Taken with the bit: another sleeper may still wait behind us.
                if (Interlocked.CompareExchange(ref *_word, token | Waiters, 0) == 0)
                {
                    return false;
                }

                continue;
            }

            if ((seen & Waiters) == 0)
            {
                if (Interlocked.CompareExchange(ref *_word, seen | Waiters, seen) != seen)
                {
                    continue;
                }

                seen |= Waiters;
            }

            long owner = seen & ~Waiters;
            long now = Stopwatch.GetTimestamp();
            if (owner != suspect)
            {
                suspect = owner;
                suspectSince = now;
            }
            else if (Stopwatch.GetElapsedTime(suspectSince, now) >= SuspectAfter && owner != token)
            {
                if (!IsAlive(owner))
                {
                    if (Interlocked.CompareExchange(ref *_word, token | Waiters, seen) == seen)
                    {
                        return true;
                    }

                    continue;
                }

                suspectSince = now;
            }

            if (Stopwatch.GetElapsedTime(start, now) >= timeout)
            {
                throw new TimeoutException($"shared arena lock not acquired within {timeout}: a live process (pid {(int)(owner & int.MaxValue)}) holds it");
            }

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
}
