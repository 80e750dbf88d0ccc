namespace Edsos.SocketService.Internal;

/// <summary>Why the socket sent a <c>BindRequest</c>, so the <c>BindReply</c> finishes the right call.</summary>
internal enum BindPurpose
{
    /// <summary>An explicit <c>bind()</c>.</summary>
    Explicit,

    /// <summary>An implicit ephemeral bind for <c>connect()</c>.</summary>
    Connect,

    /// <summary>An implicit ephemeral bind for the first send.</summary>
    Send,
}
