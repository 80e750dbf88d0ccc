namespace Edsos.Memory;

/// <summary>A snapshot of one live node, as returned by <see cref="MemoryManager.Inspect"/>.</summary>
/// <param name="NodeId">The node table slot.</param>
/// <param name="Path">TS path plus node name.</param>
/// <param name="Owner">The TS that owns (and alone may use) the node.</param>
/// <param name="Gva">First GVA of the node, in the owner's space.</param>
/// <param name="Length">Length in bytes.</param>
/// <param name="Rights">The node's own rights (the most any capability to it can carry).</param>
/// <param name="IsCtrn">True for a shared mount (made by CtShare, or merged/divided from one).</param>
/// <param name="Origins">TSs whose exit revokes the node, ascending.</param>
/// <param name="Extents">The scatter list, in node byte order.</param>
public sealed record NodeInfo(
    uint NodeId,
    string Path,
    TsId Owner,
    Gva Gva,
    int Length,
    Rights Rights,
    bool IsCtrn,
    IReadOnlyList<TsId> Origins,
    IReadOnlyList<PhysExtent> Extents);
