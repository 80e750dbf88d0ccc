using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace Edsos.Memory;

/// <summary>
/// SipHash-2-4 (Aumasson and Bernstein, 2012): a keyed 64-bit PRF, used as the MAC that makes
/// capabilities unforgeable. Short inputs are its design point, and it needs no allocation.
/// </summary>
internal static class SipHash
{
    public static ulong Compute(ulong k0, ulong k1, ReadOnlySpan<byte> data)
    {
        ulong v0 = 0x736f6d6570736575UL ^ k0;
        ulong v1 = 0x646f72616e646f6dUL ^ k1;
        ulong v2 = 0x6c7967656e657261UL ^ k0;
        ulong v3 = 0x7465646279746573UL ^ k1;

        int whole = data.Length & ~7;
        for (int i = 0; i < whole; i += 8)
        {
            ulong m = BinaryPrimitives.ReadUInt64LittleEndian(data.Slice(i, 8));
            v3 ^= m;
            Round(ref v0, ref v1, ref v2, ref v3);
            Round(ref v0, ref v1, ref v2, ref v3);
            v0 ^= m;
        }

        // Last block: the remaining bytes, little endian, with the length's low byte on top.
        ulong b = (ulong)data.Length << 56;
        for (int i = whole; i < data.Length; i++)
        {
            b |= (ulong)data[i] << (8 * (i - whole));
        }

        v3 ^= b;
        Round(ref v0, ref v1, ref v2, ref v3);
        Round(ref v0, ref v1, ref v2, ref v3);
        v0 ^= b;

        v2 ^= 0xff;
        for (int i = 0; i < 4; i++)
        {
            Round(ref v0, ref v1, ref v2, ref v3);
        }

        return v0 ^ v1 ^ v2 ^ v3;
    }

    /// <summary>
    /// <see cref="Compute"/> of the 9-byte capability message (node id and generation little endian,
    /// then the rights byte), unrolled with the state in registers: the same value as
    /// <c>Compute(k0, k1, message)</c>, without a span or a loop (a capability is minted per push,
    /// share, merge and divide).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong ComputeCapability(ulong k0, ulong k1, uint nodeId, uint generation, byte rights)
    {
        ulong v0 = 0x736f6d6570736575UL ^ k0;
        ulong v1 = 0x646f72616e646f6dUL ^ k1;
        ulong v2 = 0x6c7967656e657261UL ^ k0;
        ulong v3 = 0x7465646279746573UL ^ k1;

        ulong m = nodeId | ((ulong)generation << 32);
        v3 ^= m;
        Round(ref v0, ref v1, ref v2, ref v3);
        Round(ref v0, ref v1, ref v2, ref v3);
        v0 ^= m;

        ulong b = (9UL << 56) | rights;
        v3 ^= b;
        Round(ref v0, ref v1, ref v2, ref v3);
        Round(ref v0, ref v1, ref v2, ref v3);
        v0 ^= b;

        v2 ^= 0xff;
        Round(ref v0, ref v1, ref v2, ref v3);
        Round(ref v0, ref v1, ref v2, ref v3);
        Round(ref v0, ref v1, ref v2, ref v3);
        Round(ref v0, ref v1, ref v2, ref v3);
        return v0 ^ v1 ^ v2 ^ v3;
    }

    /// <summary>Node ids below this fit the 7-byte capability message (<see cref="ComputeCapabilityShort"/>).</summary>
    public const uint ShortNodeIds = 1u << 20;

    /// <summary>
    /// <see cref="Compute"/> of the 7-byte capability message of a node id below
    /// <see cref="ShortNodeIds"/> and rights below 16: the generation (32 bits) then node id | rights
    /// &lt;&lt; 20 (24 bits), little endian. A message of at most 7 bytes is one final block, so the
    /// hash is 6 SipRounds instead of the 9-byte message's 8. The caller guarantees the ranges (the
    /// encoding must stay injective); the same value as <c>Compute(k0, k1, message)</c>.
    /// </summary>
    public static ulong ComputeCapabilityShort(ulong k0, ulong k1, uint nodeId, uint generation, byte rights)
    {
        ulong v0 = 0x736f6d6570736575UL ^ k0;
        ulong v1 = 0x646f72616e646f6dUL ^ k1;
        ulong v2 = 0x6c7967656e657261UL ^ k0;
        ulong v3 = 0x7465646279746573UL ^ k1;

        ulong b = (7UL << 56) | ((ulong)(nodeId | ((uint)rights << 20)) << 32) | generation;
        v3 ^= b;
        Round(ref v0, ref v1, ref v2, ref v3);
        Round(ref v0, ref v1, ref v2, ref v3);
        v0 ^= b;

        v2 ^= 0xff;
        Round(ref v0, ref v1, ref v2, ref v3);
        Round(ref v0, ref v1, ref v2, ref v3);
        Round(ref v0, ref v1, ref v2, ref v3);
        Round(ref v0, ref v1, ref v2, ref v3);
        return v0 ^ v1 ^ v2 ^ v3;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Round(ref ulong v0, ref ulong v1, ref ulong v2, ref ulong v3)
    {
        v0 += v1;
        v1 = BitOperations.RotateLeft(v1, 13);
        v1 ^= v0;
        v0 = BitOperations.RotateLeft(v0, 32);
        v2 += v3;
        v3 = BitOperations.RotateLeft(v3, 16);
        v3 ^= v2;
        v0 += v3;
        v3 = BitOperations.RotateLeft(v3, 21);
        v3 ^= v0;
        v2 += v1;
        v1 = BitOperations.RotateLeft(v1, 17);
        v1 ^= v2;
        v2 = BitOperations.RotateLeft(v2, 32);
    }
}
