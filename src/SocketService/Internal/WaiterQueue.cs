namespace Edsos.SocketService.Internal;

/// <summary>The one rule for withdrawing a waiting receive, shared by both receive queues.</summary>
internal static class WaiterQueue
{
    /// <summary>
    /// Rotates <paramref name="waiters"/> once, leaving out the waiter of <paramref name="reqId"/>, so the order of the
    /// others is unchanged; false (queue untouched in order) when it is not there.
    /// </summary>
    public static bool TryRemove(Queue<RecvWaiter> waiters, ulong reqId, out RecvWaiter removed)
    {
        removed = default;
        bool found = false;
        int count = waiters.Count;
        for (int i = 0; i < count; i++)
        {
            var waiter = waiters.Dequeue();
            if (!found && waiter.ReqId == reqId)
            {
                removed = waiter;
                found = true;
                continue;
            }

            waiters.Enqueue(waiter);
        }

        return found;
    }
}
