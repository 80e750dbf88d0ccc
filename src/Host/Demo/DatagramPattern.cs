using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Edsos.Memory;

namespace Edsos.Host.Demo;

/// <summary>
/// The bytes of demo datagram <c>seq</c>: its sequence number (8 bytes, little-endian) and then a
/// pattern that depends on both the sequence number and the position, so a stale, mixed-up or
/// corrupted echo fails the check.
/// </summary>
/// <remarks>
/// Past the first 8 bytes, byte(pos) = (byte)(seq·131 + pos·7 + (pos >> 8)). Within one 256-byte block
/// [256k, 256k + 256) that is (byte)(7·(pos &amp; 255) + k + seq·131): a fixed table of 7·j plus one constant per
/// block, so <see cref="Fill"/> and <see cref="Check"/> run as vector loads, adds and compares (32 or 16
/// bytes a step) instead of a multiply per byte. A step may start anywhere in a block and run into the next
/// one; the table therefore runs one vector past 256 with the next block's +1 folded in.
/// </remarks>
public static class DatagramPattern
{
    // Widths the loops may use; tests pass the narrower ones to run every path on this machine.
    internal const int WidestStep = 32;

    // steps[j] = (byte)(7·j + (j >> 8)) for j < 256 + 64: byte(pos) = steps[(s & 255) + i] + (byte)(seq·131 + (s >> 8))
    // for a step starting at s and i below the step's width (at most 64, so the table covers Vector512 too).
    private static readonly byte[] s_steps = BuildSteps();

    /// <summary>Fills <paramref name="destination"/> with datagram <paramref name="sequence"/> (any length, 0 included).</summary>
    public static void Fill(Span<byte> destination, ulong sequence) => Fill(destination, sequence, WidestStep);

    /// <summary>The expected byte at <paramref name="position"/> of datagram <paramref name="sequence"/>.</summary>
    public static byte ByteAt(ulong sequence, int position) =>
        position < 8 ? (byte)(sequence >> (8 * position)) : (byte)((sequence * 131) + ((ulong)position * 7) + (ulong)(position >> 8));

    /// <summary>
    /// The index in <paramref name="segment"/> of its first byte that differs from datagram <paramref name="sequence"/>
    /// when the segment starts at <paramref name="position"/> of the datagram, or -1 when every byte matches.
    /// </summary>
    public static int FirstMismatch(ReadOnlySpan<byte> segment, ulong sequence, int position) =>
        FirstMismatch(segment, sequence, position, WidestStep);

    /// <summary>Checks segments in order against datagram <see cref="Verifier.Sequence"/>, copying nothing; after the first bad byte it only counts.</summary>
    public static readonly SegmentVisitor<Verifier> Check = static (ref Verifier state, ReadOnlySpan<byte> segment) =>
    {
        if (state.Ok)
        {
            int bad = FirstMismatch(segment, state.Sequence, state.Position);
            if (bad >= 0)
            {
                state.Ok = false;
                state.FirstBad = state.Position + bad;
            }
        }

        state.Position += segment.Length;
    };

    /// <summary>
    /// Writes segments in order with datagram <see cref="Writer.Sequence"/>, in place (an app filling its own buffer
    /// through <c>Libc.FillBuffer</c>, no staging array copied in).
    /// </summary>
    public static readonly SegmentFiller<Writer> Write = static (ref Writer state, Span<byte> segment) =>
    {
        Fill(segment, state.Sequence, state.Position, WidestStep);
        state.Position += segment.Length;
    };

    /// <summary><see cref="Fill(Span{byte}, ulong)"/> with steps of at most <paramref name="maxStep"/> bytes (32, 16 or 1).</summary>
    internal static void Fill(Span<byte> destination, ulong sequence, int maxStep) => Fill(destination, sequence, 0, maxStep);

    /// <summary>
    /// Fills <paramref name="destination"/> with the bytes of datagram <paramref name="sequence"/> from
    /// <paramref name="position"/> on, in steps of at most <paramref name="maxStep"/> bytes (32, 16 or 1).
    /// </summary>
    internal static void Fill(Span<byte> destination, ulong sequence, int position, int maxStep)
    {
        int head = Math.Clamp(8 - position, 0, destination.Length);
        for (int i = 0; i < head; i++)
        {
            destination[i] = ByteAt(sequence, position + i);
        }

        byte seed = (byte)(sequence * 131);
        ref byte steps = ref MemoryMarshal.GetArrayDataReference(s_steps);
        ref byte target = ref MemoryMarshal.GetReference(destination);
        int n = destination.Length;
        int done = head;
        if (maxStep >= 32 && Vector256.IsHardwareAccelerated && n - head >= 32)
        {
            // The last step overlaps the one before it rather than leaving a scalar tail: it writes the same bytes.
            for (int next = head; done < n; next = Math.Min(done, n - 32))
            {
                int at = position + next;
                var bytes = Vector256.LoadUnsafe(ref steps, (nuint)(at & 255)) + Vector256.Create((byte)(seed + (at >> 8)));
                bytes.StoreUnsafe(ref target, (nuint)next);
                done = next + 32;
            }
        }
        else if (maxStep >= 16 && Vector128.IsHardwareAccelerated && n - head >= 16)
        {
            for (int next = head; done < n; next = Math.Min(done, n - 16))
            {
                int at = position + next;
                var bytes = Vector128.LoadUnsafe(ref steps, (nuint)(at & 255)) + Vector128.Create((byte)(seed + (at >> 8)));
                bytes.StoreUnsafe(ref target, (nuint)next);
                done = next + 16;
            }
        }

        for (int i = done; i < n; i++)
        {
            int at = position + i;
            destination[i] = (byte)(s_steps[at & 255] + seed + (at >> 8));
        }
    }

