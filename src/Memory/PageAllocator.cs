namespace Edsos.Memory;

/// <summary>
/// Page bookkeeping for one arena: a free list, a reference count per page (one per node extent
/// spanning it) and pin counts (all pins, and DMA pins among them). A page returns to the free
/// list only when its reference count and pin count are both zero, so a device never DMAs into a
/// page that has been handed to someone else. Not synchronised: the manager's lock guards it.
/// </summary>
internal sealed class PageAllocator
{
    private readonly int[] _refs;
    private readonly int[] _pins;
    private readonly int[] _dmaPins;
    private readonly bool[] _free;
    private readonly int[] _freeStack;
    private int _freeCount;

    public PageAllocator(int pageCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(pageCount);
        PageCount = pageCount;
        _refs = new int[pageCount];
        _pins = new int[pageCount];
        _dmaPins = new int[pageCount];
        _free = new bool[pageCount];
        _freeStack = new int[pageCount];

        // Stacked in descending order so a fresh arena hands out pages 0, 1, 2, ...: consecutive
        // allocations are physically contiguous and coalesce into few extents.
        for (int pfn = pageCount - 1; pfn >= 0; pfn--)
        {
            _freeStack[_freeCount++] = pfn;
            _free[pfn] = true;
        }
    }

    public int PageCount { get; }

    public int FreeCount => _freeCount;

    public int InUse => PageCount - _freeCount;

    public int RefCount(int pfn) => _refs[pfn];

    public int PinCount(int pfn) => _pins[pfn];

    public int DmaPinCount(int pfn) => _dmaPins[pfn];

    public bool IsFree(int pfn) => _free[pfn];

    /// <summary>
    /// Takes <paramref name="pfns"/>.Length pages, each with reference count 1. All or nothing:
    /// false (and no page taken) if not enough are free.
    /// </summary>
    public bool TryAllocate(Span<int> pfns)
    {
        if (pfns.Length > _freeCount)
        {
            return false;
        }

        for (int i = 0; i < pfns.Length; i++)
        {
            int pfn = _freeStack[--_freeCount];
            _free[pfn] = false;
            _refs[pfn] = 1;
            pfns[i] = pfn;
        }

        return true;
    }

    public void AddRef(int pfn)
    {
        if (_free[pfn])
        {
            throw new InvalidOperationException($"page {pfn} is free; a reference to it is a bookkeeping bug");
        }

        _refs[pfn]++;
    }

    /// <summary>Drops one reference. True if the page went back to the free list now.</summary>
    public bool Release(int pfn)
    {
        if (_refs[pfn] <= 0)
        {
            throw new InvalidOperationException($"page {pfn} released more often than referenced");
        }

        _refs[pfn]--;
        return TryFree(pfn);
    }

    public void Pin(int pfn, bool dma)
    {
        if (_free[pfn])
        {
            throw new InvalidOperationException($"page {pfn} is free and cannot be pinned");
        }

        _pins[pfn]++;
        if (dma)
        {
            _dmaPins[pfn]++;
        }
    }

    /// <summary>Drops one pin. True if the page went back to the free list now.</summary>
    public bool Unpin(int pfn, bool dma)
    {
        if (_pins[pfn] <= 0 || (dma && _dmaPins[pfn] <= 0))
        {
            throw new InvalidOperationException($"page {pfn} unpinned more often than pinned");
        }

        _pins[pfn]--;
        if (dma)
        {
            _dmaPins[pfn]--;
        }

        return TryFree(pfn);
    }

    private bool TryFree(int pfn)
    {
        if (_refs[pfn] != 0 || _pins[pfn] != 0)
        {
            return false;
        }

        _free[pfn] = true;
        _freeStack[_freeCount++] = pfn;
        return true;
    }
}
