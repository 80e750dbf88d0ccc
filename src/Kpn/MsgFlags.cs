namespace Edsos.Kpn;

/// <summary>Flags of <c>send</c>/<c>recv</c> (Linux values).</summary>
[Flags]
public enum MsgFlags
{
    /// <summary>No flag.</summary>
    None = 0,

    /// <summary>MSG_DONTWAIT: this call alone is non-blocking (<c>EAGAIN</c> instead of waiting).</summary>
    DontWait = 0x40,
}
