using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace Edsos.Protocol.Wire;

/// <summary>
/// A 48-bit IEEE 802 MAC address. Stored in a <see cref="ulong"/> (the six bytes in wire order, most
/// significant first) so that the struct is small, comparable and free of arrays.
/// </summary>
public readonly struct MacAddress : IEquatable<MacAddress>
{
    /// <summary>Length of a MAC address on the wire, in bytes.</summary>
    public const int Length = 6;

    private const ulong Mask = 0xFFFF_FFFF_FFFFUL;

    private readonly ulong _value;

    private MacAddress(ulong value)
    {
        _value = value & Mask;
    }

    /// <summary>Reads an address from the first six bytes of <paramref name="bytes"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="bytes"/> is shorter than six bytes.</exception>
    public MacAddress(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < Length)
        {
            throw new ArgumentException("A MAC address needs six bytes.", nameof(bytes));
        }

        _value = ((ulong)BinaryPrimitives.ReadUInt16BigEndian(bytes) << 32)
            | BinaryPrimitives.ReadUInt32BigEndian(bytes[2..]);
    }

    /// <summary>ff:ff:ff:ff:ff:ff, the Ethernet broadcast address (used as ARP request destination).</summary>
    public static MacAddress Broadcast { get; } = new(Mask);

    /// <summary>00:00:00:00:00:00, used as the unknown target hardware address in ARP requests (RFC 826).</summary>
    public static MacAddress Zero { get; } = default;

    /// <summary>True for ff:ff:ff:ff:ff:ff.</summary>
    public bool IsBroadcast => _value == Mask;

    /// <summary>True when the I/G bit (least significant bit of the first byte) is set; broadcast included.</summary>
    public bool IsMulticast => ((_value >> 40) & 0x01) != 0;

    /// <summary>True for an individual (non-group) address.</summary>
    public bool IsUnicast => !IsMulticast;

    /// <summary>Writes the six bytes in wire order.</summary>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than six bytes.</exception>
    public void WriteTo(Span<byte> destination)
    {
        if (destination.Length < Length)
        {
            throw new ArgumentException("A MAC address needs six bytes.", nameof(destination));
        }

        BinaryPrimitives.WriteUInt16BigEndian(destination, (ushort)(_value >> 32));
        BinaryPrimitives.WriteUInt32BigEndian(destination[2..], (uint)_value);
    }

    /// <summary>Parses "02:00:00:00:00:01" (colon or dash separated, two hex digits per byte).</summary>
    /// <returns>False, with <paramref name="address"/> default, if the text is not in that form.</returns>
    public static bool TryParse([NotNullWhen(true)] string? text, out MacAddress address)
    {
        address = default;
        if (text is null || text.Length != 17)
        {
            return false;
        }

        ulong value = 0;
        for (int i = 0; i < Length; i++)
        {
            int at = i * 3;
            if (i > 0 && text[at - 1] != ':' && text[at - 1] != '-')
            {
                return false;
            }

            if (!byte.TryParse(text.AsSpan(at, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out byte b))
            {
                return false;
            }

            value = (value << 8) | b;
        }

        address = new MacAddress(value);
        return true;
    }

    /// <summary>Parses "02:00:00:00:00:01".</summary>
    /// <exception cref="FormatException">The text is not a MAC address.</exception>
    public static MacAddress Parse(string text)
    {
        return TryParse(text, out MacAddress address)
            ? address
            : throw new FormatException($"'{text}' is not a MAC address.");
    }

    /// <summary>Lower-case colon-separated form, e.g. "02:00:00:00:00:01".</summary>
    public override string ToString()
    {
        return string.Create(17, _value, static (span, value) =>
        {
            for (int i = 0; i < Length; i++)
            {
                byte b = (byte)(value >> (40 - (8 * i)));
                int at = i * 3;
                b.TryFormat(span[at..], out _, "x2", CultureInfo.InvariantCulture);
                if (i < Length - 1)
                {
                    span[at + 2] = ':';
                }
            }
        });
    }

    /// <inheritdoc/>
    public bool Equals(MacAddress other) => _value == other._value;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is MacAddress other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => _value.GetHashCode();

    /// <summary>Value equality.</summary>
    public static bool operator ==(MacAddress left, MacAddress right) => left.Equals(right);

    /// <summary>Value inequality.</summary>
    public static bool operator !=(MacAddress left, MacAddress right) => !left.Equals(right);
}
