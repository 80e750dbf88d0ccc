namespace Edsos.Host.Bench;

/// <summary>
/// One row of <c>bench stream</c>: one mode of one (protocol, size) case, many sends in flight one way.
/// UDP rows give datagrams per second delivered to the receiving app; TCP rows give the stream's
/// goodput in Gbit/s; the other figure is 0.
/// </summary>
/// <param name="Proto">udp or tcp.</param>
/// <param name="Size">Bytes per datagram or write.</param>
/// <param name="Mode">zerocopy, copy or linux.</param>
/// <param name="DatagramsPerS">UDP: median datagrams per second received.</param>
/// <param name="GbitPerS">TCP: median goodput, Gbit/s.</param>
/// <param name="Min">The slowest repetition, in the row's unit.</param>
/// <param name="Max">The fastest repetition, in the row's unit.</param>
/// <param name="CpuUsPerMb">Median process CPU time per megabyte delivered, in microseconds.</param>
/// <param name="Repetitions">Measured repetitions.</param>
/// <param name="AllocBytesPerMb">Median bytes the whole process allocated (<see cref="GC.GetTotalAllocatedBytes"/>) per megabyte delivered.</param>
public sealed record StreamBenchRow(
    string Proto,
    int Size,
    string Mode,
    double DatagramsPerS,
    double GbitPerS,
    double Min,
    double Max,
    double CpuUsPerMb,
    int Repetitions,
    double AllocBytesPerMb);
