namespace Edsos.Memory;

/// <summary>
/// One memory operation as it took effect, for observers (<see cref="MemoryManager.Observe"/>):
/// test journals and trace span events (op, GVA, TS path, node path, refcount).
/// </summary>
/// <param name="Op">The operation.</param>
/// <param name="Caller">The TS on whose behalf it ran.</param>
/// <param name="NodeId">The node it produced (push, ct_share, merge, grant), consumed (divide, pop) or pinned; 0 for lift.</param>
/// <param name="Path">The node's path; for lift, the exiting TS's path.</param>
/// <param name="Owner">The TS owning the node (for lift, the exiting TS).</param>
/// <param name="Gva">The node's first GVA (default for lift).</param>
/// <param name="Length">The node's length; for lift, the number of nodes revoked.</param>
/// <param name="RefCount">References on the node's first page after the operation (0: freed, or lift).</param>
/// <param name="OwnerPath">
/// The path of <paramref name="Owner"/>'s TS (empty for unpin), carried in the record because an
/// observer runs under the manager's lock and cannot ask the manager for it.
/// </param>
public readonly record struct MemoryOpRecord(MemoryOp Op, TsId Caller, uint NodeId, string Path, TsId Owner, Gva Gva, int Length, int RefCount, string OwnerPath = "");
