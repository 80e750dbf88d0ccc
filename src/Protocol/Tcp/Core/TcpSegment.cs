using Edsos.Protocol.Wire;

namespace Edsos.Protocol.Tcp.Core;

/// <summary>
/// One segment a <see cref="TcpConnection"/> wants sent: the header, and the payload as a range of one of its send
/// chunks (none for control segments). <see cref="GsoSize"/> above 0 marks a TSO super-segment that the NIC cuts into
/// <see cref="GsoSize"/>-byte pieces (its checksum is then left to the NIC).
/// </summary>
/// <param name="Header">The TCP header (ports, numbers, flags, window, options) as it goes out.</param>
/// <param name="Chunk">The chunk holding the payload; null for a segment without payload.</param>
/// <param name="Offset">Offset of the payload in <paramref name="Chunk"/>.</param>
/// <param name="Length">Payload bytes (0 for control segments).</param>
/// <param name="GsoSize">Segment size for TCP segmentation offload; 0 for a plain segment.</param>
public readonly record struct TcpSegment(TcpRepr Header, SendChunk? Chunk, int Offset, int Length, int GsoSize);
