using Edsos.Protocol.Wire;

namespace Edsos.Protocol;

/// <summary>An IPv4 address and a port (sockaddr_in).</summary>
public readonly record struct Ipv4Endpoint(Ipv4Address Address, ushort Port)
{
    /// <summary>Parses <c>a.b.c.d:port</c>; throws <see cref="FormatException"/> with the bad text on failure.</summary>
    public static Ipv4Endpoint Parse(string text)
    {
        var colon = text.LastIndexOf(':');
        if (colon <= 0 || !ushort.TryParse(text.AsSpan(colon + 1), out var port))
        {
            throw new FormatException($"'{text}' is not an IPv4 endpoint (a.b.c.d:port)");
        }

        return new Ipv4Endpoint(Ipv4Address.Parse(text[..colon]), port);
    }

    /// <summary>Formats as <c>a.b.c.d:port</c>.</summary>
    public override string ToString() => $"{Address}:{Port}";
}
