using System.Buffers.Binary;

namespace Edsos.Driver.Wires;

/// <summary>
/// Writes the classic libpcap file format (magic 0xa1b2c3d4, version 2.4, microsecond timestamps,
/// little-endian as written by x86 libpcap) so frames can be opened in Wireshark or tshark.
/// Thread-safe: records from concurrent writers never interleave.
/// </summary>
/// <remarks>Frames longer than the snap length are cut, keeping their original length in the record,
/// exactly as libpcap does. Scatter-gather frames are written segment by segment, never concatenated.</remarks>
public sealed class PcapWriter : IDisposable
{
    /// <summary>The classic pcap magic number (microsecond resolution).</summary>
    public const uint Magic = 0xA1B2C3D4;

    /// <summary>Link type for Ethernet (LINKTYPE_ETHERNET).</summary>
    public const uint LinkTypeEthernet = 1;

    /// <summary>Global header length.</summary>
    public const int FileHeaderLength = 24;

    /// <summary>Per-record header length.</summary>
    public const int RecordHeaderLength = 16;

    private readonly Stream _stream;
    private readonly bool _leaveOpen;
    private readonly Lock _gate = new();
    private bool _disposed;

    /// <summary>Writes the 24-byte global header to <paramref name="stream"/> at once.</summary>
    /// <param name="stream">Writable destination.</param>
    /// <param name="snapLength">Longest part of a frame kept (65535 keeps every Ethernet frame whole).</param>
    /// <param name="linkType">LINKTYPE_* value; 1 for Ethernet.</param>
    /// <param name="leaveOpen">True to leave <paramref name="stream"/> open on dispose.</param>
    /// <exception cref="ArgumentException"><paramref name="stream"/> is not writable.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="snapLength"/> is below 1.</exception>
    public PcapWriter(Stream stream, int snapLength = 65535, uint linkType = LinkTypeEthernet, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanWrite)
        {
            throw new ArgumentException("The pcap stream must be writable.", nameof(stream));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(snapLength, 1);
        _stream = stream;
        _leaveOpen = leaveOpen;
        SnapLength = snapLength;

        Span<byte> header = stackalloc byte[FileHeaderLength];
        BinaryPrimitives.WriteUInt32LittleEndian(header, Magic);
        BinaryPrimitives.WriteUInt16LittleEndian(header[4..], 2);   // version_major
        BinaryPrimitives.WriteUInt16LittleEndian(header[6..], 4);   // version_minor
        BinaryPrimitives.WriteInt32LittleEndian(header[8..], 0);    // thiszone: timestamps are UTC
        BinaryPrimitives.WriteUInt32LittleEndian(header[12..], 0);  // sigfigs: always 0 in practice
        BinaryPrimitives.WriteUInt32LittleEndian(header[16..], (uint)snapLength);
        BinaryPrimitives.WriteUInt32LittleEndian(header[20..], linkType);
        _stream.Write(header);
    }

    /// <summary>The snap length written in the global header.</summary>
    public int SnapLength { get; }

    /// <summary>Appends one record for a contiguous frame.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="timestamp"/> is before 1970 or after 2106
    /// (the 32-bit seconds field).</exception>
    /// <exception cref="ObjectDisposedException">The writer was disposed.</exception>
    public void WriteFrame(ReadOnlySpan<byte> frame, DateTimeOffset timestamp)
    {
        Span<byte> header = stackalloc byte[RecordHeaderLength];
        int included = FillRecordHeader(header, frame.Length, timestamp);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _stream.Write(header);
            _stream.Write(frame[..included]);
        }
    }

    /// <summary>Appends one record for a frame given as consecutive segments (e.g. header buffer plus
    /// payload buffers), writing each segment in turn without concatenating them.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="timestamp"/> is out of range, or the
    /// segments add up to more than 4 GiB.</exception>
    /// <exception cref="ObjectDisposedException">The writer was disposed.</exception>
    public void WriteFrame(ReadOnlySpan<ReadOnlyMemory<byte>> segments, DateTimeOffset timestamp)
    {
        long total = 0;
        foreach (ReadOnlyMemory<byte> segment in segments)
        {
            total += segment.Length;
        }

        if (total > uint.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(segments), "A pcap record cannot describe more than 4 GiB.");
        }

        Span<byte> header = stackalloc byte[RecordHeaderLength];
        int remaining = FillRecordHeader(header, total, timestamp);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _stream.Write(header);
            foreach (ReadOnlyMemory<byte> segment in segments)
            {
                if (remaining == 0)
                {
                    break;
                }

                ReadOnlySpan<byte> part = segment.Span;
                if (part.Length > remaining)
                {
                    part = part[..remaining];
                }

                _stream.Write(part);
                remaining -= part.Length;
            }
        }
    }

    /// <summary>Flushes the underlying stream.</summary>
    /// <exception cref="ObjectDisposedException">The writer was disposed.</exception>
    public void Flush()
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _stream.Flush();
        }
    }

    /// <summary>Flushes and, unless leaveOpen was given, closes the stream. Idempotent.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _stream.Flush();
            if (!_leaveOpen)
            {
                _stream.Dispose();
            }
        }
    }

    private int FillRecordHeader(Span<byte> header, long originalLength, DateTimeOffset timestamp)
    {
        long ticks = timestamp.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks;
        long seconds = ticks / TimeSpan.TicksPerSecond;
        if (ticks < 0 || seconds > uint.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(timestamp), timestamp, "pcap timestamps cover 1970..2106.");
        }

        uint microseconds = (uint)(ticks % TimeSpan.TicksPerSecond / TimeSpan.TicksPerMicrosecond);
        int included = (int)Math.Min(originalLength, SnapLength);
        BinaryPrimitives.WriteUInt32LittleEndian(header, (uint)seconds);
        BinaryPrimitives.WriteUInt32LittleEndian(header[4..], microseconds);
        BinaryPrimitives.WriteUInt32LittleEndian(header[8..], (uint)included);
        BinaryPrimitives.WriteUInt32LittleEndian(header[12..], (uint)originalLength);
        return included;
    }
}
