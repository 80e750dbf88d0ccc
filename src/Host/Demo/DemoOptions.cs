using Edsos.Protocol.Tcp;
using Edsos.Protocol.Udp;
using Edsos.SocketService;

namespace Edsos.Host.Demo;

/// <summary>What <c>edsos demo</c> runs: two hosts, a UDP echo between them, and pings.</summary>
public sealed record DemoOptions
{
    /// <summary>The largest UDP payload (<see cref="UdpLimits.MaxPayload"/>, 65535 − 20 − 8).</summary>
    public const int MaxUdpPayload = UdpLimits.MaxPayload;

    /// <summary>The largest TCP write the demo makes (several MiB per <c>send</c>).</summary>
    public const int MaxTcpWrite = 16 * 1024 * 1024;

    /// <summary>Transport protocol: <c>udp</c>, <c>tcp</c>, or <c>both</c> (UDP, then TCP).</summary>
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

    /// <summary>TCP segmentation offload on both hosts (<see cref="EdsosHostOptions.Tso"/>); only TCP uses it. Default on.</summary>
    public bool Tso { get; init; } = true;

    /// <summary>
    /// Both hosts take frames up to 64 KiB on their wire (<see cref="EdsosHostOptions.LargeFrames"/>: a TSO super-frame
    /// crosses whole, as over Linux's loopback, whose MTU is 65536). Off by default; <c>bench datapath</c>'s TCP rows set it.
    /// </summary>
    public bool LargeFrames { get; init; }

    /// <summary>
    /// TCP: the client writes the next <see cref="Size"/> bytes only once the last write's echo is back whole (one round in
    /// flight, as <c>bench datapath</c>'s other rows and Linux's loopback echo beside them), instead of keeping SO_SNDBUF's
    /// worth in flight, and both ends set TCP_NODELAY as Linux's echo does. Off by default (the demo streams);
    /// <c>bench datapath</c> sets it.
    /// </summary>
    public bool OneWriteInFlight { get; init; }

    /// <summary>
    /// Called with hosts A and B once both have started, before any socket is opened (<c>bench hops</c> attaches its
    /// delivery observers here); null: nothing. Not a command-line option.
    /// </summary>
    internal Action<EdsosHost, EdsosHost>? HostsStarted { get; init; }

    /// <summary>TCP: probability that the wire drops a frame (each direction, seeded schedule); 0 for a perfect wire.</summary>
    public double Loss { get; init; }

    /// <summary>TCP: each connection's receive buffer (bytes); above 65535 both SYNs offer window scaling (RFC 7323).</summary>
    public int ReceiveBuffer { get; init; } = new TcpOptions().ReceiveBuffer;

    /// <summary>Who echoes: <c>edsos</c> (host B in this process, the default) or <c>linux</c> (the kernel's stack on a TAP device in a network namespace).</summary>
    public string Peer { get; init; } = "edsos";

    /// <summary>Returns a message naming the bad option, or null when the options are valid.</summary>
    public string? Validate()
    {
        if (Proto is not ("udp" or "tcp" or "both"))
        {
            return $"--proto must be udp, tcp or both, not '{Proto}'";
        }

        if (Peer is not ("edsos" or "linux"))
        {
            return $"--peer must be edsos or linux, not '{Peer}'";
        }

        if (Loss < 0 || Loss >= 0.5 || double.IsNaN(Loss))
        {
            return $"--loss must be at least 0 and below 0.5, not {Loss}";
        }

        if (Loss > 0 && Proto == "udp")
        {
            return "--loss applies to the TCP run (UDP does not retransmit); use --proto tcp or both";
        }

        if (Sends < 1)
        {
            return $"--sends must be at least 1, not {Sends}";
        }

        if (Proto == "tcp" && (Size < 1 || Size > MaxTcpWrite))
        {
            return $"--size must be between 1 and {MaxTcpWrite} bytes for tcp, not {Size}";
        }

        if (Proto != "tcp" && (Size < 8 || Size > MaxUdpPayload))
        {
            return $"--size must be between 8 and {MaxUdpPayload} bytes (a UDP payload carrying its sequence number), not {Size}";
        }

        if (ReceiveBuffer < 1460 || ReceiveBuffer > TcpOptions.MaxReceiveBuffer)
        {
            return $"--rcvbuf must be between 1460 and {TcpOptions.MaxReceiveBuffer} bytes, not {ReceiveBuffer}";
        }

        if (Pings < 0)
        {
            return $"--pings must not be negative, not {Pings}";
        }

        return null;
    }
}
