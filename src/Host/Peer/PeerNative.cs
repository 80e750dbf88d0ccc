using System.Runtime.InteropServices;

namespace Edsos.Host.Peer;

/// <summary>
/// libc calls the Linux peer needs beyond the TAP device: <c>geteuid</c> (is this root), and
/// <c>open</c> / <c>setns</c> / <c>close</c> to move one thread into a network namespace. Failures are
/// -1 with errno (<see cref="Marshal.GetLastPInvokeError"/>), never exceptions.
/// </summary>
internal static partial class PeerNative
{
    /// <summary>open(2) read only.</summary>
    public const int O_RDONLY = 0;

    /// <summary>open(2): not inherited by a child process.</summary>
    public const int O_CLOEXEC = 0x80000;

    /// <summary>setns(2): the fd names a network namespace.</summary>
    public const int CLONE_NEWNET = 0x40000000;

    [LibraryImport("libc", EntryPoint = "geteuid")]
    public static partial uint GetEffectiveUserId();

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "setns", SetLastError = true)]
    public static partial int SetNs(int fd, int namespaceType);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);
}
