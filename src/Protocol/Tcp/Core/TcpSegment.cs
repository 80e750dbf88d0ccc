using Edsos.Protocol.Wire;

namespace Edsos.Protocol.Tcp.Core;

/// <summary>
/// One segment a <see cref="TcpConnection"/> wants sent: the header, and the payload as a sequence range of its send
/// queue (none for control segments): <see cref="Length"/> bytes from <see cref="Offset"/> of <see cref="Chunk"/>,
/// running on into the chunks after it (<see cref="SendChunk.Next"/>) when <see cref="Length"/> is more than the rest
/// of <see cref="Chunk"/> (at most <see cref="TcpConnection.MaxChunksPerSegment"/> chunks). <see cref="GsoSize"/> above
/// 0 marks a TSO super-segment that the NIC cuts into <see cref="GsoSize"/>-byte pieces (its checksum is then left to
/// the NIC).
/// </summary>
/// <param name="Header">The TCP header (ports, numbers, flags, window, options) as it goes out.</param>
/// <param name="Chunk">The chunk holding the payload's first byte; null for a segment without payload.</param>
/// <param name="Offset">Offset of the payload's first byte in <paramref name="Chunk"/>.</param>
/// <param name="Length">Payload bytes in all (0 for control segments), across chunks.</param>
/// <param name="GsoSize">Segment size for TCP segmentation offload; 0 for a plain segment.</param>
public readonly record struct TcpSegment(TcpRepr Header, SendChunk? Chunk, int Offset, int Length, int GsoSize);
