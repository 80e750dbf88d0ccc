using Edsos.Scheduler.Faults;

namespace Edsos.Scheduler.Tests.Faults;

/// <summary>
/// Points declared the way the services declare theirs (the runtime knows none by name), shaped
/// like the KPN's, the qdisc's and the driver's so the injector's rules are tested on realistic
/// kind sets.
/// </summary>
internal static class TestPoints
{
    public static readonly FaultPoint KpnShare = new("kpn-share", "after the KPN shared the buffer", FaultKind.TsExit | FaultKind.SocketClose);

    public static readonly FaultPoint Qdisc = new("qdisc", "while the skb is in the qdisc", FaultKind.TsExit | FaultKind.QdiscFull | FaultKind.SocketClose);

    public static readonly FaultPoint DescriptorsPosted = new("descriptors-posted", "with descriptors posted", FaultKind.TsExit | FaultKind.DriverCrash | FaultKind.RingFull | FaultKind.SocketClose);

    public static readonly FaultPoint Dma = new("dma", "during the NIC's DMA", FaultKind.TsExit | FaultKind.DmaFail | FaultKind.SocketClose);

    public static readonly FaultPoint Completion = new("completion", "in the completion chain", FaultKind.TsExit | FaultKind.DriverCrash | FaultKind.SocketClose);
}
