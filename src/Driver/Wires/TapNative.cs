using System.Runtime.InteropServices;

namespace Edsos.Driver.Wires;

/// <summary>
/// The few libc calls a TAP device needs (Linux x86-64 and arm64 ABI): <c>open</c>, <c>ioctl</c>,
/// <c>read</c>, <c>write</c>, <c>poll</c>, <c>eventfd</c>, <c>close</c>. Declared here rather than taken
/// from a package so the driver keeps no dependency; every call reports failure as -1 with errno
/// (<see cref="Marshal.GetLastPInvokeError"/>), never by throwing.
/// </summary>
internal static unsafe partial class TapNative
{
    /// <summary>open(2) read and write.</summary>
    public const int O_RDWR = 0x0002;

    /// <summary>open(2): not inherited by a child process.</summary>
    public const int O_CLOEXEC = 0x80000;

    /// <summary>open(2) and eventfd(2): reads and writes never block.</summary>
    public const int O_NONBLOCK = 0x800;

    /// <summary>ioctl request <c>_IOW('T', 202, int)</c>: attach the open tun fd to an interface.</summary>
    public const ulong TUNSETIFF = 0x400454ca;

    /// <summary>ifr_flags: an Ethernet (layer 2) device.</summary>
    public const short IFF_TAP = 0x0002;

    /// <summary>ifr_flags: no 4-byte packet-information prefix on each frame.</summary>
    public const short IFF_NO_PI = 0x1000;

    /// <summary>poll(2): data to read.</summary>
    public const short POLLIN = 0x0001;

    /// <summary>errno: interrupted by a signal.</summary>
    public const int EINTR = 4;

    /// <summary>errno: nothing to read now (non-blocking fd).</summary>
    public const int EAGAIN = 11;

    /// <summary>The size of <c>struct ifreq</c>: a 16-byte name and a 24-byte union.</summary>
    public const int IfReqSize = 40;

    /// <summary>IFNAMSIZ, the name buffer including its terminating NUL.</summary>
    public const int IfNameSize = 16;

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "ioctl", SetLastError = true)]
    public static partial int Ioctl(int fd, ulong request, void* argument);

    [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
    public static partial nint Read(int fd, void* buffer, nint count);

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    public static partial nint Write(int fd, void* buffer, nint count);

    [LibraryImport("libc", EntryPoint = "poll", SetLastError = true)]
    public static partial int Poll(PollFd* fds, nuint count, int timeoutMilliseconds);

    [LibraryImport("libc", EntryPoint = "eventfd", SetLastError = true)]
    public static partial int EventFd(uint initial, int flags);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);

    /// <summary>strerror-like text for an errno, for one-line error messages.</summary>
    public static string Describe(int errno) => Marshal.GetPInvokeErrorMessage(errno);

    /// <summary><c>struct pollfd</c>.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }
}
