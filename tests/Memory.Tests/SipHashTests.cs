namespace Edsos.Memory.Tests;

public sealed class SipHashTests
{
    // Reference vectors from the SipHash paper / reference implementation: key 00..0f,
    // message 00..(n-1).
    [Theory]
    [InlineData(0, 0x726fdb47dd0e0e31UL)]
    [InlineData(1, 0x74f839c593dc67fdUL)]
    [InlineData(8, 0x93f5f5799a932462UL)]
    [InlineData(15, 0xa129ca6149be45e5UL)]
    public void Compute_ReferenceVectors_Match(int length, ulong expected)
    {
        ulong k0 = 0x0706050403020100UL;
        ulong k1 = 0x0f0e0d0c0b0a0908UL;
        var message = Enumerable.Range(0, length).Select(i => (byte)i).ToArray();

        Assert.Equal(expected, SipHash.Compute(k0, k1, message));
    }

    // The unrolled capability form must be the same PRF as the general one over the 9-byte
    // message (node id and generation little endian, then the rights byte).
    [Theory]
    [InlineData(0x0706050403020100UL, 0x0f0e0d0c0b0a0908UL, 0x03020100U, 0x07060504U, (byte)8)]
    [InlineData(0UL, 0UL, 0U, 0U, (byte)0)]
    [InlineData(0xdeadbeefcafebabeUL, 0x0123456789abcdefUL, 4097U, uint.MaxValue - 1, (byte)15)]
    public void ComputeCapability_EqualsComputeOverTheCapabilityMessage(ulong k0, ulong k1, uint nodeId, uint generation, byte rights)
    {
        var message = new byte[9];
        BitConverter.TryWriteBytes(message.AsSpan(0, 4), nodeId);
        BitConverter.TryWriteBytes(message.AsSpan(4, 4), generation);
        message[8] = rights;

        Assert.Equal(SipHash.Compute(k0, k1, message), SipHash.ComputeCapability(k0, k1, nodeId, generation, rights));
    }

    // The short form (node ids below 2^20, rights below 16) is the same PRF over the 7-byte message:
    // the generation little endian, then node id | rights << 20 in three bytes.
    [Theory]
    [InlineData(0x0706050403020100UL, 0x0f0e0d0c0b0a0908UL, 0x000f0100U, 0x07060504U, (byte)8)]
    [InlineData(0UL, 0UL, 0U, 0U, (byte)0)]
    [InlineData(0xdeadbeefcafebabeUL, 0x0123456789abcdefUL, (1u << 20) - 1, uint.MaxValue - 1, (byte)15)]
    public void ComputeCapabilityShort_EqualsComputeOverTheSevenByteMessage(ulong k0, ulong k1, uint nodeId, uint generation, byte rights)
    {
        var message = new byte[7];
        BitConverter.TryWriteBytes(message.AsSpan(0, 4), generation);
        uint rest = nodeId | ((uint)rights << 20);
        message[4] = (byte)rest;
        message[5] = (byte)(rest >> 8);
        message[6] = (byte)(rest >> 16);

        Assert.Equal(SipHash.Compute(k0, k1, message), SipHash.ComputeCapabilityShort(k0, k1, nodeId, generation, rights));
    }

    // Distinct capabilities hash distinct messages: node ids and rights at the ends of their ranges.
    [Fact]
    public void ComputeCapabilityShort_NeighbouringCapabilities_DifferentTags()
    {
        var tags = new HashSet<ulong>
        {
            SipHash.ComputeCapabilityShort(1, 2, (1u << 20) - 1, 7, 15),
            SipHash.ComputeCapabilityShort(1, 2, (1u << 20) - 1, 7, 14),
            SipHash.ComputeCapabilityShort(1, 2, (1u << 20) - 2, 7, 15),
            SipHash.ComputeCapabilityShort(1, 2, (1u << 20) - 1, 8, 15),
            SipHash.ComputeCapabilityShort(1, 2, 0, 7, 15),
        };

        Assert.Equal(5, tags.Count);
    }
}
