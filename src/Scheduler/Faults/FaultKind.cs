namespace Edsos.Scheduler.Faults;

/// <summary>
/// What an injected fault does. A flags enum so that an injection point can say which kinds it
/// accepts at a given call (<see cref="FaultInjector.Hit"/>'s <c>accept</c>).
/// </summary>
[Flags]
public enum FaultKind
{
    /// <summary>No fault (what <see cref="FaultInjector.Hit"/> returns when nothing fires).</summary>
    None = 0,

    /// <summary>The target user TS exits: its memory is lifted at the point, then its actors stop (<see cref="ActorSystem.ExitTsAsync(TsId)"/>).</summary>
    TsExit = 1,

    /// <summary>The driver actor that hit the point throws <see cref="InjectedFaultException"/>; its supervisor restarts it.</summary>
    DriverCrash = 2,

    /// <summary>The NIC's DMA of the frame fails: the descriptor is written back with an error.</summary>
    DmaFail = 4,

    /// <summary>The TX ring has no room: the driver refuses the skb.</summary>
    RingFull = 8,

    /// <summary>The qdisc is full: it drops the skb.</summary>
    QdiscFull = 16,

    /// <summary>Another thread of the app closes the socket (the armed fault's action runs).</summary>
    SocketClose = 32,

    /// <summary>Every kind.</summary>
    All = TsExit | DriverCrash | DmaFail | RingFull | QdiscFull | SocketClose,
}
