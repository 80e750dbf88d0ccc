using Edsos.Protocol.Wire;

namespace Edsos.Protocol.Arp;

/// <summary>
/// The receive half of ARP (RFC 826 "packet reception", RFC 5227): decides from a parsed
/// <see cref="ArpRepr"/> whether the sender's mapping is learnt and whether a request is answered. It holds
/// no cache and sends nothing: the IPv4 transmit side owns the <see cref="ArpCache{TPacket}"/> and the frames.
/// </summary>
/// <param name="mac">Our hardware address.</param>
/// <param name="address">Our protocol address.</param>
public sealed class ArpResponder(MacAddress mac, Ipv4Address address)
{
    /// <summary>
    /// The decision for <paramref name="arp"/>: our own packet echoed back (sender MAC ours) is ignored; a
    /// sender claiming a real address other than ours is learnt; a request whose target is our address and
    /// whose sender is not us is answered. Never fails.
    /// </summary>
    public ArpRxDecision Decide(in ArpRepr arp)
    {
        if (arp.SenderHardwareAddress == mac)
        {
            // Our own announcement or request echoed back by a loopback wire.
            return ArpRxDecision.Ignore;
        }

        bool targetedAtUs = arp.TargetProtocolAddress == address;
        bool senderIsOther = arp.SenderProtocolAddress != address;
        bool learn = !arp.SenderProtocolAddress.IsUnspecified && senderIsOther;
        bool reply = arp.Operation == ArpOperation.Request && targetedAtUs && senderIsOther;
        return new ArpRxDecision(learn, targetedAtUs, reply);
    }
}
