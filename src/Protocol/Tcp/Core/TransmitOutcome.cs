namespace Edsos.Protocol.Tcp.Core;

/// <summary>What became of a segment handed to <see cref="ITcpConnectionHost.Transmit"/>.</summary>
public enum TransmitOutcome
{
    /// <summary>Handed to the layer below.</summary>
    Sent,

    /// <summary>Not sent (memory short): the segment counts as lost and retransmission repairs it.</summary>
    Lost,

    /// <summary>
    /// Not sent because the payload chunk's pages were revoked (the TS it came from exited): those bytes can never be
    /// sent, so the connection aborts at its next <see cref="TcpConnection.Poll"/> (a RST to the peer).
    /// </summary>
    PayloadRevoked,
}
