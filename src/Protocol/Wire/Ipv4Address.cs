using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace Edsos.Protocol.Wire;

/// <summary>
/// An IPv4 address held as a <see cref="uint"/> in host order (10.0.0.1 is 0x0A000001), so that
/// prefix arithmetic is plain shifting. Conversion to and from the wire (network order) happens only
/// in <see cref="Read"/> and <see cref="WriteTo"/>.
/// </summary>
public readonly struct Ipv4Address : IEquatable<Ipv4Address>, IComparable<Ipv4Address>
{
    /// <summary>Length of an IPv4 address on the wire, in bytes.</summary>
    public const int Length = 4;

    /// <summary>Creates an address from its host-order value (10.0.0.1 is 0x0A000001).</summary>
    public Ipv4Address(uint value)
    {
        Value = value;
    }

    /// <summary>Creates an address from its four dotted-quad octets.</summary>
    public Ipv4Address(byte a, byte b, byte c, byte d)
    {
        Value = ((uint)a << 24) | ((uint)b << 16) | ((uint)c << 8) | d;
    }

    /// <summary>The address as a host-order integer.</summary>
    public uint Value { get; }

    /// <summary>0.0.0.0.</summary>
    public static Ipv4Address Any { get; } = default;

    /// <summary>255.255.255.255, the limited broadcast address (RFC 919).</summary>
    public static Ipv4Address Broadcast { get; } = new(0xFFFF_FFFFu);

    /// <summary>True for the limited broadcast address 255.255.255.255. Directed (subnet) broadcasts
    /// depend on the prefix; see <see cref="IsSubnetBroadcast"/>.</summary>
    public bool IsBroadcast => Value == 0xFFFF_FFFFu;

    /// <summary>True for 0.0.0.0.</summary>
    public bool IsUnspecified => Value == 0;

    /// <summary>True for 224.0.0.0/4 (RFC 5771).</summary>
    public bool IsMulticast => (Value & 0xF000_0000u) == 0xE000_0000u;

    /// <summary>True for 127.0.0.0/8 (RFC 1122 3.2.1.3).</summary>
    public bool IsLoopback => (Value >> 24) == 127;

    /// <summary>Reads an address stored in network order from the first four bytes.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="bytes"/> is shorter than four bytes.</exception>
    public static Ipv4Address Read(ReadOnlySpan<byte> bytes)
    {
        return new Ipv4Address(BinaryPrimitives.ReadUInt32BigEndian(bytes));
    }

    /// <summary>Writes the address in network order into the first four bytes.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="destination"/> is shorter than four bytes.</exception>
    public void WriteTo(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt32BigEndian(destination, Value);
    }

    /// <summary>The netmask for a prefix length, e.g. 24 → 0xFFFFFF00.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="prefixLength"/> is outside 0..32.</exception>
    public static uint MaskOf(int prefixLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(prefixLength);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(prefixLength, 32);

        // A shift by 32 is a shift by 0 in C#, so /0 needs its own case.
        return prefixLength == 0 ? 0u : 0xFFFF_FFFFu << (32 - prefixLength);
    }

    /// <summary>True when this address and <paramref name="network"/> agree on the first
    /// <paramref name="prefixLength"/> bits.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="prefixLength"/> is outside 0..32.</exception>
    public bool InSubnet(Ipv4Address network, int prefixLength)
    {
        uint mask = MaskOf(prefixLength);
        return (Value & mask) == (network.Value & mask);
    }

    /// <summary>True when this is the all-ones host part of the subnet <paramref name="network"/>/<paramref name="prefixLength"/>
    /// (a directed broadcast, RFC 919). Always false for /31 and /32, which have no broadcast (RFC 3021).</summary>
    public bool IsSubnetBroadcast(Ipv4Address network, int prefixLength)
    {
        if (prefixLength >= 31)
        {
            return false;
        }

        uint mask = MaskOf(prefixLength);
        return InSubnet(network, prefixLength) && (Value | mask) == 0xFFFF_FFFFu;
    }

    /// <summary>Parses dotted-quad text such as "10.0.0.1" (exactly four decimal octets 0..255).</summary>
    /// <returns>False, with <paramref name="address"/> default, for anything else.</returns>
    public static bool TryParse([NotNullWhen(true)] string? text, out Ipv4Address address)
    {
        address = default;
        if (text is null)
        {
            return false;
        }

        ReadOnlySpan<char> rest = text;
        uint value = 0;
        for (int i = 0; i < 4; i++)
        {
            int dot = rest.IndexOf('.');
            ReadOnlySpan<char> part = i < 3 ? (dot < 0 ? [] : rest[..dot]) : rest;
            if (part.Length is 0 or > 3 || (i == 3 && dot >= 0))
            {
                return false;
            }

            if (!byte.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out byte octet))
            {
                return false;
            }

            value = (value << 8) | octet;
            rest = i < 3 ? rest[(dot + 1)..] : [];
        }

        address = new Ipv4Address(value);
        return true;
    }

    /// <summary>Parses "10.0.0.1".</summary>
    /// <exception cref="FormatException">The text is not a dotted-quad IPv4 address.</exception>
    public static Ipv4Address Parse(string text)
    {
        return TryParse(text, out Ipv4Address address)
            ? address
            : throw new FormatException($"'{text}' is not an IPv4 address.");
    }

    /// <summary>Dotted-quad form, e.g. "10.0.0.1".</summary>
    public override string ToString()
    {
        return string.Create(CultureInfo.InvariantCulture, $"{Value >> 24}.{(Value >> 16) & 0xFF}.{(Value >> 8) & 0xFF}.{Value & 0xFF}");
    }

    /// <inheritdoc/>
    public bool Equals(Ipv4Address other) => Value == other.Value;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is Ipv4Address other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => Value.GetHashCode();

    /// <summary>Orders by numeric value (host order).</summary>
    public int CompareTo(Ipv4Address other) => Value.CompareTo(other.Value);

    /// <summary>Value equality.</summary>
    public static bool operator ==(Ipv4Address left, Ipv4Address right) => left.Equals(right);

    /// <summary>Value inequality.</summary>
    public static bool operator !=(Ipv4Address left, Ipv4Address right) => !left.Equals(right);
}
