using Edsos.Memory;

namespace Edsos.Driver.Ring;

/// <summary>
/// The driver's side of a descriptor ring: <see cref="Count"/> 16-byte descriptors in a node the
/// driver <c>push</c>ed in its own TS and pinned, so the device can DMA the ring while the driver
/// writes it through accounted metadata writes.
/// <para>
/// Indices follow the e1000 convention. The driver produces at <see cref="Tail"/> (the value it
/// writes to TDT/RDT) and reclaims at <see cref="Clean"/>; the slots in [Clean, Tail) belong to
/// the device or wait to be reclaimed. One slot always stays unused, so Tail == Clean means empty
/// and a full ring holds <c>Count - 1</c> descriptors (the device can then tell full from empty
/// with head and tail alone).
/// </para>
/// Not thread-safe: one actor owns it.
/// </summary>
public sealed class DescriptorRing
{
    /// <summary>The default ring size: 256 descriptors, one 4 KiB page.</summary>
    public const int DefaultCount = 256;

    private readonly MemoryManager _memory;
    private readonly TsId _owner;
    private readonly int _mask;
    private ulong _pinId;
    private bool _released;

    private DescriptorRing(MemoryManager memory, TsId owner, Capability node, DmaPin pin, int count)
    {
        _memory = memory;
        _owner = owner;
        Node = node;
        _pinId = pin.PinId;
        Extents = pin.Extents;
        Count = count;
        _mask = count - 1;
    }

    /// <summary>Descriptors in the ring (a power of two).</summary>
    public int Count { get; }

    /// <summary>The ring's node in the owner TS.</summary>
    public Capability Node { get; }

    /// <summary>The ring's pinned physical extents, in ring byte order: what the device is programmed with.</summary>
    public IReadOnlyList<PhysExtent> Extents { get; }

    /// <summary>Physical address of the first descriptor (the TDBA/RDBA register value).</summary>
    public ulong BaseAddress => Extents[0].Address;

    /// <summary>Ring length in bytes (the TDLEN/RDLEN register value).</summary>
    public int ByteLength => Count * LegacyTxDescriptor.Size;

    /// <summary>The next slot the driver fills; the value it writes to the tail register.</summary>
    public int Tail { get; private set; }

    /// <summary>The next slot the driver reclaims (the oldest slot not yet reclaimed).</summary>
    public int Clean { get; private set; }

    /// <summary>Slots handed to the device and not yet reclaimed.</summary>
    public int InUse => Distance(Clean, Tail, Count);

    /// <summary>Slots the driver may still fill (one slot always stays unused).</summary>
    public int Free => Count - 1 - InUse;

    /// <summary>True when nothing is outstanding.</summary>
    public bool IsEmpty => Tail == Clean;

    /// <summary>True when no slot can be filled.</summary>
    public bool IsFull => Free == 0;

