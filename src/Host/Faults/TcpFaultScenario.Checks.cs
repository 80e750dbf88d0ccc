using Edsos.SocketService;
using Edsos.Kpn;
using Edsos.Driver;
using System.Collections.Concurrent;
using Edsos.Protocol;
using Edsos.Scheduler.Faults;

namespace Edsos.Host.Faults;

/// <summary>What each fault means for a stream, and what it may do to the two apps' results.</summary>
public static partial class TcpFaultScenario
{
    /// <summary>
    /// What <paramref name="fault"/> does to the scenario's stream, in words: where it hits (the client's
    /// writes on A for the send path, the server's reads on B for the <c>rx-*</c> duals) and how TCP answers.
    /// </summary>
    public static string Describe(FaultSpecName fault)
    {
        var stage = Stage(fault.Point);
        var point = fault.Point;
        return fault.Kind switch
        {
            FaultKind.TsExit when point == StackFaultPoints.ArpParked =>
                "the client's TS exits while its SYN is parked on ARP (over TCP only the handshake waits on ARP): connect ends, nothing is streamed, all reclaimed",
            FaultKind.SocketClose when point == StackFaultPoints.ArpParked =>
                "another thread of the client closes the socket while its SYN is parked on ARP (over TCP only the handshake waits on ARP): connect gets EBADF",
            FaultKind.TsExit when point.IsReceive =>
                $"the server's TS exits {stage}; its socket goes, TCP resets the stream, the client's sends end with ECONNRESET or EPIPE, all reclaimed",
            FaultKind.SocketClose when point.IsReceive =>
                $"another thread of the server closes its socket {stage}; TCP resets the stream (data unread, or new data after the close), the client's sends end with ECONNRESET, the reader gets EBADF",
            FaultKind.TsExit =>
                $"the client's TS exits mid-stream {stage}; its CTRNs (TCP's retransmission references too) are lifted, nothing of them reaches the wire again, the server reads a prefix and the end",
            FaultKind.SocketClose =>
                $"another thread of the client closes the socket mid-stream {stage}; later sends get EBADF, the server reads a prefix and the end",
            FaultKind.DmaFail when point == DriverFaultPoints.RxDma =>
                "the server NIC's DMA write of a received segment fails; the segment is dropped, the client retransmits it, every byte arrives",
            FaultKind.DriverCrash when point == DriverFaultPoints.RxDriver =>
                $"the server host's driver RX worker crashes {stage}; restarted, it re-posts its RX ring; retransmission repairs any loss, every byte arrives",
            FaultKind.DriverCrash =>
                $"the driver TX worker crashes {stage}; restarted, it completes or fails each in-flight segment once; TCP retransmits what failed, every byte arrives",
            FaultKind.DmaFail => "the NIC's DMA read of a segment fails; TCP retransmits it, every byte arrives",
            FaultKind.RingFull => "the TX ring has no room; the driver refuses a segment, TCP retransmits it, every byte arrives",
            FaultKind.QdiscFull => "the qdisc is full; it drops a segment, TCP retransmits it, every byte arrives",
            _ => stage,
        };
    }

    /// <summary>Where a TCP stream meets each point, in the words of the TCP fault demo.</summary>
    private static readonly Dictionary<FaultPoint, string> s_stages = new()
    {
        [KpnFaultPoints.KpnShare] = "after the KPN shared a send's buffer",
        [SocketFaultPoints.SocketQueue] = "while a send's CTRN is in the socket's send queue",
        [StackFaultPoints.SkbMerge] = "after a segment's header and payload merged into an skb",
        [StackFaultPoints.ArpParked] = "while the SYN is parked on ARP",
        [StackFaultPoints.Qdisc] = "while a segment's skb is in the qdisc",
        [DriverFaultPoints.DescriptorsPosted] = "with a segment's descriptors posted, not yet DMA-read",
        [DriverFaultPoints.Dma] = "during the NIC's DMA read of a segment",
        [DriverFaultPoints.AfterTransmit] = "after a segment's transmit, before its completion",
        [DriverFaultPoints.Completion] = "in a segment's completion chain",
        [DriverFaultPoints.RxDma] = "while its NIC DMA-writes a segment of the stream",
        [DriverFaultPoints.RxDriver] = "as it shares a segment of the stream up",
        [SocketFaultPoints.RxSocketQueue] = "while stream data waits unread in its receive queue (the server polls, so data waits)",
    };

