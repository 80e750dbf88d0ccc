using Edsos.Scheduler.Faults;

namespace Edsos.SocketService;

/// <summary>The socket node's fault injection points (seed 000 stage 2 → 3 and its receive dual).</summary>
public static class SocketFaultPoints
{
    /// <summary>The socket node holds the CTRN and is about to hand it to the transmit worker.</summary>
    public static readonly FaultPoint SocketQueue = new("socket-queue", "while the CTRN is in the socket's send queue", FaultKind.TsExit | FaultKind.SocketClose);

    /// <summary>A datagram is queued on the socket, not yet taken by <c>recv</c>.</summary>
    public static readonly FaultPoint RxSocketQueue = new("rx-socket-queue", "while a datagram waits in the socket's receive queue", FaultKind.TsExit | FaultKind.SocketClose, isReceive: true);
}
