using System.Diagnostics;
using Edsos.Host.Demo;
using Edsos.Kpn;
using Edsos.Protocol;
using Edsos.Protocol.Wire;
using Edsos.Memory;

namespace Edsos.Host.Cluster;

/// <summary>
/// Host A's TCP echo client in a console cluster run that expects a kill: round by round over one connection to B's
/// echo app (a write of <c>--size</c> bytes, then its echo read back in full and every byte checked against the
/// stream pattern at the round's offset), so each round ends verified, wrong, lost or not attempted. What a kill
/// does to the connection is what TCP does to it:
/// <list type="bullet">
/// <item>the host's driver process dies: the connection lives in net and stays up; the segments in flight are lost
/// and TCP retransmits them on its backed-off RTO once a driver is back, so the round's echo comes late, not never
/// (the round waits up to <see cref="StallLimit"/>, longer than a driver restart plus TCP's backoff);</item>
/// <item>the net process dies: the connection died with it; the round's receive (or the next call) fails ENETDOWN, the
/// round is lost, the descriptor is closed and a new connection is made once a net is back;</item>
/// <item>the peer host dies (<see cref="PeerGate"/>): the round ends at once as lost to the peer, the connection is
/// closed and a new one is made once the new peer is up.</item>
/// </list>
/// A write that fails (the connection is gone before the round left) is not a round: it is made again on the next
/// connection. Without <c>resume</c> the client stops at the first lost connection and the rounds it never started
/// are reported as not attempted. A connection whose round was lost is never reused: late bytes of that round would
/// be read as the next one's.
/// </summary>
internal static class ClusterTcpEchoClient
{
    /// <summary>
    /// How long one round waits for its echo before it counts as lost: past a driver process's restart (about 6 s)
    /// plus TCP's retransmission backoff (from a 200 ms RTO: retransmits at 0.2, 0.6, 1.4, 3.0, 6.2, 12.6, 25.4 s).
    /// </summary>
    public static readonly TimeSpan StallLimit = TimeSpan.FromSeconds(30);

    /// <summary>An echo later than this is noted (a stall: TCP retransmitted it once the path was back).</summary>
    private static readonly TimeSpan s_lateEcho = TimeSpan.FromSeconds(1);

    /// <summary>
    /// True when <paramref name="run"/> is one a kill may cut (a kill comes after <see cref="ClusterProtocol.RunEcho.NotifyAt"/>
    /// echoes, or the victim's endless echo): those go round by round; a plain TCP run streams (<see cref="TcpDemoRunner"/>).
    /// </summary>
    public static bool Serves(ClusterProtocol.RunEcho run) => run.Proto == "tcp" && (run.NotifyAt > 0 || run.Resume || run.Sends == int.MaxValue);

