using Edsos.Host.Demo;
using Edsos.Memory;

namespace Edsos.Host.Tests;

public sealed class DatagramPatternTests
{
    [Fact]
    public void Check_FilledDatagramInSegments_Matches()
    {
        byte[] datagram = new byte[5000];
        DatagramPattern.Fill(datagram, 42);
        var verifier = new DatagramPattern.Verifier(42);

        // Odd-sized segments, as a scatter list would hand them out.
        DatagramPattern.Check(ref verifier, datagram.AsSpan(0, 3));
        DatagramPattern.Check(ref verifier, datagram.AsSpan(3, 1997));
        DatagramPattern.Check(ref verifier, datagram.AsSpan(2000));

        Assert.True(verifier.Ok);
        Assert.Equal(5000, verifier.Position);
    }

    [Fact]
    public void Check_OneByteChanged_ReportsItsPosition()
    {
        byte[] datagram = new byte[1024];
        DatagramPattern.Fill(datagram, 7);
        datagram[777] ^= 0x01;
        var verifier = new DatagramPattern.Verifier(7);

        DatagramPattern.Check(ref verifier, datagram);

        Assert.False(verifier.Ok);
        Assert.Equal(777, verifier.FirstBad);
    }

    [Fact]
    public void Check_StaleDatagram_Fails()
    {
        byte[] datagram = new byte[64];
        DatagramPattern.Fill(datagram, 6);
        var verifier = new DatagramPattern.Verifier(7);

        DatagramPattern.Check(ref verifier, datagram);

        Assert.False(verifier.Ok);
        Assert.Equal(0, verifier.FirstBad);
    }

    [Fact]
    public void Fill_ConsecutiveSequences_DifferInTheBody()
    {
        byte[] a = new byte[256];
        byte[] b = new byte[256];
        DatagramPattern.Fill(a, 1);
        DatagramPattern.Fill(b, 2);
        Assert.NotEqual(a.AsSpan(8).ToArray(), b.AsSpan(8).ToArray());
    }

    private static readonly ulong[] Sequences = [0, 1, 2, 7, 255, 256, 0x0123_4567_89AB_CDEF, ulong.MaxValue, 1_000_003];

    // Every length to 300 (both sides of the first blocks and steps), then odd and block-edge lengths to past 65535.
    private static readonly int[] Lengths = [.. Enumerable.Range(0, 301), 511, 512, 513, 1023, 1024, 1025, 4095, 4097, 9001, 65507, 65535, 65536, 65537, 69999, 70000];

    // The widest step this machine has, the 16-byte one and scalar only: every path runs whatever the CPU.
    public static TheoryData<int> Steps => [DatagramPattern.WidestStep, 16, 1];

    private static byte[] Scalar(ulong sequence, int length)
    {
        var bytes = new byte[length];
        for (int i = 0; i < length; i++)
        {
            bytes[i] = DatagramPattern.ByteAt(sequence, i);
        }

        return bytes;
    }

