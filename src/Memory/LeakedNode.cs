namespace Edsos.Memory;

/// <summary>One live node in a <see cref="LeakReport"/>.</summary>
/// <param name="NodeId">The node table slot.</param>
/// <param name="Path">Node path.</param>
/// <param name="Owner">Owner TS.</param>
/// <param name="OwnerPath">Owner TS path.</param>
/// <param name="IsCtrn">True for a CTRN.</param>
/// <param name="Length">Length in bytes.</param>
/// <param name="Place">Where the push, ct_share, divide, merge or grant that made it was called.</param>
public sealed record LeakedNode(uint NodeId, string Path, TsId Owner, string OwnerPath, bool IsCtrn, int Length, CodePlace Place);
