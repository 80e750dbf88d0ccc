namespace Edsos.Protocol.Wire;

/// <summary>
/// Why untrusted bytes were refused by a packet view's <c>TryCreate</c> or a repr's <c>TryParse</c>.
/// Parsing never throws on bad input; it reports one of these instead.
/// </summary>
public enum WireError
{
    /// <summary>No error: the input was accepted.</summary>
    None = 0,

    /// <summary>The buffer is shorter than the header, or shorter than a length field claims.</summary>
    Truncated,

    /// <summary>A field holds a value the RFC forbids (e.g. IPv4 IHL below 5, UDP length below 8).</summary>
    Malformed,

    /// <summary>A checksum did not verify.</summary>
    BadChecksum,

    /// <summary>The input is well-formed but describes something this stack does not implement
    /// (e.g. IP version 6 in an IPv4 header, ARP over a non-Ethernet link, an unknown ICMP type).</summary>
    Unsupported,
}
