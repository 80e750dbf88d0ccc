using System.Threading.Tasks.Sources;
using Edsos.Protocol;

namespace Edsos.Kpn.Internal;

/// <summary>
/// The header of one ring pair, held by both sides (as io_uring's head and tail words live in pages the kernel and
/// the process share): how far the KPN consumed the submission ring, how far it published the completion ring, and
/// the one reaper waiting for completions. The entries themselves are in the app's TS.
/// </summary>
/// <remarks>
/// Only the KPN advances <see cref="SqHead"/> and <see cref="CqTail"/> (after the entries they cover are read or
/// written); the app only reads them. The waiter is never completed inside the KPN's turn: on a <c>ParkingExecutor</c>
/// that runs continuations (the hosts' default dispatcher) it is queued on that executor, after the turn, as a
/// syscall's completion is (<see cref="SyscallCompletion"/>); elsewhere on the thread pool. On the thread pool the
/// reaper was a third busy thread on a 2-core machine, beside the two executor threads (bench stream).
/// </remarks>
internal sealed class RingShared : IValueTaskSource<Errno>, IThreadPoolWorkItem, Akka.Dispatch.IRunnable
{
    private readonly object _lock = new();
    private ManualResetValueTaskSourceCore<Errno> _core;
    private long _sqHead;
    private long _cqTail;
    private bool _closed;
    private bool _waiting;
    private Errno _result;
    private long _waitHead;
    private CancellationTokenRegistration _registration;

    public RingShared(int id, int sqEntries, int cqEntries)
    {
        Id = id;
        SqEntries = sqEntries;
        CqEntries = cqEntries;
        _core.RunContinuationsAsynchronously = false;
    }

    /// <summary>The ring's id in its process.</summary>
    public int Id { get; }

    /// <summary>Entries of the submission ring.</summary>
    public int SqEntries { get; }

    /// <summary>Entries of the completion ring.</summary>
    public int CqEntries { get; }

    /// <summary>Submission entries the KPN has consumed (read) so far.</summary>
    public long SqHead => Volatile.Read(ref _sqHead);

    /// <summary>Completion entries the KPN has written so far.</summary>
    public long CqTail => Volatile.Read(ref _cqTail);

    /// <summary>True once the ring is closed (by the app, or because the KPN stopped).</summary>
    public bool Closed => Volatile.Read(ref _closed);

    /// <summary>The KPN consumed the submission entries up to <paramref name="head"/>.</summary>
    public void AdvanceSqHead(long head) => Volatile.Write(ref _sqHead, head);

    /// <summary>The KPN wrote the completion entries up to <paramref name="tail"/>: wakes the reaper waiting for them.</summary>
    public void PublishCqTail(long tail)
    {
        Volatile.Write(ref _cqTail, tail);
        Wake(Errno.None, onlyIfPast: true);
    }

    /// <summary>Closes the ring: the reaper waiting (and every later wait with nothing to reap) gets EBADF.</summary>
    public void Close()
    {
        Volatile.Write(ref _closed, true);
        Wake(Errno.EBADF, onlyIfPast: false);
    }

    /// <summary>
    /// Waits until the completion ring holds entries past <paramref name="head"/>: <see cref="Errno.None"/>; EBADF
    /// once the ring is closed; EINTR when <paramref name="cancellationToken"/> is cancelled. One waiter at a time.
    /// </summary>
    public ValueTask<Errno> WaitAsync(long head, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (CqTail > head)
            {
                return new ValueTask<Errno>(Errno.None);
            }

            if (_closed)
            {
                return new ValueTask<Errno>(Errno.EBADF);
            }

            if (cancellationToken.IsCancellationRequested)
            {
                return new ValueTask<Errno>(Errno.EINTR);
            }

            if (_waiting)
            {
                throw new InvalidOperationException("one reaper waits on a ring at a time");
            }

            _core.Reset();
            _waiting = true;
            _waitHead = head;
            if (cancellationToken.CanBeCanceled)
            {
                _registration = cancellationToken.UnsafeRegister(static state => ((RingShared)state!).Wake(Errno.EINTR, onlyIfPast: false), this);
            }

            return new ValueTask<Errno>(this, _core.Version);
        }
    }

    /// <inheritdoc />
    public Errno GetResult(short token) => _core.GetResult(token);

    /// <inheritdoc />
    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    /// <inheritdoc />
    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);

    private void Wake(Errno result, bool onlyIfPast)
    {
        lock (_lock)
        {
            if (!_waiting || (onlyIfPast && CqTail <= _waitHead))
            {
                return;
            }

            _waiting = false;
            _registration.Unregister();
            _registration = default;
            _result = result;
        }

        if (Edsos.Scheduler.ParkingExecutor.Current is { RunsContinuations: true } executor)
        {
            executor.Execute(this);
        }
        else
        {
            ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
        }
    }

    /// <inheritdoc />
    void IThreadPoolWorkItem.Execute() => _core.SetResult(_result);

    /// <inheritdoc />
    void Akka.Dispatch.IRunnable.Run() => _core.SetResult(_result);
}
