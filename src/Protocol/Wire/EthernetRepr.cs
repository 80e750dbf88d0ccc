namespace Edsos.Protocol.Wire;

/// <summary>The parsed Ethernet II header.</summary>
/// <param name="Destination">Destination MAC address.</param>
/// <param name="Source">Source MAC address.</param>
/// <param name="EtherType">Type of the payload.</param>
public readonly record struct EthernetRepr(MacAddress Destination, MacAddress Source, EtherType EtherType)
{
    /// <summary>Header length on the wire.</summary>
    public const int HeaderLength = EthernetFrame.HeaderLength;

    /// <summary>Reads the header of a frame accepted by <see cref="EthernetFrame.TryCreate"/>. Cannot fail:
    /// every 14-byte header is syntactically valid; unknown EtherTypes are left to the caller.</summary>
    public static EthernetRepr Parse(EthernetFrame frame)
    {
        return new EthernetRepr(frame.Destination, frame.Source, frame.EtherType);
    }

    /// <summary>Frame length needed for a payload of <paramref name="payloadLength"/> bytes (no padding).</summary>
    public static int BufferLength(int payloadLength) => HeaderLength + payloadLength;

    /// <summary>Writes the header into the first 14 bytes of <paramref name="frame"/>; the payload is untouched.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The frame buffer is shorter than 14 bytes.</exception>
    public void Emit(EthernetFrame frame)
    {
        frame.Destination = Destination;
        frame.Source = Source;
        frame.EtherType = EtherType;
    }
}
