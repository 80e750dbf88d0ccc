namespace Edsos.Memory;

/// <summary>One TS: tree links, its GVA bump allocator and its sorted GVA index for TLB checks.</summary>
internal sealed class TsRecord
{
    public required TsId Id { get; init; }

    public required string Path { get; init; }

    public required TsKind Kind { get; set; }

    public required TsId Parent { get; init; }

    public bool Alive { get; set; } = true;

    public List<TsId> Children { get; } = [];

    /// <summary>Next free GVA offset. Never moves back, so a GVA of a dead node never names a later node.</summary>
    public ulong NextGva { get; set; }

    /// <summary>Live nodes owned by this TS by first GVA offset.</summary>
    public SortedList<ulong, uint> Index { get; } = [];
}
