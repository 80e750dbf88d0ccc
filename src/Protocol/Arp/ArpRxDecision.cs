using Edsos.Protocol.Wire;

namespace Edsos.Protocol.Arp;

/// <summary>
/// What a received ARP packet asks of the stack (<see cref="ArpResponder.Decide"/>): learn the sender's
/// mapping (creating the entry only when <paramref name="TargetedAtUs"/>, RFC 826's merge rule) and/or answer
/// a request for our address. Both false: ignore it (our own echo, or nothing for us).
/// </summary>
/// <param name="Learn">Tell the cache <c>SenderProtocolAddress</c> is at <c>SenderHardwareAddress</c>.</param>
/// <param name="TargetedAtUs">The packet's target protocol address is ours.</param>
/// <param name="Reply">Send an ARP reply to the sender.</param>
public readonly record struct ArpRxDecision(bool Learn, bool TargetedAtUs, bool Reply)
{
    /// <summary>Nothing to do.</summary>
    public static ArpRxDecision Ignore => default;
}
