using System.Buffers.Binary;

namespace Edsos.Protocol.Wire;

/// <summary>
/// A view over an Ethernet II frame (no preamble, no FCS: what a NIC hands to the host).
/// Getters and setters read and write the underlying bytes in place; nothing is copied.
/// </summary>
public readonly ref struct EthernetFrame
{
    /// <summary>Offset of the destination MAC address.</summary>
    public const int DestinationOffset = 0;

    /// <summary>Offset of the source MAC address.</summary>
    public const int SourceOffset = 6;

    /// <summary>Offset of the 16-bit EtherType.</summary>
    public const int EtherTypeOffset = 12;

    /// <summary>Length of the Ethernet II header.</summary>
    public const int HeaderLength = 14;

    /// <summary>Minimum frame length without FCS (IEEE 802.3: 64 bytes on the wire including the 4-byte FCS);
    /// shorter frames are padded by the sender, so a receiver sees padding after short payloads.</summary>
    public const int MinimumFrameLength = 60;

    private readonly Span<byte> _buffer;

    private EthernetFrame(Span<byte> buffer)
    {
        _buffer = buffer;
    }

    /// <summary>Wraps a buffer without checking it; for buffers this stack sized itself before emitting.
    /// Accessors throw if the buffer is too short.</summary>
    public static EthernetFrame CreateUnchecked(Span<byte> buffer) => new(buffer);

    /// <summary>Wraps untrusted bytes after checking that the header fits.</summary>
    /// <returns>False with <see cref="WireError.Truncated"/> when the buffer is shorter than 14 bytes.</returns>
    public static bool TryCreate(Span<byte> buffer, out EthernetFrame frame, out WireError error)
    {
        if (buffer.Length < HeaderLength)
        {
            frame = default;
            error = WireError.Truncated;
            return false;
        }

        frame = new EthernetFrame(buffer);
        error = WireError.None;
        return true;
    }

    /// <summary>The whole frame.</summary>
    public Span<byte> Buffer => _buffer;

    /// <summary>Destination MAC address.</summary>
    public MacAddress Destination
    {
        get => new(_buffer.Slice(DestinationOffset, MacAddress.Length));
        set => value.WriteTo(_buffer.Slice(DestinationOffset, MacAddress.Length));
    }

    /// <summary>Source MAC address.</summary>
    public MacAddress Source
    {
        get => new(_buffer.Slice(SourceOffset, MacAddress.Length));
        set => value.WriteTo(_buffer.Slice(SourceOffset, MacAddress.Length));
    }

    /// <summary>EtherType field.</summary>
    public EtherType EtherType
    {
        get => (EtherType)BinaryPrimitives.ReadUInt16BigEndian(_buffer[EtherTypeOffset..]);
        set => BinaryPrimitives.WriteUInt16BigEndian(_buffer[EtherTypeOffset..], (ushort)value);
    }

    /// <summary>Everything after the header, including any link-layer padding: the network layer's own
    /// length field (IPv4 total length) says how much of it is real.</summary>
    public Span<byte> Payload => _buffer[HeaderLength..];
}
