using System.Runtime.InteropServices;

namespace Edsos.Memory.Shared;

/// <summary>The few glibc calls the shared arena needs (Linux only). Errors are returned as errno values by the pthread calls.</summary>
internal static unsafe partial class LibC
{
    private const string Library = "libc";

    public const int PthreadProcessShared = 1;
    public const int PthreadMutexRobust = 1;
    public const int ClockMonotonic = 1;
    public const int EBusy = 16;
    public const int ETimedOut = 110;
    public const int EOwnerDead = 130;
    public const int ENotRecoverable = 131;

    /// <summary>struct timespec on LP64.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [LibraryImport(Library, EntryPoint = "pthread_mutexattr_init")]
    public static partial int MutexAttrInit(void* attr);

    [LibraryImport(Library, EntryPoint = "pthread_mutexattr_destroy")]
    public static partial int MutexAttrDestroy(void* attr);

    [LibraryImport(Library, EntryPoint = "pthread_mutexattr_setpshared")]
    public static partial int MutexAttrSetPShared(void* attr, int shared);

    [LibraryImport(Library, EntryPoint = "pthread_mutexattr_setrobust")]
    public static partial int MutexAttrSetRobust(void* attr, int robust);

    [LibraryImport(Library, EntryPoint = "pthread_mutex_init")]
    public static partial int MutexInit(void* mutex, void* attr);

    // Never blocks (an uncontended atomic, or a futex wake): no GC transition, the hot path of every operation.
    [DllImport(Library, EntryPoint = "pthread_mutex_trylock", ExactSpelling = true)]
    [SuppressGCTransition]
    public static extern int MutexTryLock(void* mutex);

    [LibraryImport(Library, EntryPoint = "pthread_mutex_clocklock")]
    public static partial int MutexClockLock(void* mutex, int clock, Timespec* absTime);

    // Never blocks (an uncontended atomic, or a futex wake): no GC transition, the hot path of every operation.
    [DllImport(Library, EntryPoint = "pthread_mutex_unlock", ExactSpelling = true)]
    [SuppressGCTransition]
    public static extern int MutexUnlock(void* mutex);

    [LibraryImport(Library, EntryPoint = "pthread_mutex_consistent")]
    public static partial int MutexConsistent(void* mutex);

    [LibraryImport(Library, EntryPoint = "clock_gettime")]
    public static partial int ClockGetTime(int clock, Timespec* time);

    [LibraryImport(Library, EntryPoint = "link", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    public static partial int Link(string existing, string created);
}