    private static string Stage(FaultPoint point) => s_stages.TryGetValue(point, out var stage) ? stage : point.Stage;

    /// <summary>What the stream must look like: a prefix of what was written always; all of it when nothing may be lost.</summary>
    private static void CheckStream(FaultSpecName? fault, long streamBytes, List<Errno> sends, long received, bool intact, Errno readerEnd, ConcurrentQueue<string> violations)
    {
        if (!intact)
        {
            violations.Enqueue("the server read bytes that are not the stream's at their place");
        }

        if (fault?.Kind is FaultKind.TsExit or FaultKind.SocketClose)
        {
            return;
        }

        // No fault, or a device fault: TCP repairs the loss and the stream arrives whole.
        var what = fault?.ToString() ?? "a clean run";
        for (var i = 0; i < sends.Count; i++)
        {
            if (sends[i] != Errno.None)
            {
                violations.Enqueue($"send #{i + 1} failed with {sends[i]}; TCP should have repaired {what}");
            }
        }

        if (received != streamBytes)
        {
            violations.Enqueue($"the server read {received} of {streamBytes} bytes; after {what} every byte must arrive");
        }

        if (readerEnd != Errno.None)
        {
            violations.Enqueue($"the server's stream ended with {readerEnd}, not with its end");
        }
    }

    /// <summary>
    /// What each fault may do to the apps' results: the faulted app's calls end with the errnos of its exit or
    /// close, its peer's with a reset; device faults make none fail; a missing result is never allowed.
    /// </summary>
    private static void CheckResults(FaultSpecName? fault, bool receiving, ConcurrentDictionary<string, int> client, ConcurrentDictionary<string, int> server, ConcurrentQueue<string> violations)
    {
        Errno[] victim = fault?.Kind switch
        {
            // The exiting process's calls end with EINTR (its KPN stops) or EBADF (it has exited); one that raced
            // the lift may see EFAULT or EIO, and one answered by TCP first the reset or EPIPE, or the abort TCP
            // makes when it finds its queued payload revoked (ECONNABORTED, when the lift beats the KPN's stop).
            FaultKind.TsExit => [Errno.EINTR, Errno.EBADF, Errno.EFAULT, Errno.EIO, Errno.ECONNRESET, Errno.EPIPE, Errno.ECONNABORTED],
            FaultKind.SocketClose => [Errno.EBADF, Errno.EPIPE, Errno.ECONNRESET],
            _ => [],
        };
        Errno[] peer = fault?.Kind is FaultKind.TsExit or FaultKind.SocketClose ? [Errno.ECONNRESET, Errno.EPIPE] : [];
        if (fault?.Point == StackFaultPoints.ArpParked)
        {
            // No connection ever came: closing the listener answers the server's accept with EBADF. Or the SYN left
            // before the exit took effect (the hosts run on threads of their own) and the reset that followed killed the
            // connection before accept handed it over: ECONNABORTED.
            peer = [.. peer, Errno.EBADF, Errno.ECONNABORTED];
        }

        if (fault?.Point == SocketFaultPoints.RxSocketQueue)
        {
            // The polling server finds nothing now and then.
            victim = [.. victim, Errno.EAGAIN];
        }

        Check("client", client, receiving ? peer : victim);
        Check("server", server, receiving ? victim : peer);

        void Check(string app, ConcurrentDictionary<string, int> results, Errno[] allowed)
        {
            foreach (var (outcome, count) in results)
            {
                if (outcome is "ok" or "none")
                {
                    continue;
                }

                if (!Enum.TryParse<Errno>(outcome, out var errno) || Array.IndexOf(allowed, errno) < 0)
                {
                    violations.Enqueue($"{count} syscall(s) of the {app} failed with {outcome}, which {fault?.ToString() ?? "a clean run"} does not explain");
                }
            }
        }
    }
}
