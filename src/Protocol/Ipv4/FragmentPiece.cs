namespace Edsos.Protocol.Ipv4;

/// <summary>One planned fragment: which slice of the original IP payload it carries, and its MF flag.</summary>
/// <param name="Offset">Byte offset into the original payload (a multiple of 8).</param>
/// <param name="Length">Payload bytes in this fragment.</param>
/// <param name="MoreFragments">MF flag: true for all but the last piece.</param>
public readonly record struct FragmentPiece(int Offset, int Length, bool MoreFragments);
