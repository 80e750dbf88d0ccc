namespace Edsos.Memory;

/// <summary>
/// A live node's state. Mutable only under the manager's lock; <see cref="Extents"/> is replaced
/// wholesale (never edited in place) so a copy taken under the lock stays valid outside it.
/// </summary>
internal sealed class Node
{
    public required uint Id { get; init; }

    /// <summary>Path of the node this one was divided from (or its own path if never divided).</summary>
    public required string RootPath { get; init; }

    /// <summary>Offset of this node's first byte inside the node named by <see cref="RootPath"/>.</summary>
    public required long RootStart { get; init; }

    public required bool IsDivided { get; init; }

    public required TsId Owner { get; init; }

    public required ulong GvaBase { get; init; }

    public required int Length { get; init; }

    public required Rights Rights { get; init; }

    public required bool IsCtrn { get; init; }

    /// <summary>TSs whose exit revokes this node, ascending and distinct.</summary>
    public required TsId[] Origins { get; init; }

    public required PhysExtent[] Extents { get; set; }

    /// <summary>Where the operation that made this node was called (leak reports name it).</summary>
    public required CodePlace Place { get; init; }

    public string Path => IsDivided ? $"{RootPath}[{RootStart}+{Length}]" : RootPath;

    public ulong GvaEnd => GvaBase + (ulong)Length;
}
