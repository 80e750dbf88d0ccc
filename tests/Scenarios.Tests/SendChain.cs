using System.Text.RegularExpressions;

namespace Edsos.Scenarios.Tests;

/// <summary>
/// What the trace of one <c>send()</c> must hold, per transport: the spans along the causal path
/// from the syscall's root to the KPN's <c>SendRespEvent</c> (each a descendant of the one before),
/// and the CTRN operations in the order they take effect with the node paths of seed 000's table.
/// TCP adds its own instance when it lands.
/// </summary>
/// <param name="Root">The root span's name (the Libc syscall).</param>
/// <param name="Path">Span names along the chain, root excluded, ending with <c>SendRespEvent</c>.</param>
/// <param name="Ops">CTRN events in order: the op and a pattern its <c>edsos.node</c> matches (null: any).</param>
internal sealed record SendChain(string Root, string[] Path, (string Op, Regex? Node)[] Ops, int[] RefCountsAfterSendQPop)
{
    private static readonly Regex s_sendQ = new(@"^/net/sockets/sock_0x[0-9A-F]+/send_q/\d+$");
    private static readonly Regex s_ipv4Tx = new(@"^/net/ipv4/tx/");
    private static readonly Regex s_driver = new(@"^/drivers/net/eth0/");

    /// <summary>The UDP send path of seed 000 (stages 1 to 5) on the zero-copy stack.</summary>
    public static readonly SendChain Udp = new(
        "sendto",
        ["SendTo", "SendReqEvent", "XmitRequest", "IpQueueXmit", "DevQueueXmit", "XmitSkbEvent", "SendCompleteEvent", "SkbSentEvent", "IpXmitComplete", "SendRespEvent"],
        [
            ("ct_share", s_sendQ),     // stage 1: the KPN shares the user's buffer under send_q
            ("ct_share", s_ipv4Tx),    // stage 2: the socket shares it on to the UDP worker
            ("push", s_ipv4Tx),        // stage 3: header space
            ("merge", s_ipv4Tx),       //          header + payload = the skb node
            ("ct_share", s_driver),    // stage 4: the qdisc shares the skb into the driver
            ("pin", s_driver),         //          the driver pins it for DMA
            ("tx_descriptor", null),   //          one descriptor for the header's page
            ("tx_descriptor", null),   //          one for the user's own page
            ("pop", s_driver),         // stage 5: completion pops each level
            ("pop", s_ipv4Tx),
            ("pop", s_sendQ),
        ],
        [1]); // only the user's own buffer still holds the page

    private static readonly Regex s_tcp = new(@"^/net/ipv4/tx/tcp/");
    private static readonly Regex s_segment = new(@"^/net/ipv4/tx/tcp-seg");

    /// <summary>
    /// The TCP send path (seed 000 with the tcp_tx_worker): the payload shared into the TCP worker's
    /// TS, each segment a shared slice of it plus pushed header space, merged into the skb by IPv4.
    /// </summary>
    public static readonly SendChain Tcp = new(
        "send",
        ["SendTo", "SendReqEvent", "XmitRequest", "IpQueueXmit", "DevQueueXmit", "XmitSkbEvent", "SendCompleteEvent", "SkbSentEvent", "IpXmitComplete", "XmitComplete", "SendRespEvent"],
        [
            ("ct_share", s_sendQ),     // stage 1: the KPN shares the user's buffer under send_q
            ("ct_share", s_tcp),       // stage 2: the socket shares it on to tcp_tx_worker (kept until ACKed)
            ("push", s_tcp),           // stage 3: header space
            ("ct_share", s_segment),   //          the segment's slice of the payload, shared to IPv4
            ("merge", s_ipv4Tx),       //          header + slice = the skb node
            ("ct_share", s_driver),    // stage 4: the qdisc shares the skb into the driver
            ("pin", s_driver),
            ("tx_descriptor", null),
            ("tx_descriptor", null),
            ("pop", s_driver),         // stage 5: completion pops each level
            ("pop", s_ipv4Tx),
            ("pop", s_sendQ),
        ],
        [2, 1]); // TCP keeps its retransmission reference until the ACK, which may already have come

    public static bool IsKpnTs(string? ts) => ts is not null && Regex.IsMatch(ts, @"^/user_proc/[^/]+/sysagent/kpn$");
}
