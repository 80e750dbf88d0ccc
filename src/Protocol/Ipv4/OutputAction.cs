namespace Edsos.Protocol.Ipv4;

/// <summary>Where a datagram goes (<see cref="Ipv4OutputRouter.Decide"/>).</summary>
public enum OutputAction
{
    /// <summary>Refused: complete it with <see cref="OutputDecision.Error"/>.</summary>
    Fail,

    /// <summary>To one of our own addresses: injected into the receive side, no NIC (seed 002).</summary>
    Loopback,

    /// <summary>To a broadcast address: the broadcast MAC, no ARP.</summary>
    Broadcast,

    /// <summary>Resolve <see cref="OutputDecision.NextHop"/> with ARP, then send.</summary>
    Resolve,
}
