using Edsos.Memory;

namespace Edsos.Driver.Device;

/// <summary>
/// A descriptor ring as the device addresses it: a byte range laid over the ring node's pinned
/// extents (what TDBA/TDLEN name on real hardware, with the extent list standing in for an IOMMU
/// mapping when the ring spans non-adjacent pages). Every access is a DMA through the memory
/// manager, so it is checked against the pins and counted as DMA, not as a CPU copy.
/// </summary>
internal sealed class DmaRegion
{
    private readonly MemoryManager _memory;
    private readonly PhysExtent[] _extents;

    public DmaRegion(MemoryManager memory, IReadOnlyList<PhysExtent> extents)
    {
        _memory = memory;
        _extents = new PhysExtent[extents.Count];
        var length = 0;
        for (var i = 0; i < _extents.Length; i++)
        {
            _extents[i] = extents[i];
            length += extents[i].Length;
        }

        Length = length;
    }

    public int Length { get; }

    public ulong BaseAddress => _extents.Length == 0 ? 0 : _extents[0].Address;

    public MemoryResult Read(int offset, Span<byte> destination)
    {
        var done = 0;
        var skip = offset;
        for (var i = 0; i < _extents.Length && done < destination.Length; i++)
        {
            var extent = _extents[i];
            if (skip >= extent.Length)
            {
                skip -= extent.Length;
                continue;
            }

            var chunk = Math.Min(extent.Length - skip, destination.Length - done);
            var result = _memory.DmaRead(new PhysExtent(extent.Address + (ulong)skip, chunk), destination.Slice(done, chunk));
            if (!result.IsOk)
            {
                return result;
            }

            done += chunk;
            skip = 0;
        }

        return done == destination.Length
            ? MemoryResult.Ok
            : MemoryResult.Fail(MemoryError.OutOfRange, $"ring access at {offset}+{destination.Length} past its {Length} bytes");
    }

    public MemoryResult Write(int offset, ReadOnlySpan<byte> source)
    {
        var done = 0;
        var skip = offset;
        for (var i = 0; i < _extents.Length && done < source.Length; i++)
        {
            var extent = _extents[i];
            if (skip >= extent.Length)
            {
                skip -= extent.Length;
                continue;
            }

            var chunk = Math.Min(extent.Length - skip, source.Length - done);
            var result = _memory.DmaWrite(new PhysExtent(extent.Address + (ulong)skip, chunk), source.Slice(done, chunk));
            if (!result.IsOk)
            {
                return result;
            }

            done += chunk;
            skip = 0;
        }

        return done == source.Length
            ? MemoryResult.Ok
            : MemoryResult.Fail(MemoryError.OutOfRange, $"ring access at {offset}+{source.Length} past its {Length} bytes");
    }
}
