using Edsos.Memory;

namespace Edsos.SocketService;

/// <summary>
/// The one accounted copy of a payload from one node into another, used by the copy data path
/// (socket send into a kernel buffer, KPN receive into the user's buffer):
/// <see cref="MemoryManager.Visit{TState}"/> hands the source's segments in place and each is
/// written once with <see cref="MemoryManager.Write"/> as <see cref="CopyKind.Payload"/>, so the
/// payload counter grows by exactly the bytes copied. A struct threaded by ref and a static
/// delegate: nothing is allocated per datagram.
/// </summary>
public static class PayloadCopy
{
    private static readonly SegmentVisitor<State> s_visitor = static (ref State state, ReadOnlySpan<byte> segment) => state.Append(segment);

    /// <summary>
    /// Copies the first <paramref name="length"/> bytes of <paramref name="source"/> (visited as
    /// <paramref name="sourceCaller"/>) into <paramref name="target"/> at
    /// <paramref name="targetOffset"/> (written as <paramref name="targetCaller"/>). Returns Ok, or
    /// the first failure of either side (a revoked or stale node, missing rights, a range past the
    /// node); a failed copy may have written a prefix.
    /// </summary>
    public static MemoryResult Run(MemoryManager memory, TsId sourceCaller, Capability source, int length, TsId targetCaller, Capability target, int targetOffset)
    {
        ArgumentNullException.ThrowIfNull(memory);
        var state = new State(memory, targetCaller, target, targetOffset);
        var visited = memory.Visit(sourceCaller, source, 0, length, ref state, s_visitor);
        return visited.IsOk ? state.Error : visited;
    }

    private struct State
    {
        private readonly MemoryManager _memory;
        private readonly TsId _caller;
        private readonly Capability _target;
        private int _offset;

        public State(MemoryManager memory, TsId caller, Capability target, int offset)
        {
            _memory = memory;
            _caller = caller;
            _target = target;
            _offset = offset;
            Error = MemoryResult.Ok;
        }

        public MemoryResult Error { get; private set; }

        public void Append(ReadOnlySpan<byte> segment)
        {
            // After a failed write the rest is skipped: Visit cannot be stopped early.
            if (!Error.IsOk)
            {
                return;
            }

            var written = _memory.Write(_caller, _target, _offset, segment, CopyKind.Payload);
            if (!written.IsOk)
            {
                Error = written;
                return;
            }

            _offset += segment.Length;
        }
    }
}
