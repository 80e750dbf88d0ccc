namespace Edsos.Protocol.Inet;

/// <summary>State of the inet family (reply to <see cref="InetStackProtocol.GetCounters"/>).</summary>
/// <param name="Protocols">Registered (type, protocol) entries.</param>
/// <param name="Bindings">Local ports bound.</param>
public sealed record InetFamilyCounters(int Protocols, int Bindings);
