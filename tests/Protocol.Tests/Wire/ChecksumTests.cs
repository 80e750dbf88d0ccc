using Edsos.Protocol.Wire;

namespace Edsos.Protocol.Tests.Wire;

public sealed class ChecksumTests
{
    // The IPv4 header from Wikipedia's "IPv4 header checksum" example (192.168.0.1 → 192.168.0.199, UDP,
    // total length 0x73), checksum field zeroed. Its known checksum is 0xb861.
    private static readonly byte[] s_wikipediaHeader = Convert.FromHexString("450000730000400040110000C0A80001C0A800C7");

    [Fact]
    public void Compute_WikipediaIpv4Header_KnownChecksum()
    {
        Assert.Equal(0xB861, InternetChecksum.Compute(s_wikipediaHeader));
    }

    [Fact]
    public void Compute_Rfc1071Example_Sum()
    {
        // RFC 1071 section 3 example: bytes 00 01 f2 03 f4 f5 f6 f7 sum to 0xddf2 (folded, uncomplemented).
        var accumulator = default(ChecksumAccumulator);
        accumulator.Add(new byte[] { 0x00, 0x01, 0xF2, 0x03, 0xF4, 0xF5, 0xF6, 0xF7 });

        Assert.Equal(0xDDF2, accumulator.Sum);
        Assert.Equal(0x220D, accumulator.Finish()); // ~0xddf2
    }

    [Fact]
    public void Add_OddLengthSegments_SameAsContiguous()
    {
        byte[] data = new byte[257];
        new Random(7).NextBytes(data);
        ushort expected = InternetChecksum.Compute(data);

        // Cut into segments of lengths 1, 3, 0, 5, 2, 7, ... so that many boundaries fall mid-word.
        var accumulator = default(ChecksumAccumulator);
        int at = 0;
        int[] lengths = { 1, 3, 0, 5, 2, 7, 1, 1, 11, 4 };
        for (int i = 0; at < data.Length; i++)
        {
            int length = Math.Min(lengths[i % lengths.Length], data.Length - at);
            accumulator.Add(data.AsSpan(at, length));
            at += length;
        }

        Assert.Equal(expected, accumulator.Finish());
        Assert.Equal(data.Length, accumulator.ByteCount);
    }

    [Theory]
    [InlineData(64, 0)]
    [InlineData(65_495, 0)]
    [InlineData(65_495, 1)]
    [InlineData(4_097, 3)]
    [InlineData(1_000, 63)]
    public void Add_LongSpansSplitMidWord_SameAsWordByWordReference(int length, int cut)
    {
        // Long spans take the vector path; the reference sums big-endian 16-bit words one at a time (RFC 1071).
        byte[] data = new byte[length];
        new Random(length + cut).NextBytes(data);
        ulong reference = 0;
        for (int i = 0; i < data.Length; i += 2)
        {
            reference += (ulong)(data[i] << 8) + (i + 1 < data.Length ? data[i + 1] : 0u);
        }

        while ((reference >> 16) != 0)
        {
            reference = (reference & 0xFFFF) + (reference >> 16);
        }

        var accumulator = default(ChecksumAccumulator);
        accumulator.Add(data.AsSpan(0, cut));
        accumulator.Add(data.AsSpan(cut));

        Assert.Equal((ushort)~reference, accumulator.Finish());
    }

    [Fact]
    public void Add_EveryTwoWaySplit_SameAsContiguous()
    {
        byte[] data = new byte[64];
        new Random(11).NextBytes(data);
        ushort expected = InternetChecksum.Compute(data);

        for (int cut = 0; cut <= data.Length; cut++)
        {
            var accumulator = default(ChecksumAccumulator);
            accumulator.Add(data.AsSpan(0, cut));
            accumulator.Add(data.AsSpan(cut));
            Assert.Equal(expected, accumulator.Finish());
        }
    }

    [Fact]
    public void AddAccumulator_OddThenOdd_SameAsContiguous()
    {
        byte[] data = new byte[101];
        new Random(3).NextBytes(data);
        ushort expected = InternetChecksum.Compute(data);

        for (int cut = 0; cut <= data.Length; cut++)
        {
            var head = default(ChecksumAccumulator);
            head.Add(data.AsSpan(0, cut));
            var tail = default(ChecksumAccumulator);
            tail.Add(data.AsSpan(cut));
            head.Add(in tail);
            Assert.Equal(expected, head.Finish());
        }
    }

    [Fact]
    public void AddUInt16_AfterOddByte_CarriesAlignment()
    {
        var viaSpan = default(ChecksumAccumulator);
        viaSpan.Add(new byte[] { 0xAB, 0x12, 0x34, 0x56, 0x78, 0x9A, 0xBC });

        var viaValues = default(ChecksumAccumulator);
        viaValues.Add(new byte[] { 0xAB });
        viaValues.AddUInt16(0x1234);
        viaValues.AddUInt32(0x56789ABC);

        Assert.Equal(viaSpan.Finish(), viaValues.Finish());
    }

    [Fact]
    public void Verify_DataWithItsChecksum_True_AndFlippedBit_False()
    {
        byte[] header = (byte[])s_wikipediaHeader.Clone();
        header[10] = 0xB8;
        header[11] = 0x61;
        Assert.True(InternetChecksum.Verify(header));

        header[15] ^= 0x01;
        Assert.False(InternetChecksum.Verify(header));
    }

    [Fact]
    public void PseudoHeader_KnownAddresses_SumsFieldsInOrder()
    {
        // 10.0.2.15 → 10.0.2.2, UDP, length 13: words 0a00 020f 0a00 0202 0011 000d sum to 0x182f.
        ChecksumAccumulator accumulator = InternetChecksum.PseudoHeader(
            Ipv4Address.Parse("10.0.2.15"), Ipv4Address.Parse("10.0.2.2"), IpProtocol.Udp, 13);

        Assert.Equal(0x182F, accumulator.Sum);
        Assert.Equal(InternetChecksum.PseudoHeaderLength, accumulator.ByteCount);
    }
}
