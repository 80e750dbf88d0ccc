namespace Edsos.Memory;

/// <summary>
/// Called by <see cref="MemoryManager.Fill{TState}"/> once per physically contiguous segment, in order, with the
/// arena bytes themselves to write (no staging buffer, no copy). The span is valid only during the call.
/// </summary>
/// <typeparam name="TState">Caller state threaded through the calls (for example the position in a pattern).</typeparam>
public delegate void SegmentFiller<TState>(ref TState state, Span<byte> segment);
