namespace Edsos.Memory;

/// <summary>
/// A <see cref="MemoryManager.Release"/> of a node its owner had already released (popped, or
/// consumed by divide, merge or grant) at the same generation: a bug in the caller's ownership,
/// listed by <see cref="LeakReport"/> so a test run fails on it.
/// </summary>
/// <param name="Node">The capability released twice.</param>
/// <param name="Owner">The TS that released it the second time.</param>
/// <param name="OwnerPath">That TS's path.</param>
/// <param name="Place">Where the second release was called.</param>
public sealed record DoubleRelease(Capability Node, TsId Owner, string OwnerPath, CodePlace Place);
