namespace Edsos.SocketService;

/// <summary>Which data path the stack runs: EDSOS zero copy, or the Linux copy path of seeds 001/003/004.</summary>
public enum DataPathMode
{
    /// <summary>The user's pages are shared down to the NIC; receive grants the buffer to the app.</summary>
    ZeroCopy,

    /// <summary>Copy into a kernel buffer at send, copy into the user's buffer at receive (counted).</summary>
    Copy,
}
