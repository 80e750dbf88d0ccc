using Edsos.SocketService;

namespace Edsos.Host.Demo;

/// <summary>What <c>edsos demo</c> runs: two hosts, a UDP echo between them, and pings.</summary>
public sealed record DemoOptions
{
    /// <summary>The largest UDP payload (65535 − 20 − 8).</summary>
    public const int MaxUdpPayload = 65507;

    /// <summary>Transport protocol; only <c>udp</c> until the TCP issue lands.</summary>
    public string Proto { get; init; } = "udp";

    /// <summary>Datagrams host A sends (each echoed by host B).</summary>
    public int Sends { get; init; } = 1000;

    /// <summary>Payload bytes per datagram (1..65507; above the MTU they are fragmented).</summary>
    public int Size { get; init; } = 1024;

    /// <summary>Zero copy (EDSOS) or the Linux copy path.</summary>
    public DataPathMode Mode { get; init; } = DataPathMode.ZeroCopy;

    /// <summary>Echo requests host A sends to host B after the UDP run.</summary>
    public int Pings { get; init; } = 4;

    /// <summary>Write every frame of the wire to this pcap file; null for none.</summary>
    public string? PcapPath { get; init; }

    /// <summary>How long one echo may take before it counts as lost.</summary>
    public TimeSpan EchoTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Returns a message naming the bad option, or null when the options are valid.</summary>
    public string? Validate()
    {
        if (!string.Equals(Proto, "udp", StringComparison.Ordinal))
        {
            return Proto == "tcp"
                ? "--proto tcp is not available yet (it comes with the TCP issue); use --proto udp"
                : $"--proto must be udp, not '{Proto}'";
        }

        if (Sends < 1)
        {
            return $"--sends must be at least 1, not {Sends}";
        }

        if (Size < 8 || Size > MaxUdpPayload)
        {
            return $"--size must be between 8 and {MaxUdpPayload} bytes (a UDP payload carrying its sequence number), not {Size}";
        }

        if (Pings < 0)
        {
            return $"--pings must not be negative, not {Pings}";
        }

        return null;
    }
}
