namespace Edsos.Kpn.Internal;

/// <summary>Which syscall a pending request belongs to, so the socket's reply is turned into the right result.</summary>
internal enum CallKind
{
    Socket,
    Bind,
    Connect,
    Send,
    RecvCopy,
    RecvZeroCopy,
    Close,
    ExitClose,
    Option,
    Listen,
    Accept,
    AcceptCreate,
    Adopt,
    Shutdown,

    /// <summary>The process's <c>Exit</c>: answered once every <see cref="ExitClose"/> is confirmed.</summary>
    Exit,
}
