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
}
