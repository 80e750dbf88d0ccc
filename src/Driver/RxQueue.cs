using Edsos.Driver.Ring;
using Edsos.Memory;

namespace Edsos.Driver;

/// <summary>
/// The driver's receive logic over an RX <see cref="DescriptorRing"/>, without the actor: post
/// buffers (push, pin, descriptors), and poll done descriptors, turning each received frame into a
/// CTRN in the handler's TS. Not thread-safe: one actor owns it.
/// <para>
/// Buffers are posted in blocks: one pushed, pinned node of up to <c>buffersPerBlock</c> buffers,
/// one descriptor per buffer (each physically contiguous), so posting costs one push, one pin and one
/// locate per block rather than per buffer. With one buffer per block (the default) this is one node per
/// descriptor. A frame is shared to the handler straight out of its block (<c>ct_share</c> of the bytes
/// it fills); a frame written across buffers of two blocks (large frames) is shared as one CTRN per block
/// and the pieces joined by <c>merge</c> in the handler's TS, before the frame is handed over.
/// </para>
/// <para>
/// Ownership: a block is a node of the driver's TS, pinned for the device, until the last of its
/// descriptors is polled; the driver then unpins and pops it, or, with spare blocks, keeps it pinned and posts it
/// again once no CTRN or other pin holds its pages (a page pool). The pages of a delivered frame live as long
/// as the handler's CTRN, which holds its own references. With no handler a frame is counted as dropped.
/// </para>
/// </summary>
internal sealed class RxQueue
{
    private readonly MemoryManager _memory;
    private readonly TsId _ts;
    private readonly DescriptorRing _ring;
    private readonly int _bufferSize;
    private readonly int _buffersPerBlock;
    private readonly Slot[] _slots;
    private readonly Block[] _blocks;
    private readonly int[] _freeBlocks;
    private readonly Run[] _runs;
    private readonly string[] _bufferNames;
    private readonly string[] _frameNames;
    private int _freeBlockCount;

    // Consumed blocks kept, still pinned, to be posted again once the driver is their pages' only holder (a page pool):
    // oldest first, at most _spares.Length; none when recycling is off (every consumed block is popped at once).
    private readonly Block[] _spares;
    private int _spareHead;
    private int _spareCount;

    // The extents of the block being posted: reused by every pin, so posting allocates no extent array.
    private PhysExtent[] _extents = new PhysExtent[2];

    // A block's descriptors, composed here and written to the ring in one access.
    private readonly byte[] _posting;

    // Descriptors fetched from the ring in one access (a burst from _fetchedFrom on), as a NIC driver's poll reads the
    // status of many at once; a fetched descriptor without DD is fetched again before it counts as not done, and Fill,
    // which rewrites slots, forgets them all.
    private const int FetchBurst = 32;
    private readonly byte[] _fetched = new byte[FetchBurst * LegacyRxDescriptor.Size];
    private int _fetchedFrom;
    private int _fetchedCount;

