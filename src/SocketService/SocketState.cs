namespace Edsos.SocketService;

/// <summary>Where a socket is in its life.</summary>
public enum SocketState
{
    /// <summary>Created; no local port yet (the first send or connect binds an ephemeral one).</summary>
    Unbound,

    /// <summary>Bound to a local endpoint; no default peer.</summary>
    Bound,

    /// <summary>Bound, with a default peer (<c>connect</c>): sends without a destination go there.</summary>
    Connected,

    /// <summary>Stream socket: the handshake of a <c>connect</c> is under way.</summary>
    Connecting,

    /// <summary>Stream socket: listening for connections (<c>listen</c>).</summary>
    Listening,

    /// <summary>Closed: every call answers <c>EBADF</c>; the node is stopping.</summary>
    Closed,
}
