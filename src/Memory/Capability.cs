namespace Edsos.Memory;

/// <summary>
/// An unforgeable reference to a node: plain data that travels in event messages (and between
/// processes as JSON). <see cref="Tag"/> is a SipHash-2-4 MAC, keyed per
/// <see cref="MemoryManager"/>, over (<see cref="NodeId"/>, <see cref="Generation"/>,
/// <see cref="Rights"/>): changing any field, for example widening the rights, makes the manager
/// reject it with <see cref="MemoryError.Forged"/>. <c>default</c> is never valid.
/// </summary>
/// <param name="NodeId">Slot index in the manager's node table.</param>
/// <param name="Generation">Generation of the slot when minted; a mismatch means popped, revoked or reused.</param>
/// <param name="Rights">Rights this capability grants.</param>
/// <param name="Tag">Keyed MAC over the other three fields.</param>
public readonly record struct Capability(uint NodeId, uint Generation, Rights Rights, ulong Tag)
{
    /// <summary>Formats as <c>cap(node#gen, rights)</c> without the tag, so logs never leak tags.</summary>
    public override string ToString() => $"cap({NodeId}#{Generation}, {Rights})";
}