    /// <summary><see cref="FirstMismatch(ReadOnlySpan{byte}, ulong, int)"/> with steps of at most <paramref name="maxStep"/> bytes (32, 16 or 1).</summary>
    internal static int FirstMismatch(ReadOnlySpan<byte> segment, ulong sequence, int position, int maxStep)
    {
        int head = Math.Clamp(8 - position, 0, segment.Length);
        for (int i = 0; i < head; i++)
        {
            if (segment[i] != ByteAt(sequence, position + i))
            {
                return i;
            }
        }

        byte seed = (byte)(sequence * 131);
        ref byte steps = ref MemoryMarshal.GetArrayDataReference(s_steps);
        ref byte source = ref MemoryMarshal.GetReference(segment);
        int n = segment.Length;
        int done = head;
        if (maxStep >= 32 && Vector256.IsHardwareAccelerated && n - head >= 32)
        {
            // An overlapping last step only re-compares bytes that matched already, so its first mismatch is the first overall.
            for (int next = head; done < n; next = Math.Min(done, n - 32))
            {
                int at = position + next;
                var expected = Vector256.LoadUnsafe(ref steps, (nuint)(at & 255)) + Vector256.Create((byte)(seed + (at >> 8)));
                uint equal = Vector256.Equals(expected, Vector256.LoadUnsafe(ref source, (nuint)next)).ExtractMostSignificantBits();
                if (equal != uint.MaxValue)
                {
                    return next + BitOperations.TrailingZeroCount(~equal);
                }

                done = next + 32;
            }
        }
        else if (maxStep >= 16 && Vector128.IsHardwareAccelerated && n - head >= 16)
        {
            for (int next = head; done < n; next = Math.Min(done, n - 16))
            {
                int at = position + next;
                var expected = Vector128.LoadUnsafe(ref steps, (nuint)(at & 255)) + Vector128.Create((byte)(seed + (at >> 8)));
                uint equal = Vector128.Equals(expected, Vector128.LoadUnsafe(ref source, (nuint)next)).ExtractMostSignificantBits();
                if (equal != 0xFFFF)
                {
                    return next + BitOperations.TrailingZeroCount(~equal);
                }

                done = next + 16;
            }
        }

        for (int i = done; i < n; i++)
        {
            int at = position + i;
            if (segment[i] != (byte)(s_steps[at & 255] + seed + (at >> 8)))
            {
                return i;
            }
        }

        return -1;
    }

    private static byte[] BuildSteps()
    {
        var steps = new byte[256 + 64];
        for (int j = 0; j < steps.Length; j++)
        {
            steps[j] = (byte)((7 * j) + (j >> 8));
        }

        return steps;
    }

    /// <summary>The running state of an in-place fill: the datagram written and the position of the next segment.</summary>
    public struct Writer
    {
        /// <summary>A fill of datagram <paramref name="sequence"/> from its first byte.</summary>
        public Writer(ulong sequence)
        {
            Sequence = sequence;
            Position = 0;
        }

        /// <summary>The datagram written.</summary>
        public ulong Sequence;

        /// <summary>Bytes written so far (the datagram position of the next segment).</summary>
        public int Position;
    }

    /// <summary>The running state of a check: where it is and whether every byte so far matched.</summary>
    public struct Verifier
    {
        /// <summary>A check of datagram <paramref name="sequence"/> from its first byte.</summary>
        public Verifier(ulong sequence)
        {
            Sequence = sequence;
            Position = 0;
            Ok = true;
            FirstBad = -1;
        }

        /// <summary>The datagram checked against.</summary>
        public ulong Sequence;

        /// <summary>Bytes visited so far (the datagram position of the next segment).</summary>
        public int Position;

        /// <summary>Whether every byte visited so far matched.</summary>
        public bool Ok;

        /// <summary>The datagram position of the first byte that did not match, or -1.</summary>
        public int FirstBad;
    }
}
