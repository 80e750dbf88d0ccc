namespace Edsos.Driver.Wires;

/// <summary>One frame read back from a pcap file.</summary>
/// <param name="Timestamp">Capture time (UTC).</param>
/// <param name="OriginalLength">Length of the frame on the wire; more than <see cref="Data"/>'s length if the snap length cut it.</param>
/// <param name="Data">The captured bytes.</param>
public sealed record PcapRecord(DateTimeOffset Timestamp, int OriginalLength, byte[] Data);
