using Edsos.Memory;

namespace Edsos.Driver;

/// <summary>
/// The one rule for how many TX ring descriptors a frame takes, used by the driver when it writes them
/// (<see cref="TxQueue{TReply}"/>) and by whoever counts credit before handing a frame over (the qdisc), so
/// the two can never disagree: a legacy frame takes one descriptor per <see cref="MaxBytesPerLegacyDescriptor"/>
/// bytes of each physical extent (8254x SDM 3.3.3: a legacy descriptor's buffer is at most 16,288 bytes, so a
/// longer extent is split),
/// a TSO frame one TCP/IP context descriptor plus one TSE data descriptor per extent (their 20-bit lengths
/// need no split).
/// </summary>
public static class TxDescriptorBudget
{
    /// <summary>The most bytes one legacy descriptor is given: 16 KiB − 128 = 16,256, under the 16,288 the 8254x takes (SDM 3.3.3).</summary>
    public const int MaxBytesPerLegacyDescriptor = 16 * 1024 - 128;

    // Cached once: a lambda per call would allocate a delegate per frame.
    private static readonly SegmentVisitor<int> s_countLegacy = static (ref int count, ReadOnlySpan<byte> segment) => count += ForExtent(segment.Length, offload: false);

    /// <summary>Descriptors for one physical extent of <paramref name="length"/> bytes (0 for an empty one).</summary>
    public static int ForExtent(int length, bool offload) =>
        offload ? 1 : (length + MaxBytesPerLegacyDescriptor - 1) / MaxBytesPerLegacyDescriptor;

    /// <summary>Descriptors for a frame over <paramref name="extents"/>, the context included for a TSO frame.</summary>
    public static int ForFrame(IReadOnlyList<PhysExtent> extents, bool offload)
    {
        ArgumentNullException.ThrowIfNull(extents);
        int count = offload ? 1 : 0;
        for (int i = 0; i < extents.Count; i++)
        {
            count += ForExtent(extents[i].Length, offload);
        }

        return count;
    }

    /// <summary><see cref="ForFrame(IReadOnlyList{PhysExtent}, bool)"/> over a span (the driver's reused pin extents).</summary>
    public static int ForFrame(ReadOnlySpan<PhysExtent> extents, bool offload)
    {
        int count = offload ? 1 : 0;
        for (int i = 0; i < extents.Length; i++)
        {
            count += ForExtent(extents[i].Length, offload);
        }

        return count;
    }

    /// <summary>
    /// The count from what <see cref="MemoryManager.Locate"/> tells, when that is enough: every TSO frame, and
    /// every legacy frame no longer than <see cref="MaxBytesPerLegacyDescriptor"/> (no extent of it can need a
    /// split). False for a longer legacy frame, whose extents' lengths decide (<see cref="Count"/>).
    /// </summary>
    public static bool TryForLocation(NodeLocation location, bool offload, out int descriptors)
    {
        if (offload || location.Length <= MaxBytesPerLegacyDescriptor)
        {
            descriptors = location.ExtentCount + (offload ? 1 : 0);
            return true;
        }

        descriptors = 0;
        return false;
    }

    /// <summary>
    /// Descriptors for the caller's node <paramref name="skb"/> located at <paramref name="location"/>:
    /// <see cref="TryForLocation"/> when it can tell, else the extents are visited in place (nothing copied)
    /// and counted. Fails like <see cref="MemoryManager.Visit{TState}"/> (the node revoked, no Read right).
    /// </summary>
    public static MemoryResult<int> Count(MemoryManager memory, TsId caller, Capability skb, NodeLocation location, bool offload)
    {
        ArgumentNullException.ThrowIfNull(memory);
        if (TryForLocation(location, offload, out int descriptors))
        {
            return MemoryResult<int>.Ok(descriptors);
        }

        int count = 0;
        var visited = memory.Visit(caller, skb, 0, location.Length, ref count, s_countLegacy);
        return visited.IsOk ? MemoryResult<int>.Ok(count) : visited;
    }
}
