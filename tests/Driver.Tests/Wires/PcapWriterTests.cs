using Edsos.Driver.Wires;

namespace Edsos.Driver.Tests.Wires;

public sealed class PcapWriterTests
{
    // 2025-01-01T00:00:00.123456Z: 1735689600 s = 0x67748580 since the epoch, 123456 µs = 0x0001e240.
    private static readonly DateTimeOffset s_timestamp = new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero).AddTicks(1_234_560);

    [Fact]
    public void Constructor_Defaults_WritesClassicGlobalHeader()
    {
        var stream = new MemoryStream();

        using (new PcapWriter(stream, leaveOpen: true))
        {
        }

        Assert.Equal(
            new byte[]
            {
                0xD4, 0xC3, 0xB2, 0xA1, // magic 0xa1b2c3d4, little-endian
                0x02, 0x00,             // version_major 2
                0x04, 0x00,             // version_minor 4
                0x00, 0x00, 0x00, 0x00, // thiszone 0 (UTC)
                0x00, 0x00, 0x00, 0x00, // sigfigs 0
                0xFF, 0xFF, 0x00, 0x00, // snaplen 65535
                0x01, 0x00, 0x00, 0x00, // linktype 1 (Ethernet)
            },
            stream.ToArray());
    }

    [Fact]
    public void WriteFrame_Contiguous_RecordHeaderAndBytes()
    {
        var stream = new MemoryStream();
        using var writer = new PcapWriter(stream, leaveOpen: true);

        writer.WriteFrame(new byte[] { 0xAA, 0xBB, 0xCC }, s_timestamp);
        writer.Flush();

        Assert.Equal(
            new byte[]
            {
                0x80, 0x85, 0x74, 0x67, // ts_sec 1735689600
                0x40, 0xE2, 0x01, 0x00, // ts_usec 123456
                0x03, 0x00, 0x00, 0x00, // incl_len 3
                0x03, 0x00, 0x00, 0x00, // orig_len 3
                0xAA, 0xBB, 0xCC,
            },
            stream.ToArray().AsSpan(PcapWriter.FileHeaderLength).ToArray());
    }

    [Fact]
    public void WriteFrame_Segments_SameBytesAsContiguous()
    {
        byte[] frame = new byte[100];
        new Random(1).NextBytes(frame);
        var contiguous = new MemoryStream();
        var scattered = new MemoryStream();
        using (var writer = new PcapWriter(contiguous, leaveOpen: true))
        {
            writer.WriteFrame(frame, s_timestamp);
        }

        using (var writer = new PcapWriter(scattered, leaveOpen: true))
        {
            ReadOnlyMemory<byte>[] segments = { frame.AsMemory(0, 14), frame.AsMemory(14, 0), frame.AsMemory(14, 33), frame.AsMemory(47) };
            writer.WriteFrame(segments, s_timestamp);
        }

        Assert.Equal(contiguous.ToArray(), scattered.ToArray());
    }

    [Fact]
    public void WriteFrame_LongerThanSnapLength_CutAcrossSegmentsOriginalLengthKept()
    {
        var stream = new MemoryStream();
        using (var writer = new PcapWriter(stream, snapLength: 5, leaveOpen: true))
        {
            ReadOnlyMemory<byte>[] segments = { new byte[] { 1, 2, 3 }, new byte[] { 4, 5, 6 }, new byte[] { 7 } };
            writer.WriteFrame(segments, s_timestamp);
        }

        stream.Position = 0;
        using var reader = new PcapReader(stream);
        Assert.Equal(5u, reader.SnapLength);
        Assert.True(reader.TryReadNext(out PcapRecord? record));
        Assert.Equal(new byte[] { 1, 2, 3, 4, 5 }, record!.Data);
        Assert.Equal(7, record.OriginalLength);
        Assert.False(reader.TryReadNext(out _));
    }

    [Fact]
    public void Reader_WrittenFrames_RoundTripWithTimestamps()
    {
        var stream = new MemoryStream();
        using (var writer = new PcapWriter(stream, leaveOpen: true))
        {
            writer.WriteFrame(new byte[] { 1 }, s_timestamp);
            writer.WriteFrame(new byte[] { 2, 3 }, s_timestamp.AddSeconds(1.5));
        }

        stream.Position = 0;
        using var reader = new PcapReader(stream);
        Assert.Equal(2, reader.VersionMajor);
        Assert.Equal(4, reader.VersionMinor);
        Assert.Equal(PcapWriter.LinkTypeEthernet, reader.LinkType);
        Assert.True(reader.TryReadNext(out PcapRecord? first));
        Assert.True(reader.TryReadNext(out PcapRecord? second));
        Assert.Equal(s_timestamp, first!.Timestamp);
        Assert.Equal(s_timestamp.AddSeconds(1.5), second!.Timestamp);
        Assert.Equal(new byte[] { 2, 3 }, second.Data);
    }

    [Fact]
    public void WriteFrame_ConcurrentWriters_RecordsNeverInterleave()
    {
        var stream = new MemoryStream();
        const int Writers = 8;
        const int PerWriter = 500;
        using (var writer = new PcapWriter(stream, leaveOpen: true))
        {
            Parallel.For(0, Writers, id =>
            {
                // Each frame is filled with its writer's id and is long enough that an unlocked writer
                // would interleave record headers and data.
                byte[] frame = new byte[200 + id];
                Array.Fill(frame, (byte)id);
                for (int i = 0; i < PerWriter; i++)
                {
                    if (i % 2 == 0)
                    {
                        writer.WriteFrame(frame, s_timestamp);
                    }
                    else
                    {
                        ReadOnlyMemory<byte>[] segments = { frame.AsMemory(0, 100), frame.AsMemory(100) };
                        writer.WriteFrame(segments, s_timestamp);
                    }
                }
            });
        }

        stream.Position = 0;
        using var reader = new PcapReader(stream);
        int records = 0;
        while (reader.TryReadNext(out PcapRecord? record))
        {
            int id = record!.Data.Length - 200;
            Assert.InRange(id, 0, Writers - 1);
            Assert.All(record.Data, b => Assert.Equal(id, b));
            records++;
        }

        Assert.Equal(Writers * PerWriter, records);
    }

    [Fact]
    public void WriteFrame_BeforeEpoch_Throws()
    {
        using var writer = new PcapWriter(new MemoryStream());

        Assert.Throws<ArgumentOutOfRangeException>(() => writer.WriteFrame(new byte[1], DateTimeOffset.UnixEpoch.AddTicks(-10)));
    }

    [Fact]
    public void WriteFrame_AfterDispose_Throws()
    {
        var writer = new PcapWriter(new MemoryStream());
        writer.Dispose();
        writer.Dispose(); // idempotent

        Assert.Throws<ObjectDisposedException>(() => writer.WriteFrame(new byte[1], s_timestamp));
    }

    [Fact]
    public void Dispose_LeaveOpenFalse_ClosesStream()
    {
        var stream = new MemoryStream();
        new PcapWriter(stream).Dispose();

        Assert.False(stream.CanWrite);
    }

    [Fact]
    public void Reader_TruncatedRecord_InvalidData()
    {
        var stream = new MemoryStream();
        using (var writer = new PcapWriter(stream, leaveOpen: true))
        {
            writer.WriteFrame(new byte[10], s_timestamp);
        }

        byte[] cut = stream.ToArray().AsSpan(0, PcapWriter.FileHeaderLength + PcapWriter.RecordHeaderLength + 4).ToArray();
        using var reader = new PcapReader(new MemoryStream(cut));

        Assert.Throws<InvalidDataException>(() => reader.TryReadNext(out _));
    }

    [Fact]
    public void Reader_BadMagic_InvalidData()
    {
        byte[] bytes = new byte[24];
        bytes[0] = 0x0A;
        bytes[1] = 0x0D;
        bytes[2] = 0x0D;
        bytes[3] = 0x0A; // pcapng section header block, not classic pcap

        Assert.Throws<InvalidDataException>(() => new PcapReader(new MemoryStream(bytes)));
    }

    [Fact]
    public void Reader_BigEndianFile_Read()
    {
        // A classic pcap written on a big-endian host: magic a1 b2 c3 d4 in file order, fields big-endian.
        byte[] file = Convert.FromHexString(
            "A1B2C3D4" + "0002" + "0004" + "00000000" + "00000000" + "0000FFFF" + "00000001"
            + "67748580" + "0001E240" + "00000002" + "00000002" + "BEEF");

        using var reader = new PcapReader(new MemoryStream(file));
        Assert.True(reader.TryReadNext(out PcapRecord? record));
        Assert.Equal(s_timestamp, record!.Timestamp);
        Assert.Equal(new byte[] { 0xBE, 0xEF }, record.Data);
    }
}
