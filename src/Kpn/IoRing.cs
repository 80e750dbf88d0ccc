using Akka.Actor;
using Edsos.Kpn.Internal;
using Edsos.Memory;
using Edsos.Protocol;
using Edsos.Scheduler;

namespace Edsos.Kpn;

/// <summary>
/// An io_uring-style pair of rings between a process and its KPN (seed 000's proposal: batched CTRN operations). The
/// app prepares operations (<see cref="PrepareSend"/>, <see cref="PrepareRecvZeroCopy"/>, <see cref="PrepareRecv"/>),
/// hands every prepared one to the KPN with one <see cref="Submit"/> (one signal for all of them), and reaps their
/// completions with <see cref="TryReap"/> without a syscall per operation, waiting with <see cref="WaitAsync"/> when
/// there is none. Both rings' entries are memory of the process's own TS (two buffers pushed there); the KPN reads
/// the submissions and writes the completions through the memory manager's checks, like any user buffer.
/// </summary>
/// <remarks>
/// Each operation behaves as the matching syscall (<see cref="Libc.SendToAsync"/>, <see cref="Libc.RecvZeroCopyAsync"/>,
/// <see cref="Libc.RecvFromAsync"/>): the same checks in the same order, the same errors, the same ownership (a
/// zero-copy receive's node is the app's once reaped: it must <see cref="Libc.Free"/> it). The completion ring has
/// twice the submission ring's entries, and <see cref="Submit"/> never lets more operations be outstanding than it
/// holds, so it cannot overflow. Not thread-safe: one thread of control prepares, submits and reaps (as with an
/// io_uring without SQPOLL). Created by <see cref="Libc.TryCreateRing"/>.
/// </remarks>
public sealed class IoRing : IDisposable
{
    private readonly Libc _libc;
    private readonly MemoryManager _memory;
    private readonly RingShared _shared;
    private readonly UserBuffer _sq;
    private readonly UserBuffer _cq;
    private readonly SubmissionEntry[] _prepared;
    private readonly CompletionEntry[] _reaped;
    private readonly byte[] _bytes;
    private long _sqTail;
    private long _sqSubmitted;
    private long _cqHead;
    private int _reapedNext;
    private int _reapedCount;
    private int _disposed;

    internal IoRing(Libc libc, RingShared shared, UserBuffer sq, UserBuffer cq)
    {
        _libc = libc;
        _memory = libc.Memory;
        _shared = shared;
        _sq = sq;
        _cq = cq;
        _prepared = new SubmissionEntry[shared.SqEntries];
        _reaped = new CompletionEntry[shared.CqEntries];
        _bytes = new byte[Math.Max(shared.SqEntries * RingLayout.SqeSize, shared.CqEntries * RingLayout.CqeSize)];
    }

    /// <summary>Entries of the submission ring.</summary>
    public int Entries => _shared.SqEntries;

    /// <summary>Entries of the completion ring (twice <see cref="Entries"/>): the most operations outstanding at once.</summary>
    public int CompletionEntries => _shared.CqEntries;

    /// <summary>Operations prepared and not submitted yet.</summary>
    public int Prepared => (int)(_sqTail - _sqSubmitted);

    /// <summary>Operations submitted whose completion was not reaped yet.</summary>
    public int Outstanding => (int)(_sqSubmitted - _cqHead) + (_reapedCount - _reapedNext);

    /// <summary>True once the ring is closed: by <see cref="Dispose"/>, or because the process exited.</summary>
    public bool IsClosed => _shared.Closed;

    /// <summary>
    /// Queues <c>sendto(fd, buffer, length, flags, destination)</c> (null: <c>send</c> on a connected socket);
    /// false when the submission ring is full (submit, or reap and submit, first). Its completion's result is the
    /// byte count once the datagram has left, or the errno <see cref="Libc.SendToAsync"/> would return.
    /// </summary>
    public bool PrepareSend(int fd, Gva buffer, int length, Ipv4Endpoint? destination, ulong userData, MsgFlags flags = MsgFlags.None) =>
        Prepare(new SubmissionEntry(IoOp.Send, fd, buffer, length, destination, flags, userData));

    /// <summary>
    /// Queues a zero-copy receive on <paramref name="fd"/>; false when the submission ring is full. Its completion
    /// carries the datagram's node, granted to the process (the app frees it), or the errno
    /// <see cref="Libc.RecvZeroCopyAsync"/> would return.
    /// </summary>
    public bool PrepareRecvZeroCopy(int fd, ulong userData, MsgFlags flags = MsgFlags.None) =>
        Prepare(new SubmissionEntry(IoOp.RecvZeroCopy, fd, default, 0, null, flags, userData));

    /// <summary>
    /// Queues <c>recvfrom(fd, buffer, length, flags)</c> (one counted copy into the buffer); false when the
    /// submission ring is full. Its completion's result is the bytes copied, or the errno
    /// <see cref="Libc.RecvFromAsync"/> would return.
    /// </summary>
    public bool PrepareRecv(int fd, Gva buffer, int length, ulong userData, MsgFlags flags = MsgFlags.None) =>
        Prepare(new SubmissionEntry(IoOp.Recv, fd, buffer, length, null, flags, userData));

