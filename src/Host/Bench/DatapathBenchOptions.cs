namespace Edsos.Host.Bench;

/// <summary>What <c>edsos bench datapath</c> measures and how long.</summary>
public sealed record DatapathBenchOptions
{
    /// <summary>The UDP payload sizes measured by default.</summary>
    public static readonly IReadOnlyList<int> DefaultUdpSizes = [1024, 4096, 65507];

    /// <summary>The TCP write sizes measured by default.</summary>
    public static readonly IReadOnlyList<int> DefaultTcpSizes = [4096, 65536];

    /// <summary>The (protocol, size) cases, in order; each gets a zero copy, a copy and a Linux row.</summary>
    public required IReadOnlyList<(string Proto, int Size)> Cases { get; init; }

    /// <summary>The modes measured (a subset of <see cref="DatapathBench.Modes"/>, in its order): all three by default.</summary>
    public IReadOnlyList<string> Modes { get; init; } = DatapathBench.Modes;

    /// <summary>Measured repetitions per mode (at least 5 for a median worth reading), interleaved A B C C B A.</summary>
    public int Repetitions { get; init; } = 5;

    /// <summary>The wall time one repetition aims at once warm; sets its round count from the warm-up rate.</summary>
    public double RoundSeconds { get; init; } = 1.0;

    /// <summary>A fixed round count per repetition (and one warm-up run of as many) instead of timed ones; for tests.</summary>
    public int? Rounds { get; init; }

    /// <summary>
    /// The default TCP receive buffer: 256 KiB, window scaling on. With 65535 a 65536-byte write never fits the window, so
    /// every round waited for a window update for its last bytes (the pcap of a round showed 64,240 + 1,295 + 1 bytes);
    /// Linux's loopback beside it starts at 128 KiB and scales.
    /// </summary>
    public const int DefaultReceiveBuffer = 256 * 1024;

    /// <summary>TCP receive buffer per connection (above 65535 the SYNs offer window scaling).</summary>
    public int ReceiveBuffer { get; init; } = DefaultReceiveBuffer;

    /// <summary>Most warm-up time per mode before measuring anyway (the rate may never settle on a noisy machine).</summary>
    public double MaxWarmupSeconds { get; init; } = 20;

    /// <summary>The cases for <c>--proto</c> (udp, tcp or all) and an optional <c>--size</c>; null with the reason when they make no sense.</summary>
    public static IReadOnlyList<(string Proto, int Size)>? CasesFor(string proto, int? size, out string? error)
    {
        error = null;
        var protos = proto switch
        {
            "all" => new[] { "udp", "tcp" },
            "udp" or "tcp" => new[] { proto },
            _ => null,
        };
        if (protos is null)
        {
            error = $"--proto must be udp, tcp or all, not '{proto}'";
            return null;
        }

        var cases = new List<(string, int)>();
        foreach (string p in protos)
        {
            if (size is int one)
            {
                int max = p == "udp" ? Demo.DemoOptions.MaxUdpPayload : Demo.DemoOptions.MaxTcpWrite;
                int min = p == "udp" ? 8 : 1;
                if (one < min || one > max)
                {
                    error = $"--size must be between {min} and {max} bytes for {p}, not {one}";
                    return null;
                }

                cases.Add((p, one));
            }
            else
            {
                foreach (int s in p == "udp" ? DefaultUdpSizes : DefaultTcpSizes)
                {
                    cases.Add((p, s));
                }
            }
        }

        return cases;
    }
}
