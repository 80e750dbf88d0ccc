using Edsos.Scheduler.Faults;

namespace Edsos.Kpn;

/// <summary>The KPN's fault injection point (seed 000 stage 1 → 2).</summary>
public static class KpnFaultPoints
{
    /// <summary>The KPN has <c>ct_share</c>d the user's buffer under the socket's <c>send_q</c>.</summary>
    public static readonly FaultPoint KpnShare = new("kpn-share", "after the KPN shared the buffer", FaultKind.TsExit | FaultKind.SocketClose);
}