    /// <summary>Runs the rounds; <paramref name="reached"/> is called each time the verified echoes reach a multiple of <see cref="ClusterProtocol.RunEcho.NotifyAt"/> (never when it is 0).</summary>
    public static async Task<ClusterProtocol.EchoDone> RunAsync(
        Libc libc, ClusterProtocol.RunEcho run, PeerGate peer, Action<int> reached, CancellationToken stop)
    {
        var tally = new EchoTally();
        var destination = new Ipv4Endpoint(DemoRunner.AddressB.Address, DemoRunner.EchoPort);
        byte[] pattern = new byte[run.Size];
        int ok = 0;
        int bad = 0;
        int lostToPeer = 0;
        int connections = 0;
        int fd = -1;
        string? lostWhy = null;
        var lostAt = Stopwatch.StartNew();
        tally.SteadyAfter = run.Sends / 5;
        tally.Planned = run.Sends;
        tally.StartLoop();
        try
        {
            for (int i = 0; i < run.Sends && !stop.IsCancellationRequested; i++)
            {
                ulong sequence = (ulong)i + 1;
                if (fd < 0)
                {
                    if (connections > 0 && !run.Resume)
                    {
                        tally.Keep($"stopped after {i} rounds: {lostWhy}");
                        break;
                    }

                    var (opened, problem) = await ConnectAsync(libc, destination, peer, connections == 0 || run.Resume, stop);
                    if (opened < 0)
                    {
                        if (!stop.IsCancellationRequested)
                        {
                            tally.Keep($"stopped after {i} rounds: {problem}{(lostWhy is null ? string.Empty : $" (after {lostWhy})")}");
                        }

                        break;
                    }

                    fd = opened;
                    connections++;
                    if (connections > 1)
                    {
                        tally.Keep($"connection {connections} to {destination} made {lostAt.Elapsed.TotalSeconds:0.00} s after the last one was lost ({lostWhy})");
                    }
                }

                tally.Attempted++;
                long offset = (long)i * run.Size;
                StreamPattern.Fill(pattern, offset);
                UserBuffer buffer = libc.Alloc(run.Size);
                libc.WriteBuffer(buffer, 0, pattern);
                long start = Stopwatch.GetTimestamp();
                SysResult sent;
                try
                {
                    sent = await libc.SendAsync(fd, buffer.Gva, run.Size, MsgFlags.None, stop);
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested)
                {
                    sent = SysResult.Fail(Errno.EINTR);
                }

                // TCP holds its own reference to pages not yet acknowledged: ours goes either way.
                libc.Free(buffer);
                if (!sent.IsOk || sent.Value != run.Size)
                {
                    tally.Attempted--;
                    if (stop.IsCancellationRequested)
                    {
                        tally.Interrupted = true;
                        break;
                    }

                    // The connection was gone before this round left (net died, reset): the round goes on the next one.
                    lostWhy = $"send #{sequence}: {(sent.IsOk ? $"sent {sent.Value} of {run.Size}" : sent.Error.ToString())}";
                    tally.Keep(lostWhy);
                    fd = await DropAsync(libc, fd, lostAt);
                    i--;
                    continue;
                }

                tally.SendMicros.Record(Stopwatch.GetElapsedTime(start));
                var (outcome, error) = await ReceiveRoundAsync(libc, fd, offset, run.Size, StallLimit, peer.DownToken, stop);
                var took = Stopwatch.GetElapsedTime(start);
                switch (outcome)
                {
                    case Outcome.Ok:
                        ok++;
                        tally.Echoed(took);
                        if (took > s_lateEcho)
                        {
                            tally.Keep($"echo #{sequence}: came {took.TotalSeconds:0.00} s after its write (TCP retransmitted it once the path was back)");
                        }

                        if (run.NotifyAt > 0 && ok % run.NotifyAt == 0)
                        {
                            reached(ok);
                        }

                        continue;
                    case Outcome.Bad:
                        bad++;
                        tally.Keep($"echo #{sequence}: wrong bytes or length");
                        continue;
                    case Outcome.Stopped:
                        tally.Attempted--;
                        tally.Interrupted = true;
                        break;
                    case Outcome.PeerDown:
                        lostToPeer++;
                        lostWhy = $"echo #{sequence}: lost, the peer went down (the cluster saw it unreachable)";
                        break;
                    case Outcome.TimedOut:
                        lostWhy = $"echo #{sequence}: no echo within {StallLimit.TotalSeconds:0} s";
                        break;
                    case Outcome.Ended:
                        lostWhy = $"echo #{sequence}: lost, the echo app closed the connection";
                        break;
                    default:
                        lostWhy = $"echo #{sequence}: lost, recv {error} (the connection is gone)";
                        break;
                }

                if (outcome == Outcome.Stopped)
                {
                    break;
                }

                // The round is lost and so is the stream's position: this connection is never read again.
                tally.Keep(lostWhy!);
                fd = await DropAsync(libc, fd, lostAt);
            }

            tally.EndLoop();
        }
        finally
        {
            if (fd >= 0)
            {
                await libc.CloseAsync(fd);
            }
        }

        return new ClusterProtocol.EchoDone(
            ok, bad, Math.Max(0, tally.Attempted - ok - bad), tally.Attempted, lostToPeer, tally.Elapsed.TotalSeconds,
            tally.SendMicros.PercentileMicros(0.50), tally.SendMicros.PercentileMicros(0.99), tally.RttMicros.PercentileMicros(0.50),
            [.. tally.ErrorsForReport()], tally.SteadyPerSec, tally.SteadyFromRound);
    }

