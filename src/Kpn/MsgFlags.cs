namespace Edsos.Kpn;

/// <summary>Flags of <c>send</c>/<c>recv</c> (Linux values).</summary>
[Flags]
public enum MsgFlags
{
    /// <summary>No flag.</summary>
    None = 0,

    /// <summary>MSG_DONTWAIT: this call alone is non-blocking (<c>EAGAIN</c> instead of waiting).</summary>
    DontWait = 0x40,

    /// <summary>
    /// MSG_ZEROCOPY (send only): on the zero-copy data path the call returns once the socket has taken the buffer's
    /// CTRN into its send queue (within SO_SNDBUF), as a copy-mode send returns once the bytes are copied, not when
    /// they have been transmitted. The pages stay shared until the NIC has read them (TCP: until acknowledged); a write
    /// to them in the meantime is copy-on-write (the copy counted), so the bytes sent are the bytes the buffer held at
    /// the call. Errors found after the return are the socket's (SO_ERROR; TCP's connection error), as in copy mode.
    /// No effect in copy mode, nor on receives.
    /// </summary>
    ZeroCopy = 0x4000000,
}
