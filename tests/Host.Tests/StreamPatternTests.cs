using Edsos.Host.Demo;

namespace Edsos.Host.Tests;

public sealed class StreamPatternTests
{
    [Theory]
    [InlineData(0L, 70000)]
    [InlineData(1L, 255)]
    [InlineData(255L, 33)]
    [InlineData(65535L, 300)]
    [InlineData(16_777_215L, 1000)]
    [InlineData(4_294_967_290L, 4096)]
    public void Fill_ByVector_IsTheByteFormulaAtEveryOffset(long offset, int length)
    {
        var bytes = new byte[length];

        StreamPattern.Fill(bytes, offset);

        for (int i = 0; i < length; i++)
        {
            Assert.True(bytes[i] == StreamPattern.At(offset + i), $"offset {offset + i}: {bytes[i]} != {StreamPattern.At(offset + i)}");
        }
    }

    [Fact]
    public void Fill_ByVectorAndByByte_Agree()
    {
        var random = new Random(5);
        for (int round = 0; round < 200; round++)
        {
            long offset = random.NextInt64(0, 1L << 40);
            int length = random.Next(0, 3000);
            var vector = new byte[length];
            var scalar = new byte[length];

            StreamPattern.Fill(vector, offset, vector: true);
            StreamPattern.Fill(scalar, offset, vector: false);

            Assert.Equal(scalar, vector);
        }
    }

    [Fact]
    public void Write_SegmentBySegment_WritesTheStreamFromItsOffset()
    {
        long start = (3L * 65536) + 17;
        var expected = new byte[65536];
        StreamPattern.Fill(expected, start);
        var written = new byte[65536];
        long offset = start;
        int at = 0;
        foreach (int length in new[] { 1, 4095, 4096, 250, 57094 })
        {
            StreamPattern.Write(ref offset, written.AsSpan(at, length));
            at += length;
        }

        Assert.Equal(start + 65536, offset);
        Assert.True(written.AsSpan().SequenceEqual(expected), $"first wrong byte {written.AsSpan().CommonPrefixLength(expected)}");
    }

    [Fact]
    public void FirstMismatch_OneByteChangedAnywhere_ReportsExactlyIt()
    {
        var random = new Random(9);
        for (int round = 0; round < 300; round++)
        {
            long offset = random.NextInt64(0, 1L << 32);
            int length = random.Next(1, 5000);
            var bytes = new byte[length];
            StreamPattern.Fill(bytes, offset);
            Assert.Equal(-1, StreamPattern.FirstMismatch(bytes, offset));

            int bad = random.Next(length);
            int later = Math.Min(length - 1, bad + random.Next(1, 64));
            bytes[bad] ^= (byte)random.Next(1, 256);
            bytes[later] ^= 0x80;

            Assert.Equal(bad, StreamPattern.FirstMismatch(bytes, offset, vector: true));
            Assert.Equal(bad, StreamPattern.FirstMismatch(bytes, offset, vector: false));
        }
    }

    [Fact]
    public void Verifier_SegmentsOfAStreamWithOneWrongByte_ReportsItsStreamOffset()
    {
        var bytes = new byte[10000];
        StreamPattern.Fill(bytes, 123_456);
        bytes[7777] ^= 1;
        var verifier = new StreamPattern.Verifier(123_456);

        verifier.Check(bytes.AsSpan(0, 5000));
        Assert.Equal(-1, verifier.FirstBad);
        verifier.Check(bytes.AsSpan(5000, 3));
        verifier.Check(bytes.AsSpan(5003));

        Assert.Equal(123_456 + 7777, verifier.FirstBad);
        Assert.Equal(133_456, verifier.Offset);
    }

    [Fact]
    public void FirstMismatch_ShiftedStream_IsCaught()
    {
        // A stack that lost or repeated a byte shifts everything after it: the check must see that, not just flips.
        var bytes = new byte[4096];
        StreamPattern.Fill(bytes, 1001);

        Assert.Equal(0, StreamPattern.FirstMismatch(bytes, 1000));
    }
}
