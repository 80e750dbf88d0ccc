using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace Edsos.Driver.Wires;

/// <summary>
/// A wire whose far end is the Linux kernel: a TAP device opened through <c>/dev/net/tun</c> with
/// <c>IFF_TAP | IFF_NO_PI</c>, so each <c>read(2)</c> returns one whole Ethernet frame (no FCS) the
/// kernel sent on the interface and each <c>write(2)</c> hands the kernel one frame as if it arrived on
/// its wire. <see cref="Transmit"/> writes the frame the NIC put on its wire (the NIC's DMA still read
/// the app's own pages; this is the copy any real wire makes); a reader thread delivers what the kernel
/// sends to the attached receiver.
/// <para>
/// The interface exists while the wire is open (not persistent): <see cref="Dispose"/> closes the fd and
/// the kernel removes the interface, in whatever network namespace it was moved to. Thread-safe: the
/// kernel serialises writes on one fd; the reader thread is the only reader. Errors are values:
/// <see cref="TryOpen"/> says why the device could not be opened, and a write the kernel refuses is a
/// dropped frame, counted.
/// </para>
/// </summary>
public sealed class TapWire : IWire, IDisposable
{
    /// <summary>The clone device of the tun/tap driver.</summary>
    public const string ClonePath = "/dev/net/tun";

    // A TAP interface at MTU 1500 sends at most 1514 bytes; larger reads leave room for a raised MTU.
    private const int ReadBufferSize = 65536;

    // The fd lives in a SafeHandle so a Transmit racing Dispose never writes to a closed (or reused) fd
    // number: the close waits for the last write in flight.
    private readonly SafeFileHandle _handle;
    private readonly int _fd;
    private readonly int _wake;
    private readonly Thread _reader;
    private IWireReceiver? _receiver;
    private long _transmitted;
    private long _bytes;
    private long _writeErrors;
    private long _received;
    private long _receivedBytes;
    private long _undelivered;
    private int _disposed;

    private TapWire(int fd, int wake, string interfaceName)
    {
        _handle = new SafeFileHandle(fd, ownsHandle: true);
        _fd = fd;
        _wake = wake;
        InterfaceName = interfaceName;
        _reader = new Thread(ReadLoop) { IsBackground = true, Name = "tap:" + interfaceName };
        _reader.Start();
    }

    /// <inheritdoc />
    public string Name => "tap:" + InterfaceName;

    /// <summary>The interface name the kernel gave the device (the one asked for, or <c>tapN</c>).</summary>
    public string InterfaceName { get; }

    /// <summary>
    /// What this end carried: frames written to the kernel, their bytes, frames read from the kernel and
    /// handed to the receiver, and frames lost (a write refused, or a read with no receiver attached).
    /// </summary>
    public WireCounters Counters => new(
        Interlocked.Read(ref _transmitted),
        Interlocked.Read(ref _bytes),
        Interlocked.Read(ref _received) - Interlocked.Read(ref _undelivered),
        Interlocked.Read(ref _writeErrors) + Interlocked.Read(ref _undelivered));

    /// <summary>Frames the kernel sent to us (read from the TAP).</summary>
    public long FramesReceived => Interlocked.Read(ref _received);

    /// <summary>Bytes of the frames the kernel sent to us.</summary>
    public long BytesReceived => Interlocked.Read(ref _receivedBytes);

    /// <summary>True when <see cref="ClonePath"/> exists (it may still refuse a process without CAP_NET_ADMIN).</summary>
    public static bool IsAvailable => File.Exists(ClonePath);

    /// <summary>
    /// Opens a TAP device named <paramref name="interfaceName"/> (at most 15 bytes; empty lets the kernel
    /// pick <c>tapN</c>). Returns null with a one-line <paramref name="error"/> naming the cause when
    /// <c>/dev/net/tun</c> is missing, the process lacks CAP_NET_ADMIN, or the name is bad or taken.
    /// </summary>
    public static unsafe TapWire? TryOpen(string interfaceName, out string? error)
    {
        ArgumentNullException.ThrowIfNull(interfaceName);
        byte[] name = Encoding.ASCII.GetBytes(interfaceName);
        if (name.Length >= TapNative.IfNameSize || interfaceName.Contains('/', StringComparison.Ordinal) || interfaceName.Contains(' ', StringComparison.Ordinal))
        {
            error = $"bad interface name '{interfaceName}' (at most {TapNative.IfNameSize - 1} characters, no '/' or space)";
            return null;
        }

        if (!IsAvailable)
        {
            error = $"{ClonePath} does not exist (the tun module is not loaded or the device is not in this container)";
            return null;
        }

        int fd = TapNative.Open(ClonePath, TapNative.O_RDWR | TapNative.O_CLOEXEC);
        if (fd < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            error = $"cannot open {ClonePath}: {TapNative.Describe(errno)}";
            return null;
        }

        byte* request = stackalloc byte[TapNative.IfReqSize];
        new Span<byte>(request, TapNative.IfReqSize).Clear();
        name.CopyTo(new Span<byte>(request, TapNative.IfNameSize));
        *(short*)(request + TapNative.IfNameSize) = TapNative.IFF_TAP | TapNative.IFF_NO_PI;
        if (TapNative.Ioctl(fd, TapNative.TUNSETIFF, request) < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            TapNative.Close(fd);
            error = errno == 1
                ? $"TUNSETIFF on {ClonePath} was refused: creating a TAP device needs root (CAP_NET_ADMIN)"
                : $"TUNSETIFF {interfaceName} failed: {TapNative.Describe(errno)}";
            return null;
        }

        string given = Encoding.ASCII.GetString(new ReadOnlySpan<byte>(request, TapNative.IfNameSize)).TrimEnd('\0');
        int wake = TapNative.EventFd(0, TapNative.O_CLOEXEC | TapNative.O_NONBLOCK);
        if (wake < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            TapNative.Close(fd);
            error = $"eventfd failed: {TapNative.Describe(errno)}";
            return null;
        }

        error = null;
        return new TapWire(fd, wake, given);
    }

