using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Edsos.Memory;

/// <summary>
/// The EDSOS memory model (seed 000, DESIGN.md section 3): a tree of TSs, nodes with GVA ranges
/// and scatter lists over one physical arena, unforgeable capabilities, CTRN sharing, lift on TS
/// exit, DMA pins and an accounted copy routine. Every failed check returns a
/// <see cref="MemoryResult"/> error; the manager never throws for a bad capability, GVA or range,
/// and never hands out memory on a failed check.
/// </summary>
/// <remarks>
/// Locking design. Operations arrive from many actor threads at once.
/// <list type="bullet">
/// <item>One lock, <c>_gate</c>, guards all structural state: the node table, the TS tree and its
/// GVA indexes, the page allocator (reference and pin counts) and the pin registry. Every
/// operation validates and mutates under it, so checks and effects are atomic: a capability
/// checked live cannot be lifted before the operation takes effect.</item>
/// <item>Byte traffic (Read, Write, Visit, DmaRead, DmaWrite) does not copy under the lock. Under
/// the lock it checks, computes the extents and takes a temporary pin on their pages; it then
/// copies (or calls the visitor) outside the lock and finally drops the pin under the lock. The
/// pin keeps the pages allocated if a concurrent Lift or Pop drops the last reference mid-copy,
/// so no page is reused while bytes still move; and a visitor that calls back into the manager
/// cannot deadlock. Revocation is therefore effective for operations that start after Lift
/// returns; one already past its check finishes on pages that are still allocated.</item>
/// <item>Byte counters are updated with <see cref="Interlocked"/>, outside the lock.</item>
/// <item>Copy-on-write page copies are made under the lock: they change the scatter list and are
/// at most one page per touched page, a bounded cost.</item>
/// </list>
/// Dispose only when no operation is in flight.
/// </remarks>
public sealed partial class MemoryManager : IDisposable
{
    private const ulong FirstGva = 0x10000;

    private readonly Lock _gate = new();
    private readonly IArenaBacking _backing;
    private readonly PageAllocator _pages;
    private readonly int _pageSize;
    private readonly ulong _key0;
    private readonly ulong _key1;

    // Node table: slot index = node id; slot 0 stays empty so default(Capability) never resolves.
    private readonly List<NodeSlot> _slots = [new NodeSlot()];

    // FIFO reuse keeps a freed slot idle as long as possible, so a lifted capability keeps
    // reporting InvalidGva (not Stale) for as long as possible.
    private readonly Queue<int> _freeSlots = new();

    // TS tree: index = TsId value; entry 0 unused.
    private readonly List<TsRecord?> _ts = [null];
    private readonly Dictionary<string, TsId> _tsByPath = new(StringComparer.Ordinal);

    // Nodes by origin TS, so Lift finds every CTRN originating in a TS without a full scan.
    private readonly Dictionary<TsId, HashSet<uint>> _byOrigin = [];

    private readonly Dictionary<ulong, PinRecord> _pins = [];
    private ulong _nextPinId = 1;
    private int _dmaPinCount;
    private int _liveNodes;
    private int _liveCtrns;
    private bool _disposed;

    private long _payloadBytes;
    private long _headerBytes;
    private long _metadataBytes;
    private long _applicationBytes;
    private long _cowBytes;
    private long _dmaBytesRead;
    private long _dmaBytesWritten;

    /// <summary>
    /// Creates a manager over <paramref name="backing"/> with a fresh random 128-bit capability
    /// key. The manager takes ownership of the backing and disposes it. Throws
    /// <see cref="ArgumentNullException"/> for a null backing.
    /// </summary>
    public MemoryManager(IArenaBacking backing)
    {
        ArgumentNullException.ThrowIfNull(backing);
        _backing = backing;
        _pageSize = backing.PageSize;
        _pages = new PageAllocator(backing.PageCount);

        Span<byte> key = stackalloc byte[16];
        RandomNumberGenerator.Fill(key);
        _key0 = BinaryPrimitives.ReadUInt64LittleEndian(key);
        _key1 = BinaryPrimitives.ReadUInt64LittleEndian(key[8..]);
        CryptographicOperations.ZeroMemory(key);

        var root = new TsRecord { Id = new TsId(1), Path = "/", Kind = TsKind.Kernel, Parent = TsId.None, NextGva = FirstGva };
        _ts.Add(root);
        _tsByPath["/"] = root.Id;
    }

    /// <summary>Creates a manager over a private native arena of <paramref name="pageCount"/> 4 KiB pages.</summary>
    public MemoryManager(int pageCount = 4096)
        : this(new NativeArenaBacking(pageCount))
    {
    }

    /// <summary>The physical arena (for devices that lay out rings in it, and for tests).</summary>
    public IArenaBacking Backing => _backing;

    /// <summary>Bytes per page.</summary>
    public int PageSize => _pageSize;

    /// <summary>The root TS, path "/", kernel kind; it always exists.</summary>
    public TsId Root => new(1);

    /// <summary>Disposes the backing. Later operations fail with <see cref="MemoryError.Disposed"/>. Idempotent.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _backing.Dispose();
        }
    }

    private Capability Mint(uint nodeId, uint generation, Rights rights)
    {
        return new Capability(nodeId, generation, rights, ComputeTag(nodeId, generation, rights));
    }

    private ulong ComputeTag(uint nodeId, uint generation, Rights rights)
    {
        Span<byte> message = stackalloc byte[9];
        BinaryPrimitives.WriteUInt32LittleEndian(message, nodeId);
        BinaryPrimitives.WriteUInt32LittleEndian(message[4..], generation);
        message[8] = (byte)rights;
        return SipHash.Compute(_key0, _key1, message);
    }

    private bool TagMatches(Capability cap)
    {
        // Constant-time comparison: a timing side channel must not let a forger learn tag bits.
        ulong expected = ComputeTag(cap.NodeId, cap.Generation, cap.Rights);
        Span<byte> a = stackalloc byte[8];
        Span<byte> b = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(a, expected);
        BinaryPrimitives.WriteUInt64LittleEndian(b, cap.Tag);
        return CryptographicOperations.FixedTimeEquals(a, b);
    }

    /// <summary>
    /// The generation after <paramref name="generation"/>; never wraps. <see cref="NodeSlot.LastGeneration"/>
    /// means the slot is used up and must be retired (see <see cref="NodeSlot"/>).
    /// </summary>
    private static uint NextGeneration(uint generation) => generation >= NodeSlot.LastGeneration - 1 ? NodeSlot.LastGeneration : generation + 1;
}
