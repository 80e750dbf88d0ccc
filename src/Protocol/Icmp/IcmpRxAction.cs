namespace Edsos.Protocol.Icmp;

/// <summary>What the receive path does with a verified ICMP message (<see cref="IcmpRxDispatcher.Dispatch"/>).</summary>
public enum IcmpRxAction
{
    /// <summary>Counted and dropped: an error about our datagrams (no socket contract carries it yet), another type, or an echo request that may not be answered.</summary>
    Ignore,

    /// <summary>An echo request to answer: its data node goes to the ICMP service, which replies reusing it.</summary>
    AnswerEcho,

    /// <summary>An echo reply: reported to the ICMP service, which matches it to a ping.</summary>
    ReportEchoReply,
}