    /// <summary>Closes a lost connection's descriptor (a dead one closes at once) and starts the clock for the next one; returns −1.</summary>
    private static async Task<int> DropAsync(Libc libc, int fd, Stopwatch lostAt)
    {
        await libc.CloseAsync(fd);
        lostAt.Restart();
        return -1;
    }

    /// <summary>
    /// A new connection to <paramref name="destination"/>: the descriptor, or −1 and why not. With
    /// <paramref name="retry"/> it waits for a peer that is down to come back and asks again every 100 ms while
    /// <c>socket()</c> or <c>connect()</c> fails (ENETDOWN while net is gone, ECONNREFUSED before the peer listens,
    /// ETIMEDOUT), for at most <see cref="ClusterEchoClient.PeerWait"/>; without it the first failure is final.
    /// </summary>
    private static async Task<(int Fd, string Problem)> ConnectAsync(Libc libc, Ipv4Endpoint destination, PeerGate peer, bool retry, CancellationToken stop)
    {
        var deadline = Stopwatch.StartNew();
        string problem = "no connection";
        while (!stop.IsCancellationRequested)
        {
            var left = ClusterEchoClient.PeerWait - deadline.Elapsed;
            if (left <= TimeSpan.Zero)
            {
                return (-1, $"{problem}, and none within {ClusterEchoClient.PeerWait.TotalSeconds:0} s");
            }

            if (peer.IsDown && (!retry || !await peer.WaitUpAsync(left, stop)))
            {
                return (-1, "the peer is down");
            }

            var socket = await libc.SocketAsync(2, SocketKind.Stream, 0, CancellationToken.None);
            if (socket.IsOk)
            {
                int fd = (int)socket.Value;
                using var wait = CancellationTokenSource.CreateLinkedTokenSource(stop);
                wait.CancelAfter(left);
                var connected = await libc.ConnectAsync(fd, destination, wait.Token);
                if (connected.IsOk)
                {
                    return (fd, string.Empty);
                }

                await libc.CloseAsync(fd, CancellationToken.None);
                problem = $"connect: {connected.Error}";
            }
            else
            {
                problem = $"socket: {socket.Error}";
            }

            if (!retry)
            {
                return (-1, problem);
            }

            await Task.Delay(100, CancellationToken.None);
        }

        return (-1, "stopped");
    }

    private enum Outcome
    {
        Ok,
        Bad,
        TimedOut,
        PeerDown,
        Stopped,
        Ended,
        Failed,
    }

    /// <summary>
    /// Reads round echo bytes at stream offset <paramref name="offset"/> until <paramref name="size"/> came, each
    /// piece checked in place and freed. Ends early when the peer goes down, <paramref name="limit"/> passes, the
    /// run stops (the receive is withdrawn from the socket), the stream ends or a receive fails.
    /// </summary>
    private static async Task<(Outcome Outcome, Errno Error)> ReceiveRoundAsync(
        Libc libc, int fd, long offset, int size, TimeSpan limit, CancellationToken peerDown, CancellationToken stop)
    {
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(stop, peerDown);
        wait.CancelAfter(limit);
        int got = 0;
        bool right = true;
        while (got < size)
        {
            var piece = await libc.RecvZeroCopyAsync(fd, MsgFlags.None, wait.Token);
            if (!piece.IsOk)
            {
                if (piece.Error == Errno.EINTR && wait.IsCancellationRequested)
                {
                    return (stop.IsCancellationRequested ? Outcome.Stopped : peerDown.IsCancellationRequested ? Outcome.PeerDown : Outcome.TimedOut, Errno.EINTR);
                }

                return (Outcome.Failed, piece.Error);
            }

            if (piece.Length == 0)
            {
                return (Outcome.Ended, Errno.None);
            }

            var check = new StreamPattern.Verifier(offset + got);
            Errno visited = libc.Visit(piece.Buffer!, 0, piece.Length, ref check, s_check);
            libc.Free(piece.Buffer!);
            right &= visited == Errno.None && check.FirstBad < 0 && got + piece.Length <= size;
            got += piece.Length;
        }

        return (right ? Outcome.Ok : Outcome.Bad, Errno.None);
    }

    private static readonly SegmentVisitor<StreamPattern.Verifier> s_check =
        static (ref StreamPattern.Verifier state, ReadOnlySpan<byte> segment) => state.Check(segment);
}
