using System.Runtime.CompilerServices;
using Edsos.Memory;
using Edsos.Protocol.Wire;

namespace Edsos.Protocol;

/// <summary>
/// Node operations every worker of the stack needs in the same shape: release on an error path,
/// share a whole node into another TS, checksum a node range without copying it.
/// </summary>
internal static class NodeOps
{
    // Cached once: a lambda per call would allocate a delegate per packet.
    private static readonly SegmentVisitor<ChecksumAccumulator> s_sum = static (ref ChecksumAccumulator sum, ReadOnlySpan<byte> segment) => sum.Add(segment);

    /// <summary>
    /// Releases <paramref name="node"/> through <see cref="MemoryManager.Release"/> (a no-op for
    /// default), naming the caller's place. A failure is not an error to act on here: a node revoked
    /// by a lift is already gone, and a double release is recorded by the manager for the leak report.
    /// Returns 1 when a pop succeeded, 0 otherwise (for the stop report).
    /// </summary>
    public static int Release(MemoryManager memory, TsId caller, Capability node, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        if (node == default)
        {
            return 0;
        }

        return memory.Release(caller, node, file, line).IsOk ? 1 : 0;
    }

    /// <summary>
    /// <c>ct_share</c>s all of <paramref name="node"/> into <paramref name="target"/> with the node's
    /// rights narrowed to <paramref name="rights"/>; the source stays and remains the caller's to pop.
    /// Fails like <see cref="MemoryManager.Locate"/> and <see cref="MemoryManager.CtShare"/>
    /// (InvalidGva when the node was revoked).
    /// </summary>
    public static MemoryResult<Capability> ShareWhole(MemoryManager memory, TsId caller, Capability node, TsId target, string name, Rights rights, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        var info = memory.Locate(caller, node);
        if (!info.IsOk)
        {
            return info.AsResult();
        }

        return memory.CtShare(caller, node, info.Value.Gva, info.Value.Length, target, name, rights & node.Rights, file, line);
    }

    /// <summary>
    /// Adds bytes [<paramref name="offset"/>, +<paramref name="length"/>) of <paramref name="node"/> to
    /// <paramref name="sum"/> by visiting the arena segments in place (no copy, nothing counted).
    /// A zero length succeeds without touching the node.
    /// </summary>
    public static MemoryResult Sum(MemoryManager memory, TsId caller, Capability node, int offset, int length, ref ChecksumAccumulator sum)
    {
        if (length == 0)
        {
            return MemoryResult.Ok;
        }

        return memory.Visit(caller, node, offset, length, ref sum, s_sum);
    }

    /// <summary>Maps a failed memory operation on a datagram to the errno a sender sees (<see cref="MemoryErrno.From"/>).</summary>
    public static Errno ToErrno(MemoryError error) => MemoryErrno.From(error);
}
