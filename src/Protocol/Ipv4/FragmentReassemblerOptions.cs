namespace Edsos.Protocol.Ipv4;

/// <summary>Limits of a <see cref="FragmentReassembler{TFragment}"/>.</summary>
public sealed record FragmentReassemblerOptions
{
    /// <summary>How long a datagram may take to complete, from its first fragment (Linux ipfrag_time, 30 s;
    /// RFC 791 suggests a timer of at least 15 s).</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Datagrams reassembled at once; a new one beyond this evicts the oldest, which bounds the
    /// buffers an attacker can pin by sending first fragments only.</summary>
    public int MaxReassemblies { get; init; } = 64;

    /// <summary>Largest reassembled datagram, header included (RFC 791: 65535). The header is counted as
    /// the minimum 20 bytes, since options appear only in the first fragment.</summary>
    public int MaxDatagramLength { get; init; } = ushort.MaxValue;
}