    /// <summary>
    /// Pushes a node of <c>count * 16</c> bytes named <paramref name="name"/> in
    /// <paramref name="owner"/> and pins it for DMA. Fails with the memory error of the push or
    /// the pin (nothing is left allocated then); throws <see cref="ArgumentOutOfRangeException"/>
    /// when <paramref name="count"/> is not a power of two of at least 8 (e1000 rings are
    /// multiples of 128 bytes).
    /// </summary>
    public static MemoryResult<DescriptorRing> Create(MemoryManager memory, TsId owner, string name, int count = DefaultCount)
    {
        ArgumentNullException.ThrowIfNull(memory);
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 8);
        if ((count & (count - 1)) != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(count), count, "a ring size must be a power of two");
        }

        var node = memory.Push(owner, name, count * LegacyTxDescriptor.Size, Rights.Read | Rights.Write | Rights.Map);
        if (!node.IsOk)
        {
            return MemoryResult<DescriptorRing>.Fail(node.Error, node.Detail);
        }

        var pin = memory.Pin(owner, node.Value);
        if (!pin.IsOk)
        {
            memory.Release(owner, node.Value);
            return MemoryResult<DescriptorRing>.Fail(pin.Error, pin.Detail);
        }

        // Push hands out zeroed pages, so no slot starts with a stale DD bit.
        var ring = new DescriptorRing(memory, owner, node.Value, pin.Value, count);
        return MemoryResult<DescriptorRing>.Ok(ring);
    }

    /// <summary>Slots from <paramref name="from"/> forward to <paramref name="to"/> in a ring of <paramref name="count"/> (a power of two).</summary>
    public static int Distance(int from, int to, int count) => (to - from) & (count - 1);

    /// <summary>The slot <paramref name="steps"/> after <paramref name="index"/>, wrapping.</summary>
    public int Next(int index, int steps = 1) => (index + steps) & _mask;

    /// <summary>
    /// Moves <see cref="Tail"/> forward by <paramref name="slots"/> after the driver filled them.
    /// Throws <see cref="InvalidOperationException"/> if that would overrun <see cref="Free"/>: a driver bug.
    /// </summary>
    public void Produce(int slots)
    {
        if (slots < 0 || slots > Free)
        {
            throw new InvalidOperationException($"cannot produce {slots} slot(s): {Free} free");
        }

        Tail = Next(Tail, slots);
    }

    /// <summary>
    /// Moves <see cref="Clean"/> forward by <paramref name="slots"/> after the driver reclaimed them.
    /// Throws <see cref="InvalidOperationException"/> if that would pass <see cref="Tail"/>: a driver bug.
    /// </summary>
    public void Reclaim(int slots)
    {
        if (slots < 0 || slots > InUse)
        {
            throw new InvalidOperationException($"cannot reclaim {slots} slot(s): {InUse} in use");
        }

        Clean = Next(Clean, slots);
    }

    /// <summary>Writes a TX descriptor into slot <paramref name="index"/> (an accounted metadata write). Fails with the memory error.</summary>
    public MemoryResult WriteTx(int index, in LegacyTxDescriptor descriptor)
    {
        Span<byte> bytes = stackalloc byte[LegacyTxDescriptor.Size];
        descriptor.Write(bytes);
        return WriteSlot(index, bytes);
    }

    /// <summary>Writes a TCP/IP context descriptor into slot <paramref name="index"/> (an accounted metadata write). Fails with the memory error.</summary>
    public MemoryResult WriteTx(int index, in TcpIpContextTxDescriptor descriptor)
    {
        Span<byte> bytes = stackalloc byte[TxDescriptorLayout.Size];
        descriptor.Write(bytes);
        return WriteSlot(index, bytes);
    }

    /// <summary>Writes a TCP/IP data descriptor into slot <paramref name="index"/> (an accounted metadata write). Fails with the memory error.</summary>
    public MemoryResult WriteTx(int index, in TcpIpDataTxDescriptor descriptor)
    {
        Span<byte> bytes = stackalloc byte[TxDescriptorLayout.Size];
        descriptor.Write(bytes);
        return WriteSlot(index, bytes);
    }

    /// <summary>
    /// Reads the raw 16 bytes of TX slot <paramref name="index"/> into <paramref name="bytes"/> (an accounted
    /// metadata read), whatever the descriptor's format; classify them with <see cref="TxDescriptorLayout.Classify"/>.
    /// </summary>
    public MemoryResult ReadTxSlot(int index, Span<byte> bytes) => ReadSlot(index, bytes[..TxDescriptorLayout.Size]);

    /// <summary>
    /// Reads the TX descriptor in slot <paramref name="index"/> as a legacy one (an accounted metadata read).
    /// Its <see cref="LegacyTxDescriptor.Status"/> is right whatever the slot's format: STA is at offset 12 in all
    /// of them. Fails with the memory error.
    /// </summary>
    public MemoryResult<LegacyTxDescriptor> ReadTx(int index)
    {
        Span<byte> bytes = stackalloc byte[LegacyTxDescriptor.Size];
        var read = ReadSlot(index, bytes);
        return read.IsOk ? MemoryResult<LegacyTxDescriptor>.Ok(LegacyTxDescriptor.Read(bytes)) : read;
    }

    /// <summary>Writes an RX descriptor into slot <paramref name="index"/> (an accounted metadata write). Fails with the memory error.</summary>
    public MemoryResult WriteRx(int index, in LegacyRxDescriptor descriptor)
    {
        Span<byte> bytes = stackalloc byte[LegacyRxDescriptor.Size];
        descriptor.Write(bytes);
        return WriteSlot(index, bytes);
    }

    /// <summary>Reads the RX descriptor in slot <paramref name="index"/> (an accounted metadata read). Fails with the memory error.</summary>
    public MemoryResult<LegacyRxDescriptor> ReadRx(int index)
    {
        Span<byte> bytes = stackalloc byte[LegacyRxDescriptor.Size];
        var read = ReadSlot(index, bytes);
        return read.IsOk ? MemoryResult<LegacyRxDescriptor>.Ok(LegacyRxDescriptor.Read(bytes)) : read;
    }

    /// <summary>
    /// Reads the consecutive slots from <paramref name="first"/> on into <paramref name="bytes"/> (a whole number of
    /// descriptors, at most the ring): one access, or two where they wrap around the ring's end, so a driver fetches
    /// many descriptors for the price of one checked read.
    /// </summary>
    public MemoryResult ReadSlots(int first, Span<byte> bytes)
    {
        CheckIndex(first);
        CheckRange(bytes.Length);
        int head = Math.Min(bytes.Length, (Count - first) * LegacyTxDescriptor.Size);
        var read = _memory.Read(_owner, Node, first * LegacyTxDescriptor.Size, bytes[..head], CopyKind.Metadata);
        return !read.IsOk || head == bytes.Length ? read : _memory.Read(_owner, Node, 0, bytes[head..], CopyKind.Metadata);
    }

    /// <summary>Writes <paramref name="bytes"/> as the consecutive slots from <paramref name="first"/> on, as <see cref="ReadSlots"/> reads them.</summary>
    public MemoryResult WriteSlots(int first, ReadOnlySpan<byte> bytes)
    {
        CheckIndex(first);
        CheckRange(bytes.Length);
        int head = Math.Min(bytes.Length, (Count - first) * LegacyTxDescriptor.Size);
        var written = _memory.Write(_owner, Node, first * LegacyTxDescriptor.Size, bytes[..head], CopyKind.Metadata);
        return !written.IsOk || head == bytes.Length ? written : _memory.Write(_owner, Node, 0, bytes[head..], CopyKind.Metadata);
    }

    /// <summary>
    /// Unpins and pops the ring's node. Call only once the device no longer uses the ring (after a
    /// reset). Idempotent; returns the first failure, after still attempting the pop.
    /// </summary>
    public MemoryResult Release()
    {
        if (_released)
        {
            return MemoryResult.Ok;
        }

        _released = true;
        var unpinned = _memory.Unpin(_pinId);
        _pinId = 0;
        var popped = _memory.Release(_owner, Node);
        return unpinned.IsOk ? popped : unpinned;
    }

    private MemoryResult WriteSlot(int index, ReadOnlySpan<byte> bytes)
    {
        CheckIndex(index);
        return _memory.Write(_owner, Node, index * LegacyTxDescriptor.Size, bytes, CopyKind.Metadata);
    }

    private MemoryResult ReadSlot(int index, Span<byte> bytes)
    {
        CheckIndex(index);
        return _memory.Read(_owner, Node, index * LegacyTxDescriptor.Size, bytes, CopyKind.Metadata);
    }

    private void CheckRange(int length)
    {
        if (length % LegacyTxDescriptor.Size != 0 || length > ByteLength)
        {
            throw new ArgumentOutOfRangeException(nameof(length), length, $"a whole number of {LegacyTxDescriptor.Size}-byte descriptors, at most the ring's {Count}");
        }
    }

    private void CheckIndex(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
        ObjectDisposedException.ThrowIf(_released, this);
    }
}
