namespace Edsos.Driver.Tests;

/// <summary>
/// <see cref="OnesComplement.AddWords"/> (vector halves) against the RFC 1071 definition summed one big-endian word at a
/// time: every length around the vector widths, every start offset in a word and a vector, and spans long enough to sum
/// by more than one run of all-ones bytes (the lanes' worst case).
/// </summary>
public sealed class OnesComplementTests
{
    [Fact]
    public void AddWords_FoldsToTheWordByWordSum_ForEveryShortLengthAndOffset()
    {
        var random = new Random(1071);
        var bytes = new byte[700];
        random.NextBytes(bytes);
        for (int offset = 0; offset < 5; offset++)
        {
            for (int length = 0; length <= 600; length++)
            {
                var data = bytes.AsSpan(offset, length);
                Assert.Equal(Reference(data), OnesComplement.Fold(OnesComplement.AddWords(0, data)));
            }
        }
    }

    [Theory]
    [InlineData(65535, 0x00)]
    [InlineData(65507, 0xFF)]
    [InlineData((1 << 20) + 129, 0xFF)]
    [InlineData((3 << 20) + 63, 0xFF)]
    [InlineData((2 << 20) + 1, -1)]
    public void AddWords_FoldsToTheWordByWordSum_ForLongSpans(int length, int fill)
    {
        var bytes = new byte[length + 3];
        if (fill < 0)
        {
            new Random(length).NextBytes(bytes);
        }
        else
        {
            bytes.AsSpan().Fill((byte)fill);
            bytes[length / 2] = 0x12;
        }

        for (int offset = 0; offset < 3; offset++)
        {
            var data = bytes.AsSpan(offset, length);
            Assert.Equal(Reference(data), OnesComplement.Fold(OnesComplement.AddWords(0, data)));
        }
    }

    [Fact]
    public void AddWords_CarriesTheSumItIsGiven()
    {
        var bytes = new byte[300];
        new Random(7).NextBytes(bytes);
        ulong start = 0x1_2345_6789;
        Assert.Equal(OnesComplement.Fold(start + OnesComplement.AddWords(0, bytes)), OnesComplement.Fold(OnesComplement.AddWords(start, bytes)));
    }

    private static ulong Reference(ReadOnlySpan<byte> data)
    {
        ulong sum = 0;
        for (int i = 0; i < data.Length; i += 2)
        {
            sum += (ulong)((data[i] << 8) | (i + 1 < data.Length ? data[i + 1] : 0));
        }

        return OnesComplement.Fold(sum);
    }
}
