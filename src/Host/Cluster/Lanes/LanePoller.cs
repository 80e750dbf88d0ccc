using System.Runtime.InteropServices;
using Edsos.Scheduler;

namespace Edsos.Host.Cluster.Lanes;

/// <summary>
/// The default dispatcher's idle wait in a role process (<see cref="IIdleWait"/> on its one-thread
/// <see cref="ParkingExecutor"/>): the thread that runs the actors blocks in <c>poll(2)</c> on an eventfd (written by
/// <see cref="Wake"/> when a run is queued for it) and on every inbound lane connection, and reads the lanes itself,
/// so a message from another role process costs one thread wake-up (the kernel's, of this thread) where a reader thread
/// would cost two (the reader's, then the dispatcher's). While the dispatcher is busy it polls the lanes every
/// <see cref="ParkingExecutor.PollEvery"/> runs. Connections are added by the accept thread (<see cref="Add"/>); the
/// poll set is rebuilt by the dispatcher's thread when they change.
/// </summary>
internal sealed unsafe partial class LanePoller : IIdleWait
{
    private const short PollIn = 0x0001;
    private const short PollErr = 0x0008;
    private const short PollHup = 0x0010;
    private const int NonBlocking = 0x800;
    private const int CloseOnExec = 0x80000;
    private static readonly int s_safetyTimeoutMs = 1000;

    private readonly int _eventFd;
    private readonly Lock _gate = new();
    private LaneInbound[] _inbound = [];
    private int _version;
    private int _builtVersion = -1;
    private LaneInbound[] _built = [];
    private PollFd[] _fds = [];
    private bool _ready;

    public LanePoller()
    {
        _eventFd = EventFd(0, NonBlocking | CloseOnExec);
        if (_eventFd < 0)
        {
            throw new InvalidOperationException($"eventfd failed: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
        }
    }

    /// <summary>Reads <paramref name="inbound"/> from now on (any thread; wakes the dispatcher to rebuild its poll set).</summary>
    public void Add(LaneInbound inbound)
    {
        lock (_gate)
        {
            _inbound = [.. _inbound, inbound];
            _version++;
        }

        Wake();
    }

    /// <inheritdoc />
    public void Wait()
    {
        Rebuild();
        fixed (PollFd* fds = _fds)
        {
            Poll(fds, (nuint)_fds.Length, s_safetyTimeoutMs);
        }

        _ready = true;
    }

    /// <inheritdoc />
    public void Wake()
    {
        ulong one = 1;
        Write(_eventFd, &one, sizeof(ulong));
    }

    /// <inheritdoc />
    void IIdleWait.Poll()
    {
        Rebuild();
        if (!_ready)
        {
            fixed (PollFd* fds = _fds)
            {
                if (Poll(fds, (nuint)_fds.Length, 0) <= 0)
                {
                    return;
                }
            }
        }

        _ready = false;
        if ((_fds[0].Revents & PollIn) != 0)
        {
            ulong count;
            Read(_eventFd, &count, sizeof(ulong));
        }

        List<LaneInbound>? ended = null;
        for (int i = 1; i < _fds.Length; i++)
        {
            if ((_fds[i].Revents & (PollIn | PollErr | PollHup)) == 0)
            {
                continue;
            }

            var inbound = _built[i - 1];
            bool open;
            try
            {
                open = inbound.ReceiveAvailable();
            }
            catch (ObjectDisposedException)
            {
                open = false;
            }

            if (!open)
            {
                (ended ??= []).Add(inbound);
            }
        }

        if (ended is not null)
        {
            Remove(ended);
        }
    }

    private void Remove(List<LaneInbound> ended)
    {
        lock (_gate)
        {
            _inbound = [.. _inbound.Where(i => !ended.Contains(i))];
            _version++;
        }

        foreach (var inbound in ended)
        {
            inbound.Close();
        }
    }

    /// <summary>Makes the poll set the eventfd and the current connections (on the dispatcher's thread).</summary>
    private void Rebuild()
    {
        if (Volatile.Read(ref _version) == _builtVersion)
        {
            return;
        }

        lock (_gate)
        {
            _built = _inbound;
            _builtVersion = _version;
        }

        _fds = new PollFd[_built.Length + 1];
        _fds[0] = new PollFd { Fd = _eventFd, Events = PollIn };
        for (int i = 0; i < _built.Length; i++)
        {
            _fds[i + 1] = new PollFd { Fd = (int)_built[i].Socket.Handle, Events = PollIn };
        }

        _ready = false;
    }

    [LibraryImport("libc", EntryPoint = "poll", SetLastError = true)]
    private static partial int Poll(PollFd* fds, nuint count, int timeoutMilliseconds);

    [LibraryImport("libc", EntryPoint = "eventfd", SetLastError = true)]
    private static partial int EventFd(uint initial, int flags);

    [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
    private static partial nint Read(int fd, void* buffer, nint count);

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    private static partial nint Write(int fd, void* buffer, nint count);

    /// <summary><c>struct pollfd</c>.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }
}
