namespace Edsos.Protocol;

/// <summary>The socket type of <c>socket(domain, type, protocol)</c> (Linux values).</summary>
public enum SocketKind
{
    Stream = 1,
    Dgram = 2,
    Raw = 3,
}
