using System.Buffers.Binary;

namespace Edsos.Driver.Wires;

/// <summary>
/// Reads classic libpcap files in either byte order, with microsecond (0xa1b2c3d4) or nanosecond
/// (0xa1b23c4d) timestamps. Meant for tests and tools, so it allocates per record.
/// </summary>
public sealed class PcapReader : IDisposable
{
    private const uint NanosecondMagic = 0xA1B23C4D;

    private readonly Stream _stream;
    private readonly bool _leaveOpen;
    private readonly bool _bigEndian;
    private readonly bool _nanoseconds;

    /// <summary>Reads and checks the global header.</summary>
    /// <exception cref="InvalidDataException">The stream does not start with a pcap header.</exception>
    public PcapReader(Stream stream, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(stream);
        _stream = stream;
        _leaveOpen = leaveOpen;
        Span<byte> header = stackalloc byte[PcapWriter.FileHeaderLength];
        if (!ReadExactly(header))
        {
            throw new InvalidDataException("The stream ends inside the pcap file header.");
        }

        uint magic = BinaryPrimitives.ReadUInt32LittleEndian(header);
        if (magic == PcapWriter.Magic || magic == NanosecondMagic)
        {
            _bigEndian = false;
        }
        else
        {
            magic = BinaryPrimitives.ReadUInt32BigEndian(header);
            if (magic != PcapWriter.Magic && magic != NanosecondMagic)
            {
                throw new InvalidDataException($"Not a pcap file (magic 0x{BinaryPrimitives.ReadUInt32LittleEndian(header):x8}).");
            }

            _bigEndian = true;
        }

        _nanoseconds = magic == NanosecondMagic;
        VersionMajor = ReadUInt16(header[4..]);
        VersionMinor = ReadUInt16(header[6..]);
        SnapLength = ReadUInt32(header[16..]);
        LinkType = ReadUInt32(header[20..]);
    }

    /// <summary>Major version (2).</summary>
    public ushort VersionMajor { get; }

    /// <summary>Minor version (4).</summary>
    public ushort VersionMinor { get; }

    /// <summary>Snap length from the header.</summary>
    public uint SnapLength { get; }

    /// <summary>LINKTYPE_* from the header (1 for Ethernet).</summary>
    public uint LinkType { get; }

    /// <summary>Reads the next record.</summary>
    /// <returns>False at a clean end of file.</returns>
    /// <exception cref="InvalidDataException">The file ends inside a record, or a record claims more
    /// captured bytes than the snap length allows.</exception>
    public bool TryReadNext(out PcapRecord? record)
    {
        record = null;
        Span<byte> header = stackalloc byte[PcapWriter.RecordHeaderLength];
        int first = _stream.Read(header);
        if (first == 0)
        {
            return false;
        }

        if (first < header.Length && !ReadExactly(header[first..]))
        {
            throw new InvalidDataException("The file ends inside a record header.");
        }

        uint seconds = ReadUInt32(header);
        uint fraction = ReadUInt32(header[4..]);
        uint included = ReadUInt32(header[8..]);
        uint original = ReadUInt32(header[12..]);
        if (included > SnapLength || included > int.MaxValue || original > int.MaxValue)
        {
            throw new InvalidDataException($"A record claims {included} captured bytes with snap length {SnapLength}.");
        }

        byte[] data = new byte[included];
        if (!ReadExactly(data))
        {
            throw new InvalidDataException("The file ends inside record data.");
        }

        long ticks = _nanoseconds ? fraction / 100 : fraction * TimeSpan.TicksPerMicrosecond;
        DateTimeOffset timestamp = DateTimeOffset.UnixEpoch.AddSeconds(seconds).AddTicks(ticks);
        record = new PcapRecord(timestamp, (int)original, data);
        return true;
    }

    /// <summary>Closes the stream unless leaveOpen was given.</summary>
    public void Dispose()
    {
        if (!_leaveOpen)
        {
            _stream.Dispose();
        }
    }

    private bool ReadExactly(Span<byte> buffer)
    {
        return _stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false) == buffer.Length;
    }

    private ushort ReadUInt16(ReadOnlySpan<byte> bytes) =>
        _bigEndian ? BinaryPrimitives.ReadUInt16BigEndian(bytes) : BinaryPrimitives.ReadUInt16LittleEndian(bytes);

    private uint ReadUInt32(ReadOnlySpan<byte> bytes) =>
        _bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(bytes) : BinaryPrimitives.ReadUInt32LittleEndian(bytes);
}
