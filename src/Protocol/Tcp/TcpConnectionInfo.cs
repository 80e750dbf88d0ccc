namespace Edsos.Protocol.Tcp;

/// <summary>
/// One connection's state as <see cref="TcpProtocol.GetTcpConnections"/> reports it (RFC 9293 3.3.1 variables).
/// <see cref="SndWndShift"/> / <see cref="RcvWndShift"/> are the RFC 7323 window shifts in use (0: not scaling);
/// <see cref="HoldsPort"/> is true when the connection keeps its closed socket's port bound until it is deleted;
/// <see cref="ReceiveWindowLimit"/> is the most its window may promise (the buffer as the host's memory bounds it).
/// </summary>
public sealed record TcpConnectionInfo(
    ulong Id,
    Ipv4Endpoint Local,
    Ipv4Endpoint Remote,
    TcpState State,
    uint SndUna,
    uint SndNxt,
    uint SndMax,
    uint SendEnd,
    uint SndWnd,
    int Cwnd,
    int Ssthresh,
    bool InRecovery,
    uint RcvNxt,
    int RcvUnread,
    int OutOfOrderSegments,
    int ChunksHeld,
    TimeSpan Rto,
    int Backoffs,
    bool RtoArmed,
    bool PersistArmed,
    long Retransmits,
    long BytesAcked,
    int SndWndShift,
    int RcvWndShift,
    bool HoldsPort,
    int ReceiveWindowLimit);
