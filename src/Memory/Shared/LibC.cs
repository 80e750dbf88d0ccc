using System.Runtime.InteropServices;

namespace Edsos.Memory.Shared;

/// <summary>The few libc calls the shared arena needs (Linux only): the lock's futex wait and wake, and link(2) to publish a new file.</summary>
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

    [LibraryImport(Library, EntryPoint = "link", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    public static partial int Link(string existing, string created);
}
