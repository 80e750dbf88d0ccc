using System.Runtime.InteropServices;

namespace Edsos.Host.Peer;

/// <summary>
/// Runs code on a fresh thread that has entered a network namespace (<c>setns(2)</c> with
/// <c>CLONE_NEWNET</c> changes only the calling thread). A socket belongs to the namespace it was created
/// in for its whole life, so a <see cref="System.Net.Sockets.Socket"/> created here is a socket of the
/// Linux stack inside that namespace and may then be used from any thread: that is how the tests and
/// the benchmark drive Linux sockets in the namespace from this process.
/// </summary>
public static class NetnsThread
{
    /// <summary>
    /// Runs <paramref name="body"/> inside network namespace <paramref name="netns"/> (a name under
    /// <c>/run/netns</c>, as <c>ip netns add</c> makes) and returns its result. Throws
    /// <see cref="IOException"/> when the namespace cannot be entered; rethrows what the body threw.
    /// </summary>
    public static T Run<T>(string netns, Func<T> body)
    {
        ArgumentNullException.ThrowIfNull(netns);
        ArgumentNullException.ThrowIfNull(body);
        T result = default!;
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            int fd = PeerNative.Open("/run/netns/" + netns, PeerNative.O_RDONLY | PeerNative.O_CLOEXEC);
            if (fd < 0)
            {
                failure = new IOException($"cannot open network namespace {netns}: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
                return;
            }

            int entered = PeerNative.SetNs(fd, PeerNative.CLONE_NEWNET);
            int errno = Marshal.GetLastPInvokeError();
            PeerNative.Close(fd);
            if (entered < 0)
            {
                failure = new IOException($"cannot enter network namespace {netns}: {Marshal.GetPInvokeErrorMessage(errno)}");
                return;
            }

            try
            {
                result = body();
            }
            catch (Exception e)
            {
                failure = e;
            }
        })
        {
            IsBackground = true,
            Name = "netns:" + netns,
        };
        thread.Start();
        thread.Join();
        if (failure is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(failure).Throw();
        }

        return result;
    }
}
