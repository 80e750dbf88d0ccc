using System.Text.Json.Serialization;

namespace Edsos.Host.Demo;

/// <summary>
/// What one demo run measured. Serialized with snake_case names for <c>--json</c>; every figure is
/// read from the running system (counters of both hosts' memory models and NICs), none is assumed.
/// </summary>
public sealed record DemoReport
{
    public required string Mode { get; init; }
    public required string Proto { get; init; }
    public required int Sends { get; init; }
    public required int Size { get; init; }

    /// <summary>Echoes that came back with every byte right.</summary>
    public required int EchoedOk { get; init; }

    /// <summary>Echoes that came back with a wrong byte, length or sender.</summary>
    public required int EchoedBad { get; init; }

    /// <summary>True when a signal (SIGINT, SIGTERM) stopped the run early: the figures cover <see cref="Attempted"/> rounds.</summary>
    public bool Interrupted { get; init; }

    /// <summary>Rounds started: <see cref="Sends"/> unless the run was interrupted.</summary>
    public int Attempted { get; init; }

    /// <summary>Sends that failed or echoes that never came back.</summary>
    public required int Lost { get; init; }

    /// <summary>Frames both NICs put on the wire (ARP, IPv4 fragments, ICMP included).</summary>
    public required long FramesTx { get; init; }

    /// <summary>CPU copies of payload by the stack, both hosts, classic recv included.</summary>
    public required long PayloadBytesCopied { get; init; }

    /// <summary>CPU copies of protocol headers, both hosts.</summary>
    public required long HeaderBytesCopied { get; init; }

    /// <summary>CPU copies made by copy-on-write, both hosts.</summary>
    public required long CowBytesCopied { get; init; }

    /// <summary>Bytes the apps wrote into or read out of their own buffers (not the stack's copies).</summary>
    public required long ApplicationBytesCopied { get; init; }

    /// <summary>Bytes the NICs moved by DMA (read for transmit plus written on receive), both hosts.</summary>
    public required long DmaBytes { get; init; }

    /// <summary>Pages still in use after both hosts closed everything.</summary>
    public required int LeakedPages { get; init; }

    /// <summary>CTRNs still live after both hosts closed everything.</summary>
    public required int LeakedCtrns { get; init; }

    /// <summary>Nodes (CTRNs included) still live after both hosts closed everything.</summary>
    public required int LeakedNodes { get; init; }

    /// <summary>Nodes a service released twice (recorded by the memory manager with the place), both hosts; 0 in a correct run.</summary>
    public int DoubleReleases { get; init; }

    /// <summary>Completed send-and-echo rounds per second.</summary>
    public required double SendsPerSec { get; init; }

    /// <summary>Verified rounds per second once the rate settled (the JIT's tiers left out; rule in <c>EchoTally.SteadyPerSec</c>); 0 when the run was too short.</summary>
    public double SteadySendsPerSec { get; init; }

    /// <summary>The verified rounds <see cref="SteadySendsPerSec"/> left out as warm-up.</summary>
    public int SteadyFromRound { get; init; }

    /// <summary>Process CPU time per completed round while the echo loop ran, in microseconds (both hosts and the apps).</summary>
    public double CpuUsPerRound { get; init; }

    /// <summary>Bytes the process allocated per completed round while the echo loop ran.</summary>
    public double AllocBytesPerRound { get; init; }

    /// <summary>Median time a <c>sendto</c> call took, in microseconds.</summary>
    public required double SendP50Us { get; init; }

    /// <summary>99th percentile of the <c>sendto</c> time, in microseconds.</summary>
    public required double SendP99Us { get; init; }

    /// <summary>Median time from <c>sendto</c> to the echo being received, in microseconds.</summary>
    public required double RttP50Us { get; init; }

    public required int PingsSent { get; init; }
    public required int PingsOk { get; init; }

    /// <summary>Median ping round trip in microseconds (0 when no ping succeeded).</summary>
    public required double PingP50Us { get; init; }

    /// <summary>Frames written to the pcap file (0 without <c>--pcap</c>).</summary>
    public required long PcapFrames { get; init; }

    public required double ElapsedSeconds { get; init; }

    /// <summary>TCP: the wire's drop probability per frame (<c>--loss</c>).</summary>
    public double Loss { get; init; }

    /// <summary>TCP: segments both hosts sent again (timeouts, fast retransmits, partial ACKs).</summary>
    public long Retransmits { get; init; }

    /// <summary>TCP: payload bytes the peers acknowledged, both directions.</summary>
    public long BytesAcked { get; init; }

    /// <summary>Segmentation offload was on in both hosts (<c>--tso</c>); only TCP uses it.</summary>
    public bool Tso { get; init; }

    /// <summary>TCP: super-segments both stacks handed their NIC to cut (TSO).</summary>
    public long TsoSends { get; init; }

    /// <summary>TCP: frames both NICs cut out of TSO super-segments (counted in <see cref="FramesTx"/> too).</summary>
    public long TsoSegments { get; init; }

    /// <summary>Who echoed: <c>edsos</c> (host B, the default) or <c>linux</c> (the kernel's stack over a TAP device).</summary>
    public string Peer { get; init; } = "edsos";

    /// <summary>Against Linux: how its echo server ran (<c>process</c>, a child in the namespace, or <c>in-process</c>); null otherwise.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? LinuxEcho { get; init; }

    /// <summary>Against Linux: the network namespace the run created (and removed); null otherwise.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Netns { get; init; }

    /// <summary>The leak report lines, when something leaked.</summary>
    public required IReadOnlyList<string> Leaks { get; init; }

    /// <summary>The first few failures, for the human summary.</summary>
    public required IReadOnlyList<string> Errors { get; init; }
}
