namespace Edsos.Memory;

/// <summary>What one <see cref="MemoryManager.Lift"/> did.</summary>
/// <param name="NodesRevoked">Nodes revoked: owned by the TS or originating in it (CTRNs included).</param>
/// <param name="CtrnsRevoked">How many of those were CTRNs.</param>
/// <param name="PagesFreed">Pages returned to the free list now.</param>
/// <param name="PagesDeferredByPins">Pages no node references any more but a pin still holds; freed at the last unpin.</param>
public sealed record LiftReport(int NodesRevoked, int CtrnsRevoked, int PagesFreed, int PagesDeferredByPins);