    [Theory]
    [MemberData(nameof(Steps))]
    public void Fill_EveryLengthAndSequence_EqualsTheScalarFormula(int step)
    {
        foreach (ulong sequence in Sequences)
        {
            foreach (int length in Lengths)
            {
                var filled = new byte[length];
                DatagramPattern.Fill(filled, sequence, step);
                var expected = Scalar(sequence, length);
                if (!filled.AsSpan().SequenceEqual(expected))
                {
                    int at = filled.AsSpan().CommonPrefixLength(expected);
                    Assert.Fail($"step {step}, sequence {sequence}, length {length}: byte {at} is {filled[at]}, expected {expected[at]}");
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Steps))]
    public void Fill_FromAnyPosition_EqualsTheScalarFormula(int step)
    {
        // Segments of a scatter list start anywhere: inside the 8-byte head, on it, inside a 256-byte block, on one.
        foreach (ulong sequence in Sequences)
        {
            var expected = Scalar(sequence, 1300);
            foreach (int position in new[] { 0, 1, 7, 8, 9, 255, 256, 257, 300, 511, 512, 1000 })
            {
                foreach (int length in new[] { 0, 1, 15, 16, 17, 31, 32, 33, 64, 299 })
                {
                    var filled = new byte[length];
                    DatagramPattern.Fill(filled, sequence, position, step);
                    Assert.True(filled.AsSpan().SequenceEqual(expected.AsSpan(position, length)), $"step {step}, sequence {sequence}, position {position}, length {length}");
                }
            }
        }
    }

    [Fact]
    public void Write_SegmentBySegment_LeavesTheDatagramThatFillWrites()
    {
        // The in-place filler an app hands to Libc.FillBuffer: whatever the split, the bytes are datagram seq's.
        var expected = new byte[65507];
        DatagramPattern.Fill(expected, 77);
        foreach (int[] split in new[] { new[] { 65507 }, new[] { 3, 5, 4096, 61403 }, new[] { 4000, 96, 4096, 4096, 53219 }, new[] { 7, 1, 65499 } })
        {
            var written = new byte[65507];
            var writer = new DatagramPattern.Writer(77);
            int at = 0;
            foreach (int length in split)
            {
                DatagramPattern.Write(ref writer, written.AsSpan(at, length));
                at += length;
            }

            Assert.Equal(65507, writer.Position);
            Assert.True(written.AsSpan().SequenceEqual(expected), $"split {string.Join('+', split)}: first wrong byte {written.AsSpan().CommonPrefixLength(expected)}");
            var check = new DatagramPattern.Verifier(77);
            DatagramPattern.Check(ref check, written);
            Assert.True(check.Ok);
        }
    }

    [Fact]
    public void ByteAt_PastTheHead_IsTheBlockTablePlusOneConstantPerBlock()
    {
        // The identity the vector paths rest on: within block k, byte(pos) = 7·(pos mod 256) + seq·131 + k (mod 256).
        foreach (ulong sequence in Sequences)
        {
            for (int pos = 8; pos < 70000; pos += 13)
            {
                int k = pos >> 8;
                Assert.Equal((byte)((7 * (pos & 255)) + (int)(byte)(sequence * 131) + k), DatagramPattern.ByteAt(sequence, pos));
            }
        }
    }

    [Theory]
    [MemberData(nameof(Steps))]
    public void FirstMismatch_SegmentsSplitAtOddPositions_MatchEverywhere(int step)
    {
        var random = new Random(15);
        foreach (ulong sequence in Sequences)
        {
            foreach (int length in new[] { 1, 7, 8, 9, 33, 257, 1025, 65507, 70000 })
            {
                var datagram = Scalar(sequence, length);
                for (int round = 0; round < 20; round++)
                {
                    int position = 0;
                    while (position < length)
                    {
                        // Mostly short odd segments, sometimes long ones, so steps start at every offset in a block.
                        int segment = Math.Min(length - position, random.Next(4) == 0 ? random.Next(1, 3000) : (2 * random.Next(0, 40)) + 1);
                        int bad = DatagramPattern.FirstMismatch(datagram.AsSpan(position, segment), sequence, position, step);
                        Assert.True(bad == -1, $"step {step}, sequence {sequence}, length {length}: segment at {position} reports {bad}");
                        position += segment;
                    }
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Steps))]
    public void FirstMismatch_OneCorruptedByte_IsFoundAtItsPosition(int step)
    {
        const int Length = 70000;
        int[] corrupted = [0, 1, 7, 8, 9, 15, 16, 31, 32, 33, 39, 40, 255, 256, 257, 263, 264, 511, 4097, 65506, 65535, 65536, Length - 33, Length - 32, Length - 31, Length - 1];
        foreach (ulong sequence in Sequences)
        {
            var datagram = Scalar(sequence, Length);
            foreach (int at in corrupted)
            {
                foreach (byte flip in new byte[] { 0x01, 0x80, 0xFF })
                {
                    datagram[at] ^= flip;
                    Assert.Equal(at, DatagramPattern.FirstMismatch(datagram, sequence, 0, step));

                    // From any start before it, the index is relative to that start.
                    foreach (int start in new[] { 0, 3, 8, 11, at / 2, at })
                    {
                        if (start <= at)
                        {
                            Assert.Equal(at - start, DatagramPattern.FirstMismatch(datagram.AsSpan(start), sequence, start, step));
                        }
                    }

                    datagram[at] ^= flip;
                }
            }

            Assert.Equal(-1, DatagramPattern.FirstMismatch(datagram, sequence, 0, step));
        }
    }

    [Fact]
    public void Check_TwoCorruptedBytesAcrossOddSegments_ReportsTheFirstExactly()
    {
        var random = new Random(131);
        for (int round = 0; round < 500; round++)
        {
            ulong sequence = (ulong)random.NextInt64();
            int length = random.Next(1, 70001);
            var datagram = new byte[length];
            DatagramPattern.Fill(datagram, sequence);
            int first = random.Next(length);
            int second = random.Next(first, length);
            datagram[first] ^= (byte)random.Next(1, 256);
            if (second != first)
            {
                datagram[second] ^= (byte)random.Next(1, 256);
            }
            var verifier = new DatagramPattern.Verifier(sequence);
            int position = 0;
            while (position < length)
            {
                int segment = Math.Min(length - position, (2 * random.Next(0, 700)) + 1);
                DatagramPattern.Check(ref verifier, datagram.AsSpan(position, segment));
                position += segment;
            }

            Assert.False(verifier.Ok);
            Assert.Equal(first, verifier.FirstBad);
            Assert.Equal(length, verifier.Position);
        }
    }
}