    /// <summary>Writes <paramref name="frame"/> to the kernel; a refused write (interface down, bad length) is counted, never thrown.</summary>
    public unsafe void Transmit(ReadOnlySpan<byte> frame)
    {
        Interlocked.Increment(ref _transmitted);
        Interlocked.Add(ref _bytes, frame.Length);
        if (Volatile.Read(ref _disposed) != 0)
        {
            Interlocked.Increment(ref _writeErrors);
            return;
        }

        bool added = false;
        try
        {
            _handle.DangerousAddRef(ref added);
            fixed (byte* bytes = frame)
            {
                nint written;
                do
                {
                    written = TapNative.Write(_fd, bytes, frame.Length);
                }
                while (written < 0 && Marshal.GetLastPInvokeError() == TapNative.EINTR);

                if (written != frame.Length)
                {
                    Interlocked.Increment(ref _writeErrors);
                }
            }
        }
        catch (ObjectDisposedException)
        {
            Interlocked.Increment(ref _writeErrors);
        }
        finally
        {
            if (added)
            {
                _handle.DangerousRelease();
            }
        }
    }

    /// <inheritdoc />
    public void Attach(IWireReceiver receiver)
    {
        ArgumentNullException.ThrowIfNull(receiver);
        Volatile.Write(ref _receiver, receiver);
    }

    /// <inheritdoc />
    public void Detach(IWireReceiver receiver)
    {
        Interlocked.CompareExchange(ref _receiver, null, receiver);
    }

    /// <summary>
    /// Stops the reader thread and closes the device; the kernel removes the interface. Safe to call twice.
    /// Frames transmitted afterwards are counted as dropped.
    /// </summary>
    public unsafe void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        ulong one = 1;
        TapNative.Write(_wake, &one, sizeof(ulong));
        _reader.Join();
        _handle.Dispose();
        TapNative.Close(_wake);
    }

    private unsafe void ReadLoop()
    {
        byte[] buffer = GC.AllocateArray<byte>(ReadBufferSize, pinned: true);
        var fds = stackalloc TapNative.PollFd[2];
        fds[0] = new TapNative.PollFd { Fd = _fd, Events = TapNative.POLLIN };
        fds[1] = new TapNative.PollFd { Fd = _wake, Events = TapNative.POLLIN };
        fixed (byte* bytes = buffer)
        {
            while (Volatile.Read(ref _disposed) == 0)
            {
                fds[0].Revents = 0;
                fds[1].Revents = 0;
                int ready = TapNative.Poll(fds, 2, -1);
                if (ready < 0)
                {
                    if (Marshal.GetLastPInvokeError() == TapNative.EINTR)
                    {
                        continue;
                    }

                    return;
                }

                if (fds[1].Revents != 0)
                {
                    return;
                }

                if ((fds[0].Revents & TapNative.POLLIN) == 0)
                {
                    // POLLERR / POLLHUP: the device went away under us.
                    if (fds[0].Revents != 0)
                    {
                        return;
                    }

                    continue;
                }

                nint length = TapNative.Read(_fd, bytes, buffer.Length);
                if (length <= 0)
                {
                    int errno = Marshal.GetLastPInvokeError();
                    if (length < 0 && (errno == TapNative.EINTR || errno == TapNative.EAGAIN))
                    {
                        continue;
                    }

                    return;
                }

                Interlocked.Increment(ref _received);
                Interlocked.Add(ref _receivedBytes, length);
                var receiver = Volatile.Read(ref _receiver);
                if (receiver is null)
                {
                    Interlocked.Increment(ref _undelivered);
                    continue;
                }

                receiver.OnFrame(new ReadOnlySpan<byte>(bytes, (int)length));
            }
        }
    }
}
