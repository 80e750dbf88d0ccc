using Edsos.Protocol.Tcp;
using Edsos.Protocol.Wire;
using Edsos.SocketService;

namespace Edsos.Host.Peer;

/// <summary>How one EDSOS host on a TAP device, with the Linux kernel as its peer, is set up.</summary>
public sealed record TapPeerOptions
{
    /// <summary>The benchmarking range (RFC 2544, 198.18.0.0/15) every address here must lie in.</summary>
    public static readonly Ipv4Cidr BenchmarkRange = Ipv4Cidr.Parse("198.18.0.0/15");

    /// <summary>The network namespace's name; null for a fresh <c>edsos-PID-N</c>.</summary>
    public string? Netns { get; init; }

    /// <summary>Our side: the EDSOS host's address and prefix (default 198.18.0.2/24).</summary>
    public Ipv4Cidr EdsosAddress { get; init; } = Ipv4Cidr.Parse("198.18.0.2/24");

    /// <summary>The Linux side's address and prefix on the TAP interface in the namespace (default 198.18.0.1/24).</summary>
    public Ipv4Cidr LinuxAddress { get; init; } = Ipv4Cidr.Parse("198.18.0.1/24");

    /// <summary>The EDSOS NIC's MAC address (locally administered).</summary>
    public MacAddress Mac { get; init; } = MacAddress.Parse("02:ed:05:00:00:02");

    /// <summary>Write every frame crossing the TAP (both directions) to this pcap file; null for none.</summary>
    public string? PcapPath { get; init; }

    /// <summary>Zero copy (EDSOS) or the Linux copy path, for our stack.</summary>
    public DataPathMode Mode { get; init; } = DataPathMode.ZeroCopy;

    /// <summary>TCP segmentation offload in our NIC (the frames on the TAP are at most 1514 bytes either way).</summary>
    public bool Tso { get; init; } = true;

    /// <summary>Our TCP tunables.</summary>
    public TcpOptions Tcp { get; init; } = new();

    /// <summary>Pages in our arena (4 KiB each).</summary>
    public int ArenaPages { get; init; } = 16384;

    /// <summary>Runtime worker threads of our host.</summary>
    public int Workers { get; init; } = 2;

    /// <summary>
    /// Probability that a frame we send is lost before it reaches the TAP (a <see cref="Driver.Wires.LossyWire"/>
    /// seeded by <see cref="LossSeed"/>; frames from Linux are never dropped). Losing our data and our ACKs
    /// makes both stacks recover: we retransmit on Linux's duplicate ACKs or our timer, Linux on its own. 0: none.
    /// </summary>
    public double Loss { get; init; }

    /// <summary>
    /// Probability that a frame from Linux is lost before our NIC sees it (an <see cref="Driver.Wires.InboundLossyWire"/>,
    /// seeded by <see cref="LossSeed"/> + 1), so Linux has to retransmit and we reassemble out of order. 0: none.
    /// </summary>
    public double InboundLoss { get; init; }

    /// <summary>The loss schedules' seed.</summary>
    public int LossSeed { get; init; } = 1;

    /// <summary>Null when the options are usable; otherwise one line naming the bad one.</summary>
    public string? Validate()
    {
        if (Netns is { } name && (name.Length == 0 || name.Length > 64 || name.Contains('/', StringComparison.Ordinal) || name.StartsWith('.') || name.Contains(' ', StringComparison.Ordinal)))
        {
            return $"--netns must be a plain name (1 to 64 characters, no '/' or space), not '{name}'";
        }

        foreach (var (option, cidr) in new[] { ("--address", EdsosAddress), ("--peer-address", LinuxAddress) })
        {
            if (!BenchmarkRange.Contains(cidr.Address) || cidr.PrefixLength < 15 || cidr.PrefixLength > 30)
            {
                return $"{option} {cidr} must lie in the benchmarking range {BenchmarkRange} with a prefix of /15 to /30";
            }

            if (cidr.Address == cidr.Network || cidr.Address == cidr.BroadcastAddress)
            {
                return $"{option} {cidr} is the subnet's network or broadcast address";
            }
        }

        if (Loss < 0 || Loss >= 0.5 || double.IsNaN(Loss) || InboundLoss < 0 || InboundLoss >= 0.5 || double.IsNaN(InboundLoss))
        {
            return $"--loss must be at least 0 and below 0.5, not {(Loss < 0 || Loss >= 0.5 || double.IsNaN(Loss) ? Loss : InboundLoss)}";
        }

        if (EdsosAddress.Address == LinuxAddress.Address)
        {
            return $"--address and --peer-address are both {EdsosAddress.Address}";
        }

        if (EdsosAddress.PrefixLength != LinuxAddress.PrefixLength || !EdsosAddress.Contains(LinuxAddress.Address))
        {
            return $"--address {EdsosAddress} and --peer-address {LinuxAddress} are not on one subnet";
        }

        return null;
    }
}
