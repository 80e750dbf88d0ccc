namespace Edsos.Protocol.Ipv4;

/// <summary>What <see cref="FragmentReassembler{TFragment}.Accept"/> did with a fragment.</summary>
public enum ReassemblyResult
{
    /// <summary>Held; the datagram still has holes.</summary>
    Incomplete,

    /// <summary>The datagram is whole: its handles, in offset order, were appended to the completed list.</summary>
    Complete,

    /// <summary>An exact copy of a held fragment (a retransmission): the new handle was released.</summary>
    Duplicate,

    /// <summary>The fragment overlaps held data or contradicts the known datagram end. The whole datagram
    /// is discarded (RFC 5722's rule, applied to IPv4 as Linux does): all its handles were released, and
    /// later fragments with the same key are released until the reassembly times out.</summary>
    Overlap,

    /// <summary>The fragment itself is invalid (offset not a multiple of 8, a non-final fragment whose
    /// length is not a multiple of 8, empty, beyond 65535 bytes, or not a fragment at all): only its
    /// handle was released.</summary>
    Invalid,
}
