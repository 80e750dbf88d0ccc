namespace Edsos.Protocol.Tcp;

/// <summary>The connection states of RFC 9293 section 3.3.2 (LISTEN is a listener, not a TCB, here).</summary>
public enum TcpState
{
    /// <summary>No connection.</summary>
    Closed,

    /// <summary>SYN sent, waiting for SYN-ACK.</summary>
    SynSent,

    /// <summary>SYN received and SYN-ACK sent, waiting for the ACK.</summary>
    SynReceived,

    /// <summary>Open: data both ways.</summary>
    Established,

    /// <summary>Our FIN sent, not yet acknowledged.</summary>
    FinWait1,

    /// <summary>Our FIN acknowledged; waiting for the peer's.</summary>
    FinWait2,

    /// <summary>The peer's FIN received; we may still send.</summary>
    CloseWait,

    /// <summary>Both FINs crossed (simultaneous close); waiting for the ACK of ours.</summary>
    Closing,

    /// <summary>Our FIN sent after the peer's; waiting for its ACK.</summary>
    LastAck,

    /// <summary>Both sides done; lingering 2·MSL for stray segments.</summary>
    TimeWait,
}
