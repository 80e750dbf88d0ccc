namespace Edsos.Memory.Shared;

/// <summary>
/// A glibc mutex in shared memory, process-shared and robust: when its holder dies (SIGKILL at any
/// instant, even inside the lock call) the kernel walks the dead thread's robust list and marks
/// the futex word, so the next locker gets <c>EOWNERDEAD</c> instead of waiting forever. That
/// locker owns the lock, must repair the protected state, then call <c>pthread_mutex_consistent</c>;
/// an unlock without it would make the mutex unusable (<c>ENOTRECOVERABLE</c>) for everyone.
/// </summary>
internal readonly unsafe struct RobustMutex
{
    private readonly void* _mutex;

    public RobustMutex(void* mutex) => _mutex = mutex;

    /// <summary>Initialises the mutex in place; only the creator of the file calls it, before the file is published.</summary>
    public void Initialise()
    {
        byte* attr = stackalloc byte[64];
        Check(LibC.MutexAttrInit(attr), "pthread_mutexattr_init");
        try
        {
            Check(LibC.MutexAttrSetPShared(attr, LibC.PthreadProcessShared), "pthread_mutexattr_setpshared");
            Check(LibC.MutexAttrSetRobust(attr, LibC.PthreadMutexRobust), "pthread_mutexattr_setrobust");
            Check(LibC.MutexInit(_mutex, attr), "pthread_mutex_init");
        }
        finally
        {
            LibC.MutexAttrDestroy(attr);
        }
    }

    /// <summary>
    /// Locks, waiting at most <paramref name="timeout"/>. Returns true when the previous holder died
    /// holding it: the caller now holds it and must repair, then call <see cref="MarkConsistent"/>.
    /// Throws <see cref="TimeoutException"/> when a live holder keeps it longer than the timeout.
    /// </summary>
    public bool Lock(TimeSpan timeout)
    {
        // Uncontended fast path: no clock read, one atomic in user space.
        int rc = LibC.MutexTryLock(_mutex);
        if (rc != LibC.EBusy)
        {
            return Result(rc, timeout);
        }

        return LockSlow(timeout);
    }

    // Out of line: a method holding an ordinary P/Invoke sets up a P/Invoke frame in its prologue
    // (a runtime call), which the fast path above, inlined into every operation, must not pay.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private bool LockSlow(TimeSpan timeout)
    {
        LibC.Timespec deadline;
        LibC.ClockGetTime(LibC.ClockMonotonic, &deadline);
        long nanos = deadline.Nanoseconds + (timeout.Ticks * 100);
        deadline.Seconds += nanos / 1_000_000_000;
        deadline.Nanoseconds = nanos % 1_000_000_000;

        return Result(LibC.MutexClockLock(_mutex, LibC.ClockMonotonic, &deadline), timeout);
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    public void MarkConsistent() => Check(LibC.MutexConsistent(_mutex), "pthread_mutex_consistent");

    public void Unlock() => Check(LibC.MutexUnlock(_mutex), "pthread_mutex_unlock");

    private static bool Result(int rc, TimeSpan timeout)
    {
        return rc switch
        {
            0 => false,
            LibC.EOwnerDead => true,
            LibC.ETimedOut => throw new TimeoutException($"shared arena lock not acquired within {timeout}: a live process holds it"),
            _ => throw new InvalidOperationException($"locking the shared arena mutex failed with errno {rc}"),
        };
    }

    private static void Check(int rc, string call)
    {
        if (rc != 0)
        {
            throw new InvalidOperationException($"{call} failed with errno {rc}");
        }
    }
}
