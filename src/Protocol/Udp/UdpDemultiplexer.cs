using Edsos.Protocol.Wire;

namespace Edsos.Protocol.Udp;

/// <summary>
/// The UDP bindings table of the receive path (RFC 768 demultiplexing by destination port): one socket per
/// local port, bound to one address or to 0.0.0.0 (any of ours). Generic in what a socket is, so the rule is
/// tested without actors. Not thread-safe: one actor owns it.
/// </summary>
/// <typeparam name="TSocket">Whatever the owner delivers to (the socket's actor and TS).</typeparam>
public sealed class UdpDemultiplexer<TSocket>
{
    private readonly Dictionary<ushort, Binding> _bindings = new();

    /// <summary>Ports bound.</summary>
    public int Count => _bindings.Count;

    /// <summary>Delivers datagrams for <paramref name="local"/> to <paramref name="socket"/>, replacing any binding of the port.</summary>
    public void Bind(Ipv4Endpoint local, TSocket socket) => _bindings[local.Port] = new Binding(local.Address, socket);

    /// <summary>
    /// Removes the binding of <paramref name="local"/>'s port if it is bound to exactly that address (a stale
    /// unbind for an address the port no longer has leaves the new binding alone). Returns whether it removed one.
    /// </summary>
    public bool Unbind(Ipv4Endpoint local) =>
        _bindings.TryGetValue(local.Port, out Binding binding) && binding.Address == local.Address && _bindings.Remove(local.Port);

    /// <summary>
    /// The socket for a datagram to <paramref name="destination"/>:<paramref name="port"/>: the port's binding
    /// when it is bound to any address or to <paramref name="destination"/>. False when none matches (the
    /// caller answers port unreachable where allowed).
    /// </summary>
    public bool TryLookup(Ipv4Address destination, ushort port, out TSocket socket)
    {
        if (_bindings.TryGetValue(port, out Binding binding) && (binding.Address.IsUnspecified || binding.Address == destination))
        {
            socket = binding.Socket;
            return true;
        }

        socket = default!;
        return false;
    }

    /// <summary>Forgets every binding (the stack's release).</summary>
    public void Clear() => _bindings.Clear();

    private readonly record struct Binding(Ipv4Address Address, TSocket Socket);
}