    /// <summary>
    /// A queue over <paramref name="ring"/> posting buffers of <paramref name="bufferSize"/> bytes, up to
    /// <paramref name="buffersPerBlock"/> of them per pushed node (more than one needs page-sized, page-aligned
    /// buffers: a buffer must not cross a physical extent). With <paramref name="spareBlocks"/> above zero a block whose
    /// buffers were all consumed is kept, still pinned (up to that many), and posted again instead of a fresh one as
    /// soon as no CTRN or other pin holds its pages any more (<see cref="MemoryManager.IsSoleHolder"/>): its pages stay
    /// the ones it was pushed with, physically contiguous when the arena was, so frames keep arriving as one DMA run
    /// and one extent, where fresh blocks from a long-running arena's free pages come in many pieces.
    /// </summary>
    public RxQueue(MemoryManager memory, TsId ts, DescriptorRing ring, int bufferSize, string frameNamePrefix, int buffersPerBlock = 1, int spareBlocks = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(buffersPerBlock);
        ArgumentOutOfRangeException.ThrowIfNegative(spareBlocks);
        _spares = new Block[spareBlocks];
        _memory = memory;
        _ts = ts;
        _ring = ring;
        _bufferSize = bufferSize;
        _buffersPerBlock = Math.Min(buffersPerBlock, ring.Count - 1);
        _slots = new Slot[ring.Count];
        _blocks = new Block[ring.Count];
        _freeBlocks = new int[ring.Count];
        _runs = new Run[ring.Count];
        for (var i = 0; i < ring.Count; i++)
        {
            _freeBlocks[i] = ring.Count - 1 - i;
        }

        _freeBlockCount = ring.Count;
        _posting = new byte[_buffersPerBlock * LegacyRxDescriptor.Size];

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
    /// Posts fresh buffers into the free slots, a block at a time. While at least a block's worth of buffers
    /// is still posted it waits for a whole block of free slots, so blocks stay large. Returns how many buffers
    /// it posted; stops early (and returns the memory error) only if the arena runs out, leaving the ring
    /// partly filled. The caller writes <see cref="DescriptorRing.Tail"/> to RDT when this returns more than zero.
    /// </summary>
    public MemoryResult<int> Fill()
    {
        var posted = 0;
        while (!_ring.IsFull)
        {
            int count = Math.Min(_ring.Free, _buffersPerBlock);
            if (count < _buffersPerBlock && _ring.InUse >= _buffersPerBlock)
            {
                break;
            }

            var first = _ring.Tail;
            if (TryRepost(first, count))
            {
                posted += count;
                continue;
            }

            // Not zeroed: the device overwrites a buffer before the driver shares exactly the bytes it wrote (Poll).
            var pushed = _memory.PushUnzeroed(_ts, _bufferNames[first], count * _bufferSize, Rights.All);
            if (!pushed.IsOk)
            {
                return MemoryResult<int>.Fail(pushed.Error, pushed.Detail);
            }

            var buffer = pushed.Value;
            var pinned = _memory.Pin(_ts, buffer, ref _extents, out int extentCount);
            var info = pinned.IsOk ? _memory.Locate(_ts, buffer) : default;
            var written = pinned.IsOk && info.IsOk ? WriteBlock(first, count, _extents, extentCount) : MemoryResult.Fail(pinned.IsOk ? info.Error : pinned.Error, "RX block not pinned");
            if (!written.IsOk)
            {
                if (pinned.IsOk)
                {
                    _memory.Unpin(pinned.Value);
                }

                _memory.Release(_ts, buffer);
                return MemoryResult<int>.Fail(written.Error, written.Detail);
            }

            // A block that may be recycled keeps its own copy of the extents its descriptors are written from.
            var extents = _spares.Length > 0 ? _extents.AsSpan(0, extentCount).ToArray() : null;
            Install(first, new Block(buffer, pinned.Value, info.Value.Gva, count, extents));
            posted += count;
        }

        return MemoryResult<int>.Ok(posted);
    }

    /// <summary>
    /// NAPI poll: takes the done frames in ring order until <paramref name="budget"/> descriptors are
    /// consumed (a frame spanning several is taken whole, even past the budget). With a
    /// <paramref name="handlerTs"/> each frame's bytes are shared there as one CTRN and added to
    /// <paramref name="frames"/>; without one, or with an error bit on any of its descriptors, it is
    /// dropped. A block whose last descriptor is consumed is unpinned and popped (or kept as a spare). Returns how many
    /// descriptors it consumed (at least the budget means more may be waiting). Call <see cref="Fill"/>
    /// afterwards to repost.
    /// </summary>
    public int Poll(int budget, TsId handlerTs, List<RxFrame> frames)
    {
        var consumed = 0;
        while (consumed < budget && !_ring.IsEmpty)
        {
            if (!FindFrame(out int count, out int length, out bool bad, out RxChecksum checksum))
            {
                break;
            }

            if (handlerTs.IsValid && !bad && length > 0)
            {
                var shared = ShareFrame(count, length, handlerTs);
                if (shared.IsOk)
                {
                    frames.Add(new RxFrame(shared.Value, length, checksum));
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

            // The CTRN (if any) holds its own page references; the blocks go once all their buffers are consumed.
            for (var k = 0; k < count; k++)
            {
                ReclaimOne();
            }

            consumed += count;
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

        return Fetch(0, out var descriptor) && (descriptor.Status & RxDescriptorStatus.Dd) != 0;
    }

    /// <summary>
    /// Shutdown, after the device was reset: unpins and pops every posted block and every spare one, then releases
    /// the ring. Frames the device wrote but nobody polled are dropped.
    /// </summary>
    public void Release()
    {
        while (!_ring.IsEmpty)
        {
            ReclaimOne();
        }

        while (_spareCount > 0)
        {
            Retire(TakeSpare());
        }

        _ring.Release();
    }

    /// <summary>
    /// Writes the descriptors of a block of <paramref name="count"/> buffers starting at ring slot
    /// <paramref name="first"/> from its pinned <paramref name="extents"/>: each buffer must lie inside one extent.
    /// </summary>
    private MemoryResult WriteBlock(int first, int count, PhysExtent[] extents, int extentCount)
    {
        int extent = 0;
        long inExtent = 0;
        for (var i = 0; i < count; i++)
        {
            while (extent < extentCount && inExtent >= extents[extent].Length)
            {
                inExtent -= extents[extent].Length;
                extent++;
            }

            if (extent == extentCount || inExtent + _bufferSize > extents[extent].Length)
            {
                return MemoryResult.Fail(MemoryError.InvalidArgument, "RX buffer is not one pinned contiguous extent");
            }

            LegacyRxDescriptor.Posted(extents[extent].Address + (ulong)inExtent).Write(_posting.AsSpan(i * LegacyRxDescriptor.Size));
            inExtent += _bufferSize;
        }

        return _ring.WriteSlots(first, _posting.AsSpan(0, count * LegacyRxDescriptor.Size));
    }

    /// <summary>
    /// The frame at the clean index: its descriptors up to the first with EOP, all done. False (nothing to
    /// take) while its first or last descriptor is not done yet. Bad: a frame error bit (not a checksum report), or
    /// a buffer before the last that is not full (the device fills them in order). <paramref name="checksum"/>: the
    /// EOP descriptor's checksum indication.
    /// </summary>
    private bool FindFrame(out int count, out int length, out bool bad, out RxChecksum checksum)
    {
        count = 0;
        length = 0;
        bad = false;
        checksum = RxChecksum.None;
        while (count < _ring.InUse)
        {
            if (!Fetch(count, out var read) || (read.Status & RxDescriptorStatus.Dd) == 0)
            {
                return false;
            }

            count++;
            length += read.Length;
            bool eop = (read.Status & RxDescriptorStatus.Eop) != 0;
            var errors = (RxDescriptorErrors)read.Errors;
            bad |= (errors & ~RxDescriptorErrors.Checksums) != 0 || (!eop && read.Length != _bufferSize);
            if (eop)
            {
                checksum = ChecksumOf(read.Status, errors);
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// The posted descriptor <paramref name="distance"/> slots past the clean index: from the last burst fetched if it
    /// holds it done, else from a new burst fetched from it on (up to <see cref="FetchBurst"/> posted descriptors in one
    /// ring access). False when the ring cannot be read.
    /// </summary>
    private bool Fetch(int distance, out LegacyRxDescriptor descriptor)
    {
        int index = (_ring.Clean + distance) & (_ring.Count - 1);
        int at = DescriptorRing.Distance(_fetchedFrom, index, _ring.Count);
        if (at < _fetchedCount)
        {
            descriptor = LegacyRxDescriptor.Read(_fetched.AsSpan(at * LegacyRxDescriptor.Size));
            if ((descriptor.Status & RxDescriptorStatus.Dd) != 0)
            {
                return true;
            }
        }

        int burst = Math.Min(FetchBurst, _ring.InUse - distance);
        var read = _ring.ReadSlots(index, _fetched.AsSpan(0, burst * LegacyRxDescriptor.Size));
        if (!read.IsOk)
        {
            _fetchedCount = 0;
            descriptor = default;
            return false;
        }

        _fetchedFrom = index;
        _fetchedCount = burst;
        descriptor = LegacyRxDescriptor.Read(_fetched);
        return true;
    }

    /// <summary>The checksum indication of an EOP descriptor (Linux's e1000_rx_checksum): nothing under IXSM, else IPCS/TCPCS with IPE/TCPE.</summary>
    internal static RxChecksum ChecksumOf(RxDescriptorStatus status, RxDescriptorErrors errors)
    {
        if ((status & RxDescriptorStatus.Ixsm) != 0)
        {
            return RxChecksum.None;
        }

        var checksum = RxChecksum.None;
        if ((status & RxDescriptorStatus.IpCs) != 0)
        {
            checksum |= (errors & RxDescriptorErrors.Ipe) != 0 ? RxChecksum.Ipv4Bad : RxChecksum.Ipv4Good;
        }

        if ((status & RxDescriptorStatus.TcpCs) != 0)
        {
            checksum |= (errors & RxDescriptorErrors.Tcpe) != 0 ? RxChecksum.TransportBad : RxChecksum.TransportGood;
        }

        return checksum;
    }

    /// <summary>
    /// Shares the <paramref name="length"/> bytes of the frame in the next <paramref name="count"/> descriptors to
    /// <paramref name="handlerTs"/>: one <c>ct_share</c> per block it touches, joined by <c>merge</c> there when it
    /// touches more than one. On failure nothing is left in the handler's TS.
    /// </summary>
    private MemoryResult<Capability> ShareFrame(int count, int length, TsId handlerTs)
    {
        // The frame's runs: consecutive buffers of one block are consecutive bytes of its node.
        int runs = 0;
        int left = length;
        for (var k = 0; k < count; k++)
        {
            var slot = _slots[(_ring.Clean + k) & (_ring.Count - 1)];
            int piece = Math.Min(left, _bufferSize);
            left -= piece;
            if (runs > 0 && _runs[runs - 1].Block == slot.Block)
            {
                _runs[runs - 1] = _runs[runs - 1] with { Length = _runs[runs - 1].Length + piece };
            }
            else
            {
                _runs[runs++] = new Run(slot.Block, slot.Offset, piece);
            }
        }

        string name = _frameNames[_ring.Clean];
        Capability frame = default;
        for (var r = 0; r < runs; r++)
        {
            var run = _runs[r];
            var block = _blocks[run.Block];
            var shared = _memory.CtShare(_ts, block.Buffer, block.Gva.Add(run.Offset), run.Length, handlerTs, name, Rights.All);
            if (!shared.IsOk)
            {
                if (r > 0)
                {
                    _memory.Release(handlerTs, frame);
                }

                return shared;
            }

            if (r == 0)
            {
                frame = shared.Value;
                continue;
            }

            // Both pieces are CTRNs the driver minted in the handler's TS and still holds (one owner): they are
            // joined there, where they live, before the frame is handed over. Merge consumes both on success only.
            var merged = _memory.Merge(handlerTs, frame, shared.Value, name);
            if (!merged.IsOk)
            {
                _memory.Release(handlerTs, frame);
                _memory.Release(handlerTs, shared.Value);
                return merged;
            }

            frame = merged.Value;
        }

        return MemoryResult<Capability>.Ok(frame);
    }

    /// <summary>Reclaims the descriptor at the clean index; its block is unpinned and popped with its last one.</summary>
    private void ReclaimOne()
    {
        int index = _ring.Clean;
        int blockIndex = _slots[index].Block;
        _slots[index] = default;
        _ring.Reclaim(1);
        ref var block = ref _blocks[blockIndex];
        if (--block.Remaining > 0)
        {
            return;
        }

        if (_spares.Length > 0)
        {
            if (_spareCount == _spares.Length)
            {
                // The oldest spare is still held elsewhere (an app keeps a frame): it goes the ordinary way.
                Retire(TakeSpare());
            }

            _spares[(_spareHead + _spareCount++) % _spares.Length] = block;
        }
        else
        {
            Retire(block);
        }

        block = default;
        _freeBlocks[_freeBlockCount++] = blockIndex;
    }

    /// <summary>
    /// Posts a spare block again at ring slot <paramref name="first"/>: the oldest that has <paramref name="count"/>
    /// buffers and whose pages the driver alone holds (its node, its one pin), so a frame an app keeps does not hold
    /// back the spares behind its block; false to push a fresh block. A spare whose node is gone (its TS lifted) is dropped.
    /// </summary>
    private bool TryRepost(int first, int count)
    {
        for (int k = 0; k < _spareCount;)
        {
            var spare = _spares[(_spareHead + k) % _spares.Length];
            var sole = _memory.IsSoleHolder(_ts, spare.Buffer, pins: 1);
            if (!sole.IsOk)
            {
                Retire(TakeSpareAt(k));
                continue;
            }

            if (sole.Value && spare.Buffers == count && WriteBlock(first, count, spare.Extents!, spare.Extents!.Length).IsOk)
            {
                TakeSpareAt(k);
                Install(first, spare with { Remaining = count });
                return true;
            }

            k++;
        }

        return false;
    }

    /// <summary>Puts <paramref name="block"/>, its descriptors written from ring slot <paramref name="first"/> on, in the ring's slots and hands them to the device.</summary>
    private void Install(int first, Block block)
    {
        int index = _freeBlocks[--_freeBlockCount];
        _blocks[index] = block;
        for (var i = 0; i < block.Buffers; i++)
        {
            _slots[(first + i) & (_ring.Count - 1)] = new Slot(index, i * _bufferSize);
        }

        _ring.Produce(block.Buffers);
        _fetchedCount = 0;
    }

    private Block TakeSpare() => TakeSpareAt(0);

    /// <summary>Takes the spare <paramref name="k"/> places from the oldest out of the queue; the younger ones move up.</summary>
    private Block TakeSpareAt(int k)
    {
        var spare = _spares[(_spareHead + k) % _spares.Length];
        if (k == 0)
        {
            _spares[_spareHead] = default;
            _spareHead = (_spareHead + 1) % _spares.Length;
        }
        else
        {
            for (int j = k; j < _spareCount - 1; j++)
            {
                _spares[(_spareHead + j) % _spares.Length] = _spares[(_spareHead + j + 1) % _spares.Length];
            }

            _spares[(_spareHead + _spareCount - 1) % _spares.Length] = default;
        }

        _spareCount--;
        return spare;
    }

    /// <summary>Unpins and pops a block: its pages go back to the arena once the CTRNs shared from it are gone too.</summary>
    private void Retire(Block block)
    {
        _memory.Unpin(block.PinId);
        _memory.Release(_ts, block.Buffer);
    }

    private readonly record struct Slot(int Block, int Offset);

    private readonly record struct Run(int Block, int Offset, int Length);

    private record struct Block(Capability Buffer, ulong PinId, Gva Gva, int Buffers, PhysExtent[]? Extents)
    {
        // Buffers not consumed yet.
        public int Remaining = Buffers;
    }
}
