using Edsos.Memory;

namespace Edsos.Host.Demo;

/// <summary>
/// The bytes of demo datagram <c>seq</c>: its sequence number (8 bytes, little-endian) and then a
/// pattern that depends on both the sequence number and the position, so a stale, mixed-up or
/// corrupted echo fails the check.
/// </summary>
public static class DatagramPattern
{
    /// <summary>Fills <paramref name="destination"/> with datagram <paramref name="sequence"/>.</summary>
    public static void Fill(Span<byte> destination, ulong sequence)
    {
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(destination, sequence);
        for (int i = 8; i < destination.Length; i++)
        {
            destination[i] = ByteAt(sequence, i);
        }
    }

    /// <summary>The expected byte at <paramref name="position"/> of datagram <paramref name="sequence"/>.</summary>
    public static byte ByteAt(ulong sequence, int position) =>
        position < 8 ? (byte)(sequence >> (8 * position)) : (byte)((sequence * 131) + ((ulong)position * 7) + (ulong)(position >> 8));

    /// <summary>Checks segments in order against datagram <see cref="Verifier.Sequence"/>, copying nothing.</summary>
    public static readonly SegmentVisitor<Verifier> Check = static (ref Verifier state, ReadOnlySpan<byte> segment) =>
    {
        for (int i = 0; i < segment.Length; i++)
        {
            if (state.Ok && segment[i] != ByteAt(state.Sequence, state.Position + i))
            {
                state.Ok = false;
                state.FirstBad = state.Position + i;
            }
        }

        state.Position += segment.Length;
    };

    /// <summary>The running state of a check: where it is and whether every byte so far matched.</summary>
    public struct Verifier
    {
        public Verifier(ulong sequence)
        {
            Sequence = sequence;
            Position = 0;
            Ok = true;
            FirstBad = -1;
        }

        public ulong Sequence;
        public int Position;
        public bool Ok;
        public int FirstBad;
    }
}
