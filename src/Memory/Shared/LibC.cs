using System.Runtime.InteropServices;

namespace Edsos.Memory.Shared;

/// <summary>The few libc calls the shared arena needs (Linux only): the lock's futex wait and wake and its membarrier, and link(2) to publish a new file.</summary>
internal static unsafe partial class LibC
{
    private const string Library = "libc";

    private const int FutexWaitOp = 0;   // FUTEX_WAIT, shared (not FUTEX_PRIVATE_FLAG): the word is in a file mapping of several processes
    private const int FutexWakeOp = 1;   // FUTEX_WAKE, shared

    /// <summary>struct timespec on LP64.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    private static readonly long s_futexSyscall = RuntimeInformation.ProcessArchitecture switch
    {
        Architecture.X64 => 202,
        Architecture.Arm64 => 98,
        _ => throw new PlatformNotSupportedException("the shared arena lock needs futex(2) on x86-64 or arm64"),
    };

    private const int MembarrierQuery = 0;                       // MEMBARRIER_CMD_QUERY: the supported commands as a bit mask
    private const int MembarrierGlobalExpedited = 1 << 1;        // MEMBARRIER_CMD_GLOBAL_EXPEDITED
    private const int MembarrierRegister = 1 << 2;        // MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED

    private static readonly long s_membarrierSyscall = RuntimeInformation.ProcessArchitecture switch
    {
        Architecture.X64 => 324,
        Architecture.Arm64 => 283,
        _ => throw new PlatformNotSupportedException("the shared arena lock needs membarrier(2) on x86-64 or arm64"),
    };

    /// <summary>
    /// Registers this process for global expedited memory barriers (other processes' barriers then
    /// fence its running threads too). False when the kernel lacks the command or refuses it.
    /// </summary>
    public static bool MembarrierRegisterGlobalExpedited()
    {
        long supported = Syscall(s_membarrierSyscall, MembarrierQuery, 0);
        const long needed = MembarrierGlobalExpedited | MembarrierRegister;
        return supported >= 0 && (supported & needed) == needed && Syscall(s_membarrierSyscall, MembarrierRegister, 0) == 0;
    }

    /// <summary>The membarrier command that fences every registered process's running threads, or 0 when the kernel has none.</summary>
    public static int MembarrierCommandForOthers()
    {
        long supported = Syscall(s_membarrierSyscall, MembarrierQuery, 0);
        return supported >= 0 && (supported & MembarrierGlobalExpedited) != 0 ? MembarrierGlobalExpedited : 0;
    }

    /// <summary>Issues membarrier command <paramref name="command"/> (a full fence on the threads it covers when it returns).</summary>
    public static void Membarrier(int command) => Syscall(s_membarrierSyscall, command, 0);

    /// <summary>Sleeps while <paramref name="word"/> holds <paramref name="expected"/>, at most <paramref name="timeout"/> (or until woken, or spuriously).</summary>
    public static void FutexWait(int* word, int expected, TimeSpan timeout)
    {
        var relative = new Timespec { Seconds = (long)timeout.TotalSeconds, Nanoseconds = timeout.Ticks % TimeSpan.TicksPerSecond * 100 };
        Syscall(s_futexSyscall, word, FutexWaitOp, expected, &relative, null, 0);
    }

    /// <summary>Wakes at most <paramref name="count"/> sleepers on <paramref name="word"/>.</summary>
    public static void FutexWake(int* word, int count) => Syscall(s_futexSyscall, word, FutexWakeOp, count, null, null, 0);

    // syscall(2): the futex call has no glibc wrapper. Integer and pointer arguments only, so the
    // variadic call is passed in the same registers as a fixed one.
    [LibraryImport(Library, EntryPoint = "syscall")]
    private static partial long Syscall(long number, int* word, int op, int value, Timespec* timeout, int* word2, int value3);

    [LibraryImport(Library, EntryPoint = "syscall")]
    private static partial long Syscall(long number, int command, int flags);

    [LibraryImport(Library, EntryPoint = "link", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    public static partial int Link(string existing, string created);
}
