namespace Edsos.Driver;

/// <summary>
/// What the NIC found when it verified a received frame's checksums (receive checksum offload, e1000 RXCSUM: the
/// IPCS/TCPCS status and IPE/TCPE error bits of the frame's last descriptor). A stack may skip its own verification of a
/// checksum the NIC reports good (Linux's CHECKSUM_UNNECESSARY); one reported bad, or not checked, it verifies itself.
/// </summary>
[Flags]
public enum RxChecksum : byte
{
    /// <summary>Nothing checked (offload off, not IPv4, or a frame the device does not parse).</summary>
    None = 0,

    /// <summary>The IPv4 header checksum was checked and is good.</summary>
    Ipv4Good = 0x01,

    /// <summary>The IPv4 header checksum was checked and is wrong.</summary>
    Ipv4Bad = 0x02,

    /// <summary>The TCP or UDP checksum (pseudo-header, header and payload) was checked and is good.</summary>
    TransportGood = 0x04,

    /// <summary>The TCP or UDP checksum was checked and is wrong.</summary>
    TransportBad = 0x08,
}
