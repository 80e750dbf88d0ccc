namespace Edsos.Protocol.Ipv4;

/// <summary>The transmit worker's running counters; <see cref="Snapshot"/> answers GetCounters.</summary>
internal sealed class Ipv4TxTally
{
    public long Datagrams { get; set; }

    public long Frames { get; set; }

    public long Fragmented { get; set; }

    public long GsoDatagrams { get; set; }

    public long LoopbackFrames { get; set; }

    public long NoRoute { get; set; }

    public long ArpRequestsSent { get; set; }

    public long ArpRepliesSent { get; set; }

    public long ArpFailures { get; set; }

    public long ArpQueueDrops { get; set; }

    public long Faults { get; set; }

    public long Completed { get; set; }

    public long Failed { get; set; }

    public bool GatewayReachable { get; set; }

    public Ipv4TxCounters Snapshot() => new(
        Datagrams: Datagrams,
        Frames: Frames,
        Fragmented: Fragmented,
        LoopbackFrames: LoopbackFrames,
        NoRoute: NoRoute,
        ArpRequests: ArpRequestsSent,
        ArpReplies: ArpRepliesSent,
        ArpFailures: ArpFailures,
        ArpQueueDrops: ArpQueueDrops,
        Faults: Faults,
        Completed: Completed,
        Failed: Failed,
        GatewayReachable: GatewayReachable,
        GsoDatagrams: GsoDatagrams);
}
