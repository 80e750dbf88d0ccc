using Edsos.Driver.Ring;
using Edsos.Memory;

namespace Edsos.Driver;

/// <summary>
/// The driver's receive logic over an RX <see cref="DescriptorRing"/>, without the actor: post
/// buffers (push, pin, descriptor), and poll done descriptors, turning each filled buffer into a
/// CTRN in the handler's TS. Not thread-safe: one actor owns it.
/// <para>
/// Ownership: a posted buffer is a node of the driver's TS, pinned for the device. When its
/// descriptor is done the driver unpins it, <c>ct_share</c>s the frame's bytes to the handler
/// (which then owns that CTRN) and pops its own node, so the pages live exactly as long as the
/// handler's CTRN. With no handler the node is popped and the frame counted as dropped.
/// </para>
/// </summary>
internal sealed class RxQueue
{
    private readonly MemoryManager _memory;
    private readonly TsId _ts;
    private readonly DescriptorRing _ring;
    private readonly int _bufferSize;
    private readonly Slot[] _slots;
    private readonly string[] _bufferNames;
    private readonly string[] _frameNames;

    // The extents of the buffer being posted: reused by every pin, so posting allocates no extent array.
    private PhysExtent[] _extents = new PhysExtent[2];

    public RxQueue(MemoryManager memory, TsId ts, DescriptorRing ring, int bufferSize, string frameNamePrefix)
    {
        _memory = memory;
        _ts = ts;
        _ring = ring;
        _bufferSize = bufferSize;
        _slots = new Slot[ring.Count];

        // Names are fixed per slot, so posting and delivering allocate no strings.
        _bufferNames = new string[ring.Count];
        _frameNames = new string[ring.Count];
        for (var i = 0; i < ring.Count; i++)
        {
            _bufferNames[i] = $"rx_ring/buf_{i:x2}";
            _frameNames[i] = $"{frameNamePrefix}_{i:x2}";
        }
    }

    /// <summary>The ring (for its tail and addresses).</summary>
    public DescriptorRing Ring => _ring;

    /// <summary>Buffers currently posted to the device.</summary>
    public int Posted => _ring.InUse;

    /// <summary>Frames delivered to a handler.</summary>
    public long Delivered { get; private set; }

    /// <summary>Frames dropped by the driver: no handler attached, a device error, or the share failed.</summary>
    public long Dropped { get; private set; }

    /// <summary>
    /// Posts fresh buffers into every free slot. Returns how many it posted; stops early (and
    /// returns the memory error) only if the arena runs out, leaving the ring partly filled.
    /// The caller writes <see cref="DescriptorRing.Tail"/> to RDT when this returns more than zero.
    /// </summary>
    public MemoryResult<int> Fill()
    {
        var posted = 0;
        while (!_ring.IsFull)
        {
            var slot = _ring.Tail;
            var pushed = _memory.Push(_ts, _bufferNames[slot], _bufferSize, Rights.All);
            if (!pushed.IsOk)
            {
                return MemoryResult<int>.Fail(pushed.Error, pushed.Detail);
            }

            var buffer = pushed.Value;
            var pinned = _memory.Pin(_ts, buffer, ref _extents, out int extentCount);
            var info = pinned.IsOk ? _memory.Locate(_ts, buffer) : default;

            // A buffer is one descriptor address, so it must be physically contiguous; push hands
            // out whole pages and coalesces adjacent ones, so a 2 KiB buffer always is.
            if (!pinned.IsOk || !info.IsOk || extentCount != 1)
            {
                if (pinned.IsOk)
                {
                    _memory.Unpin(pinned.Value);
                }

                _memory.Release(_ts, buffer);
                return MemoryResult<int>.Fail(pinned.IsOk ? MemoryError.InvalidArgument : pinned.Error, "RX buffer is not one pinned contiguous extent");
            }

            var written = _ring.WriteRx(slot, LegacyRxDescriptor.Posted(_extents[0].Address));
            if (!written.IsOk)
            {
                _memory.Unpin(pinned.Value);
                _memory.Release(_ts, buffer);
                return MemoryResult<int>.Fail(written.Error, written.Detail);
            }

            _slots[slot] = new Slot(buffer, pinned.Value, info.Value.Gva);
            _ring.Produce(1);
            posted++;
        }

        return MemoryResult<int>.Ok(posted);
    }

    /// <summary>
    /// NAPI poll: takes up to <paramref name="budget"/> done descriptors in ring order. Each
    /// filled buffer is unpinned; with a <paramref name="handlerTs"/> its first Length bytes are
    /// shared there as a CTRN and added to <paramref name="frames"/>, otherwise it is dropped;
    /// either way the driver pops its own node. Returns how many descriptors it consumed (equal
    /// to the budget means more may be waiting). Call <see cref="Fill"/> afterwards to repost.
    /// </summary>
    public int Poll(int budget, TsId handlerTs, List<RxFrame> frames)
    {
        var consumed = 0;
        while (consumed < budget && !_ring.IsEmpty)
        {
            var index = _ring.Clean;
            var read = _ring.ReadRx(index);
            if (!read.IsOk || (read.Value.Status & RxDescriptorStatus.Dd) == 0)
            {
                break;
            }

            var descriptor = read.Value;
            var slot = _slots[index];
            _slots[index] = default;
            _ring.Reclaim(1);
            consumed++;
            _memory.Unpin(slot.PinId);

            var deliverable = handlerTs.IsValid
                && descriptor.Errors == 0
                && descriptor.Length > 0
                && (descriptor.Status & RxDescriptorStatus.Eop) != 0;
            if (deliverable)
            {
                var shared = _memory.CtShare(_ts, slot.Buffer, slot.Gva, descriptor.Length, handlerTs, _frameNames[index], Rights.All);
                if (shared.IsOk)
                {
                    frames.Add(new RxFrame(shared.Value, descriptor.Length));
                    Delivered++;
                }
                else
                {
                    Dropped++;
                }
            }
            else
            {
                Dropped++;
            }

            // The CTRN (if any) holds its own page references; the driver's node goes either way.
            _memory.Release(_ts, slot.Buffer);
        }

        return consumed;
    }

    /// <summary>
    /// True if the next descriptor to poll is already done (more work arrived since the last poll).
    /// </summary>
    public bool HasWork()
    {
        if (_ring.IsEmpty)
        {
            return false;
        }

        var read = _ring.ReadRx(_ring.Clean);
        return read.IsOk && (read.Value.Status & RxDescriptorStatus.Dd) != 0;
    }

    /// <summary>
    /// Shutdown, after the device was reset: unpins and pops every posted buffer, then releases
    /// the ring. Frames the device wrote but nobody polled are dropped.
    /// </summary>
    public void Release()
    {
        while (!_ring.IsEmpty)
        {
            var index = _ring.Clean;
            var slot = _slots[index];
            _slots[index] = default;
            _ring.Reclaim(1);
            _memory.Unpin(slot.PinId);
            _memory.Release(_ts, slot.Buffer);
        }

        _ring.Release();
    }

    private readonly record struct Slot(Capability Buffer, ulong PinId, Gva Gva);
}
