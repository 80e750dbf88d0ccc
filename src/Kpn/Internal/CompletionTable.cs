using Akka.Actor;
using Edsos.Protocol;

namespace Edsos.Kpn.Internal;

/// <summary>
/// The syscall completions of one process: a pool of <see cref="SyscallCompletion"/> slots, the calls out, one timer
/// for all their deadlines, and the end of every call when the KPN stops.
/// </summary>
/// <remarks>
/// The timer is armed to the earliest deadline and only moved when a new call's deadline is earlier (with one
/// timeout for every call that never happens while calls are out), so a call costs no timer operation. When it
/// fires, the calls past their deadline end with <see cref="Errno.ETIMEDOUT"/> and it is armed to the next
/// deadline, or left off when none is out. One lock guards the pool, the list and the timer; completions run
/// outside it.
/// </remarks>
internal sealed class CompletionTable : IDisposable
{
    private readonly object _lock = new();
    private readonly IActorRefProvider _provider;
    private readonly Stack<SyscallCompletion> _free = new();
    private readonly List<SyscallCompletion> _live = new();
    private readonly Timer _timer;
    private long _armedAt = long.MaxValue;
    private bool _stopped;
    private bool _disposed;

    public CompletionTable(IActorRefProvider provider)
    {
        _provider = provider;
        _timer = new Timer(static state => ((CompletionTable)state!).OnTimer(), this, Timeout.Infinite, Timeout.Infinite);
    }

    /// <summary>True once <see cref="StopAll"/> ran: no call can be answered any more.</summary>
    public bool Stopped => Volatile.Read(ref _stopped);

    /// <summary>
    /// A slot armed for one call that ends at the latest after <paramref name="timeout"/> (zero or less, or
    /// infinite: no timeout), or when <paramref name="cancellationToken"/> is cancelled (<see cref="Errno.EINTR"/>),
    /// or when the KPN stops (<see cref="Errno.EINTR"/>, at once if it has stopped already).
    /// </summary>
    public SyscallCompletion Rent(TimeSpan timeout, CancellationToken cancellationToken)
    {
        long deadline = timeout > TimeSpan.Zero && timeout != Timeout.InfiniteTimeSpan
            ? Environment.TickCount64 + (long)Math.Min(timeout.TotalMilliseconds, long.MaxValue / 4)
            : long.MaxValue;
        SyscallCompletion slot;
        bool stopped;
        lock (_lock)
        {
            slot = _free.Count > 0 ? _free.Pop() : new SyscallCompletion(this, _provider);
            slot.Arm(deadline);
            slot.Index = _live.Count;
            _live.Add(slot);
            stopped = _stopped;
            if (deadline < _armedAt && !stopped && !_disposed)
            {
                _armedAt = deadline;
                _timer.Change(DueIn(deadline), Timeout.Infinite);
            }
        }

        if (stopped)
        {
            slot.TryComplete(Errno.EINTR, answered: false);
        }
        else if (cancellationToken.CanBeCanceled)
        {
            slot.Registration = cancellationToken.UnsafeRegister(static state => ((SyscallCompletion)state!).TryComplete(Errno.EINTR, answered: false), slot);
        }

        return slot;
    }

    /// <summary>
    /// Takes the call's slot back once its result was read: into the pool when the KPN's reply completed it, out of
    /// the table for good otherwise (the KPN may still answer it).
    /// </summary>
    public void Return(SyscallCompletion slot)
    {
        if (slot.Registration != default)
        {
            // Waits for a cancellation callback that is running, so the slot is not reset under it.
            slot.Registration.Dispose();
            slot.Registration = default;
        }

        lock (_lock)
        {
            RemoveLive(slot);
            if (slot.Answered && !_disposed)
            {
                slot.Reset();
                _free.Push(slot);
            }
        }
    }

    /// <summary>The KPN stopped: every call out ends with <see cref="Errno.EINTR"/>, and so does every later one.</summary>
    public void StopAll()
    {
        SyscallCompletion[] live;
        lock (_lock)
        {
            // No call can wait from here on (each ends at once), so the timer goes too.
            _stopped = true;
            _disposed = true;
            _timer.Dispose();
            live = _live.ToArray();
        }

        foreach (var slot in live)
        {
            slot.TryComplete(Errno.EINTR, answered: false);
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        lock (_lock)
        {
            _disposed = true;
            _timer.Dispose();
        }
    }

    private void OnTimer()
    {
        long now = Environment.TickCount64;
        List<SyscallCompletion>? expired = null;
        lock (_lock)
        {
            long next = long.MaxValue;
            foreach (var slot in _live)
            {
                if (!slot.IsWaiting)
                {
                    continue;
                }

                if (slot.Deadline <= now)
                {
                    (expired ??= new()).Add(slot);
                }
                else if (slot.Deadline < next)
                {
                    next = slot.Deadline;
                }
            }

            _armedAt = next;
            if (next != long.MaxValue && !_disposed)
            {
                _timer.Change(DueIn(next), Timeout.Infinite);
            }
        }

        // Outside the lock: a completion queues the caller's continuation, which may rent the next slot.
        foreach (var slot in expired ?? [])
        {
            slot.TryComplete(Errno.ETIMEDOUT, answered: false);
        }
    }

    private void RemoveLive(SyscallCompletion slot)
    {
        int index = slot.Index;
        if (index < 0 || index >= _live.Count || !ReferenceEquals(_live[index], slot))
        {
            return;
        }

        int last = _live.Count - 1;
        _live[index] = _live[last];
        _live[index].Index = index;
        _live.RemoveAt(last);
        slot.Index = -1;
    }

    private static long DueIn(long deadline) => Math.Clamp(deadline - Environment.TickCount64, 0, 0xFFFFFFFE);
}
