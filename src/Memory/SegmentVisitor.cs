namespace Edsos.Memory;

/// <summary>
/// Called by <see cref="MemoryManager.Visit{TState}"/> once per physically contiguous segment, in
/// order, over the arena bytes themselves (no copy). The span is valid only during the call.
/// </summary>
/// <typeparam name="TState">Caller state threaded through the calls (for example a running checksum).</typeparam>
public delegate void SegmentVisitor<TState>(ref TState state, ReadOnlySpan<byte> segment);
