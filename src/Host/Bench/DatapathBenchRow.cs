namespace Edsos.Host.Bench;

/// <summary>One row of <c>bench datapath</c>: one mode of one (protocol, size) case over its repetitions.</summary>
/// <param name="Proto">udp or tcp.</param>
/// <param name="Size">Payload bytes per datagram or write.</param>
/// <param name="Mode">zerocopy, copy or linux (the kernel's loopback, same shape).</param>
/// <param name="RoundsPerS">Median send-and-echo rounds per second over the repetitions.</param>
/// <param name="RoundsPerSMin">The slowest repetition.</param>
/// <param name="RoundsPerSMax">The fastest repetition.</param>
/// <param name="CpuUsPerRound">Median process CPU time per round, in microseconds (every thread of the process).</param>
/// <param name="AllocBytesPerRound">Median bytes the process allocated per round.</param>
/// <param name="Repetitions">Measured repetitions.</param>
/// <param name="RoundsPerRepetition">Rounds in each measured repetition.</param>
public sealed record DatapathBenchRow(
    string Proto,
    int Size,
    string Mode,
    double RoundsPerS,
    double RoundsPerSMin,
    double RoundsPerSMax,
    double CpuUsPerRound,
    double AllocBytesPerRound,
    int Repetitions,
    int RoundsPerRepetition);
