using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace Edsos.Protocol.Wire;

/// <summary>
/// An IPv4 prefix such as 10.0.0.0/24. The address is kept as given (10.0.0.7/24 is a valid interface
/// configuration meaning "host 10.0.0.7 on 10.0.0.0/24"); <see cref="Network"/> gives the masked form.
/// </summary>
public readonly record struct Ipv4Cidr
{
    /// <summary>Creates a prefix.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="prefixLength"/> is outside 0..32.</exception>
    public Ipv4Cidr(Ipv4Address address, int prefixLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(prefixLength);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(prefixLength, 32);
        Address = address;
        PrefixLength = prefixLength;
    }

    /// <summary>The address part as given.</summary>
    public Ipv4Address Address { get; }

    /// <summary>Number of leading bits that identify the network, 0..32.</summary>
    public int PrefixLength { get; }

    /// <summary>The netmask, e.g. 255.255.255.0 for /24.</summary>
    public Ipv4Address Netmask => new(Ipv4Address.MaskOf(PrefixLength));

    /// <summary>The address with host bits cleared, e.g. 10.0.0.0 for 10.0.0.7/24.</summary>
    public Ipv4Address Network => new(Address.Value & Ipv4Address.MaskOf(PrefixLength));

    /// <summary>The directed broadcast address of the prefix (host bits all ones).</summary>
    public Ipv4Address BroadcastAddress => new(Address.Value | ~Ipv4Address.MaskOf(PrefixLength));

    /// <summary>True when <paramref name="address"/> lies inside the prefix.</summary>
    public bool Contains(Ipv4Address address) => address.InSubnet(Address, PrefixLength);

    /// <summary>Parses "10.0.0.0/24"; a missing "/n" is not accepted.</summary>
    /// <returns>False, with <paramref name="cidr"/> default, for malformed text or a prefix outside 0..32.</returns>
    public static bool TryParse([NotNullWhen(true)] string? text, out Ipv4Cidr cidr)
    {
        cidr = default;
        if (text is null)
        {
            return false;
        }

        int slash = text.IndexOf('/');
        if (slash < 0
            || !Ipv4Address.TryParse(text[..slash], out Ipv4Address address)
            || !int.TryParse(text.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int prefix)
            || prefix > 32)
        {
            return false;
        }

        cidr = new Ipv4Cidr(address, prefix);
        return true;
    }

    /// <summary>Parses "10.0.0.0/24".</summary>
    /// <exception cref="FormatException">The text is not a prefix.</exception>
    public static Ipv4Cidr Parse(string text)
    {
        return TryParse(text, out Ipv4Cidr cidr)
            ? cidr
            : throw new FormatException($"'{text}' is not an IPv4 prefix.");
    }

    /// <summary>"address/prefix", e.g. "10.0.0.0/24".</summary>
    public override string ToString()
    {
        return string.Create(CultureInfo.InvariantCulture, $"{Address}/{PrefixLength}");
    }
}
