using L = Edsos.Memory.Shared.SharedLayout;

namespace Edsos.Memory.Shared;

/// <summary>Record states and the small logged steps every operation is made of (the lock is held).</summary>
public sealed unsafe partial class SharedArena
{
    private const int TsUnused = 0;
    private const int TsLive = 1;
    private const int TsExited = 2;
    private const int TsLifting = 3;   // exited, lift not finished: whoever reaps the host finishes it
    private const int NodeFree = 0;
    private const int NodeLive = 1;
    private const int NodeRetired = 2;
    private const uint LastGeneration = uint.MaxValue;

    private uint DequeueNode()
    {
        int head = I32(L.HNodeQueueHead);
        uint id = (uint)I32(_layout.NodeQueue + (4L * head));
        Set32(L.HNodeQueueHead, (head + 1) % _layout.MaxNodes);
        Set32(L.HNodeQueueCount, I32(L.HNodeQueueCount) - 1);
        return id;
    }

    private void EnqueueNode(uint id)
    {
        int count = I32(L.HNodeQueueCount);
        int tail = (I32(L.HNodeQueueHead) + count) % _layout.MaxNodes;
        Set32(_layout.NodeQueue + (4L * tail), (int)id);
        Set32(L.HNodeQueueCount, count + 1);
    }

    private int TakePage()
    {
        int count = I32(L.HFreePageCount) - 1;
        int pfn = I32(_layout.FreePageStack + (4L * count));
        Set32(L.HFreePageCount, count);
        long page = _layout.Page(pfn);
        Set32(page + L.GFree, 0);
        Set32(page + L.GRefs, 1);
        return pfn;
    }

    /// <summary>A page returns to the free stack only when no node references it and no pin holds it.</summary>
    private void TryFreePage(int pfn)
    {
        long page = _layout.Page(pfn);
        if (I32(page + L.GRefs) != 0 || I32(page + L.GPins) != 0)
        {
            return;
        }

        int count = I32(L.HFreePageCount);
        Set32(page + L.GFree, 1);
        Set32(_layout.FreePageStack + (4L * count), pfn);
        Set32(L.HFreePageCount, count + 1);
    }

    /// <summary>
    /// Drops the node's page references and moves its generation on, so every capability to it
    /// fails; a lift also records the ended generation so those report InvalidGva. A slot whose
    /// generations are used up is retired rather than reused (see <see cref="NodeSlot"/>).
    /// </summary>
    private void RevokeNode(uint id, bool lifted)
    {
        long node = _layout.Node(id);
        int pages = I32(node + L.NPageCount);
        for (int i = 0; i < pages; i++)
        {
            int pfn = I32(node + L.NPages + (4L * i));
            long page = _layout.Page(pfn);
            Set32(page + L.GRefs, I32(page + L.GRefs) - 1);
            TryFreePage(pfn);
            if (i == 0)
            {
                Hook(lifted ? "lift" : "pop");
            }
        }

        uint generation = U32(node + L.NGeneration);
        if (lifted)
        {
            Set32(node + L.NLiftedGeneration, (int)generation);
        }

        uint next = generation >= LastGeneration - 1 ? LastGeneration : generation + 1;
        Set32(node + L.NGeneration, (int)next);
        Set32(node + L.NPageCount, 0);
        if (next == LastGeneration)
        {
            Set32(node + L.NState, NodeRetired);
        }
        else
        {
            Set32(node + L.NState, NodeFree);
            EnqueueNode(id);
        }
    }

    /// <summary>
    /// Exits TS <paramref name="ts"/> and revokes every node it owns or that originated in it. Commits
    /// after each node, so the undo log stays small; a lift cut short by a death leaves the TS in
    /// <see cref="TsLifting"/> and the reaper of its host process finishes it. Returns nodes revoked.
    /// </summary>
    private int LiftLocked(int ts)
    {
        Set32(_layout.TsRec(ts) + L.TState, TsLifting);
        Commit();
        int revoked = 0;
        for (uint id = 1; id < _layout.MaxNodes; id++)
        {
            long node = _layout.Node(id);
            if (I32(node + L.NState) == NodeLive && (I32(node + L.NOwnerTs) == ts || I32(node + L.NOriginTs) == ts))
            {
                RevokeNode(id, lifted: true);
                Commit();
                revoked++;
            }
        }

        Set32(_layout.TsRec(ts) + L.TState, TsExited);
        Commit();
        return revoked;
    }
}