    /// <summary>
    /// Writes the prepared operations into the submission ring and signals the KPN once for all of them. Returns how
    /// many were submitted: all of them, or fewer (0 included) when the completion ring has no room for more
    /// outstanding operations (reap first; the rest stay prepared). EBADF once the ring is closed, EFAULT when the
    /// ring's memory is gone.
    /// </summary>
    public SysResult Submit()
    {
        if (_shared.Closed || _libc.HasExited)
        {
            return SysResult.Fail(Errno.EBADF);
        }

        int room = CompletionEntries - Outstanding;
        int n = (int)Math.Min(_sqTail - _sqSubmitted, room);
        if (n <= 0)
        {
            return SysResult.Ok(0);
        }

        int entries = Entries;
        var bytes = _bytes.AsSpan(0, n * RingLayout.SqeSize);
        for (int i = 0; i < n; i++)
        {
            RingLayout.WriteSqe(bytes.Slice(i * RingLayout.SqeSize, RingLayout.SqeSize), _prepared[(int)((_sqSubmitted + i) % entries)]);
        }

        if (!Access(_sq, entries, RingLayout.SqeSize, _sqSubmitted, bytes, write: true))
        {
            return SysResult.Fail(Errno.EFAULT);
        }

        _sqSubmitted += n;
        _libc.Kpn.Tell(new KpnProtocol.RingSubmit(_shared.Id, _sqSubmitted), ActorRefs.NoSender);
        return SysResult.Ok(n);
    }

    /// <summary>
    /// The next completion, if one is there; false when none is (yet). Reads every completion the KPN has written
    /// since the last read with one or two memory reads, then hands them out one by one.
    /// </summary>
    public bool TryReap(out IoCompletion completion)
    {
        if (_reapedNext == _reapedCount && !Fill())
        {
            completion = default;
            return false;
        }

        var entry = _reaped[_reapedNext++];
        var buffer = entry.Op == IoOp.RecvZeroCopy && entry.Error == Errno.None && entry.Result > 0
            ? new UserBuffer(entry.Node, entry.Gva, (int)entry.Result)
            : null;
        completion = new IoCompletion(entry.UserData, entry.Op, entry.Error == Errno.None ? entry.Result : -1, entry.Error, buffer, entry.From);
        if (entry.Op == IoOp.Send && entry.Error == Errno.None)
        {
            var host = EdsosMetrics.HostTag(_libc.System);
            KpnMetrics.Sends.Add(1, host);
            KpnMetrics.BytesSent.Add(entry.Result, host);
        }

        return true;
    }

    /// <summary>
    /// Waits until a completion can be reaped: <see cref="Errno.None"/>; EBADF once the ring is closed (the process
    /// exited) with nothing left to reap; EINTR when <paramref name="cancellationToken"/> is cancelled. One waiter at a
    /// time.
    /// </summary>
    public ValueTask<Errno> WaitAsync(CancellationToken cancellationToken = default)
    {
        if (_reapedNext < _reapedCount)
        {
            return new ValueTask<Errno>(Errno.None);
        }

        return _shared.WaitAsync(_cqHead, cancellationToken);
    }

    /// <summary>
    /// Closes the ring: the KPN drops what is still due on it (a received node released on the app's behalf), and
    /// the ring's memory is freed. Completions already reaped are the app's. Idempotent.
    /// </summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _shared.Close();
        if (!_libc.HasExited)
        {
            // The KPN forgets the ring before its memory goes (a late write then fails its check, and is dropped).
            _libc.Kpn.Tell(new KpnProtocol.RingClose(_shared.Id), ActorRefs.NoSender);
            _libc.Free(_sq);
            _libc.Free(_cq);
        }

        _libc.Forget(this);
    }

    /// <summary>The process's KPN stopped: the ring is closed (a waiting reaper gets EBADF).</summary>
    internal void OnKpnStopped() => _shared.Close();

    private bool Prepare(in SubmissionEntry entry)
    {
        if (_shared.Closed || _sqTail - _shared.SqHead >= Entries)
        {
            return false;
        }

        _prepared[(int)(_sqTail % Entries)] = entry;
        _sqTail++;
        return true;
    }

    /// <summary>Reads every completion written since the last read into the local batch; false when there is none.</summary>
    private bool Fill()
    {
        long tail = _shared.CqTail;
        int n = (int)Math.Min(tail - _cqHead, CompletionEntries);
        if (n <= 0)
        {
            return false;
        }

        var bytes = _bytes.AsSpan(0, n * RingLayout.CqeSize);
        if (!Access(_cq, CompletionEntries, RingLayout.CqeSize, _cqHead, bytes, write: false))
        {
            // The ring's memory is gone (the process's TS exited): so are these completions, and the ring.
            _cqHead = tail;
            _shared.Close();
            return false;
        }

        for (int i = 0; i < n; i++)
        {
            _reaped[i] = RingLayout.ReadCqe(bytes.Slice(i * RingLayout.CqeSize, RingLayout.CqeSize));
        }

        _cqHead += n;
        _reapedNext = 0;
        _reapedCount = n;
        return true;
    }

    private bool Access(UserBuffer ring, int entries, int entrySize, long position, Span<byte> bytes, bool write)
    {
        int start = (int)(position % entries);
        int first = Math.Min(bytes.Length / entrySize, entries - start) * entrySize;
        var head = bytes[..first];
        var tail = bytes[first..];
        var ts = _libc.Ts;
        var done = write
            ? _memory.Write(ts, ring.Cap, start * entrySize, head, CopyKind.Metadata)
            : _memory.Read(ts, ring.Cap, start * entrySize, head, CopyKind.Metadata);
        if (done.IsOk && tail.Length > 0)
        {
            done = write
                ? _memory.Write(ts, ring.Cap, 0, tail, CopyKind.Metadata)
                : _memory.Read(ts, ring.Cap, 0, tail, CopyKind.Metadata);
        }

        return done.IsOk;
    }
}
