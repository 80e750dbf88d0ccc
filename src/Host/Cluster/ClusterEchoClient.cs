using System.Diagnostics;
using Edsos.Host.Demo;
using Edsos.Kpn;
using Edsos.Protocol;
using Edsos.Protocol.Wire;
using Edsos.SocketService;

namespace Edsos.Host.Cluster;

/// <summary>
/// Host A's UDP echo client in a console cluster: the demo's client (each datagram its sequence number and a
/// pattern, every echoed byte checked in place), plus what a peer in another process brings. When the cluster
/// says the peer is down (<see cref="PeerGate"/>), the round in flight ends at once as lost to the peer, no new
/// send starts, and the client either waits for the peer to come back (<c>resume</c>) or stops: the rounds it
/// never started are reported as not attempted, not as failures. An echo that does not come within the timeout
/// is lost, and a late echo of an earlier round is skipped, not counted wrong.
/// </summary>
internal static class ClusterEchoClient
{
    /// <summary>How long the client waits for a peer that went down to come back before it stops.</summary>
    public static readonly TimeSpan PeerWait = TimeSpan.FromSeconds(90);

    /// <summary>Runs the rounds; <paramref name="reached"/> is called each time the verified echoes reach a multiple of <see cref="ClusterProtocol.RunEcho.NotifyAt"/> (never when it is 0).</summary>
    public static async Task<ClusterProtocol.EchoDone> RunAsync(
        Libc libc, ClusterProtocol.RunEcho run, PeerGate peer, bool resume, Action<int> reached, CancellationToken stop)
    {
        var tally = new EchoTally();
        Stopwatch? downSince = null;
        int ok = 0;
        int bad = 0;
        int lostToPeer = 0;
        var socket = await libc.SocketAsync(2, SocketKind.Dgram, 0);
        if (!socket.IsOk)
        {
            throw new InvalidOperationException($"socket() on host A failed: {socket.Error}");
        }

        int fd = (int)socket.Value;
        var destination = new Ipv4Endpoint(DemoRunner.AddressB.Address, DemoRunner.EchoPort);
        UserBuffer send = libc.Alloc(run.Size);
        byte[] pattern = new byte[run.Size];
        var timeout = TimeSpan.FromSeconds(run.EchoTimeoutSeconds);
        var pending = new PendingReceive();
        tally.SteadyAfter = run.Sends / 5;
        tally.Planned = run.Sends;
        tally.StartLoop();
        try
        {
            for (int i = 0; i < run.Sends && !stop.IsCancellationRequested; i++)
            {
                if (peer.IsDown)
                {
                    if (!resume || !await peer.WaitUpAsync(PeerWait, stop))
                    {
                        tally.Keep($"stopped after {i} rounds: the peer is down{(resume ? $" and did not come back within {PeerWait.TotalSeconds:0} s" : string.Empty)}");
                        break;
                    }
                }

                tally.Attempted++;
                ulong sequence = (ulong)i + 1;
                DatagramPattern.Fill(pattern, sequence);
                libc.WriteBuffer(send, 0, pattern);
                long start = Stopwatch.GetTimestamp();
                var sent = await libc.SendToAsync(fd, send.Gva, run.Size, destination);
                if (!sent.IsOk && sent.Error == Errno.ENETDOWN)
                {
                    // The host's driver or net process is gone (a role process killed): the send failed at once.
                    tally.Attempted--;
                    if (!resume)
                    {
                        tally.Keep($"stopped after {i} rounds: sendto ENETDOWN (the host's driver or net process is gone)");
                        break;
                    }

                    if (downSince is null)
                    {
                        downSince = Stopwatch.StartNew();
                        tally.Keep($"sendto #{sequence}: ENETDOWN; waiting for the host's process to come back");
                    }
                    else
                    {
                        await Task.Delay(100, CancellationToken.None);
                    }

                    int? reopened = downSince.Elapsed < PeerWait ? await ReopenAsync(libc, fd, pending, stop) : null;
                    if (reopened is not { } again)
                    {
                        tally.Keep($"stopped after {i} rounds: no socket within {PeerWait.TotalSeconds:0} s of ENETDOWN");
                        fd = -1;
                        break;
                    }

                    fd = again;
                    i--;
                    continue;
                }

                if (sent.IsOk && downSince is not null)
                {
                    tally.Keep($"sendto #{sequence}: sent again {downSince.Elapsed.TotalSeconds:0.00} s after the first ENETDOWN");
                    downSince = null;
                }

                if (!sent.IsOk || sent.Value != run.Size)
                {
                    tally.Keep($"sendto #{sequence}: {(sent.IsOk ? $"sent {sent.Value} of {run.Size}" : sent.Error.ToString())}");
                    continue;
                }

                tally.SendMicros.Record(Stopwatch.GetElapsedTime(start));
                var outcome = await ReceiveAsync(libc, fd, sequence, run.Size, timeout, peer.DownToken, stop, pending);
                switch (outcome)
                {
                    case Outcome.Ok:
                        ok++;
                        tally.Echoed(Stopwatch.GetElapsedTime(start));
                        if (run.NotifyAt > 0 && ok % run.NotifyAt == 0)
                        {
                            reached(ok);
                        }

                        break;
                    case Outcome.Bad:
                        bad++;
                        tally.Keep($"echo #{sequence}: wrong bytes, length or sender");
                        break;
                    case Outcome.PeerDown:
                        lostToPeer++;
                        tally.Keep($"echo #{sequence}: lost, the peer went down (the cluster saw it unreachable)");
                        break;
                    case Outcome.TimedOut:
                        tally.Keep($"echo #{sequence}: no echo within {timeout.TotalSeconds:0.#} s");
                        break;
                    case Outcome.Stopped:
                        tally.Attempted--;
                        tally.Interrupted = true;
                        break;
                    default:
                        tally.Keep($"echo #{sequence}: recv failed ({pending.LastError})");
                        break;
                }
            }

            tally.EndLoop();
        }
        finally
        {
            libc.Free(send);
            if (fd >= 0)
            {
                await libc.CloseAsync(fd);
            }

            if (pending.Task is { } outstanding)
            {
                // Closing the descriptor ends it with EBADF; a datagram it got in the meantime is freed here.
                var last = await outstanding;
                if (last.IsOk && last.Buffer is not null)
                {
                    libc.Free(last.Buffer);
                }
            }
        }

        return new ClusterProtocol.EchoDone(
            ok, bad, Math.Max(0, tally.Attempted - ok - bad), tally.Attempted, lostToPeer, tally.Elapsed.TotalSeconds,
            tally.SendMicros.PercentileMicros(0.50), tally.SendMicros.PercentileMicros(0.99), tally.RttMicros.PercentileMicros(0.50),
            [.. tally.ErrorsForReport()], tally.SteadyPerSec, tally.SteadyFromRound);
    }

    /// <summary>
    /// After ENETDOWN: closes <paramref name="fd"/> (a descriptor whose socket died with net closes at once), ends the
    /// receive in flight on it, then asks for a new socket every 100 ms until one is made (net is back) or
    /// <see cref="PeerWait"/> ran out (null). A driver that is gone leaves the socket usable, but a fresh one costs the
    /// same and serves both cases.
    /// </summary>
    private static async Task<int?> ReopenAsync(Libc libc, int fd, PendingReceive pending, CancellationToken stop)
    {
        await libc.CloseAsync(fd);
        if (pending.Task is { } outstanding)
        {
            var last = await outstanding;
            pending.Task = null;
            if (last.IsOk && last.Buffer is not null)
            {
                libc.Free(last.Buffer);
            }
        }

        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < PeerWait && !stop.IsCancellationRequested)
        {
            // The driver may still be on its way back: a send on the new socket fails ENETDOWN again and we come back here.
            var socket = await libc.SocketAsync(2, SocketKind.Dgram, 0);
            if (socket.IsOk)
            {
                return (int)socket.Value;
            }

            await Task.Delay(100, CancellationToken.None);
        }

        return null;
    }

    private enum Outcome
    {
        Ok,
        Bad,
        TimedOut,
        PeerDown,
        Stopped,
        Failed,
    }

    /// <summary>
    /// Waits for round <paramref name="sequence"/>'s echo. The receive call itself is never abandoned: a KPN keeps
    /// a pending receive until it is answered, so a cancelled one would swallow the next datagram and every round
    /// after a timeout would miss its echo. One receive stays outstanding in <paramref name="pending"/> across
    /// rounds instead, and a late echo of an earlier round it brings is skipped.
    /// </summary>
    private static async Task<Outcome> ReceiveAsync(
        Libc libc, int fd, ulong sequence, int size, TimeSpan timeout, CancellationToken peerDown, CancellationToken stop, PendingReceive pending)
    {
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(stop, peerDown);
        wait.CancelAfter(timeout);
        var expired = Task.Delay(Timeout.Infinite, wait.Token);
        while (true)
        {
            pending.Task ??= libc.RecvZeroCopyAsync(fd).AsTask();
            if (await Task.WhenAny(pending.Task, expired) != pending.Task)
            {
                return Ended(stop, peerDown);
            }

            var received = await pending.Task;
            pending.Task = null;
            if (!received.IsOk)
            {
                pending.LastError = received.Error;
                return received.Error == Errno.EINTR ? Ended(stop, peerDown) : Outcome.Failed;
            }

            var buffer = received.Buffer!;
            try
            {
                var check = new DatagramPattern.Verifier(sequence);
                Errno visited = libc.Visit(buffer, 0, received.Length, ref check, DatagramPattern.Check);
                bool right = visited == Errno.None && check.Ok && received.Length == size
                    && received.From.Address == DemoRunner.AddressB.Address && received.From.Port == DemoRunner.EchoPort;
                if (right)
                {
                    return Outcome.Ok;
                }

                if (IsEarlierRound(libc, buffer, received.Length, sequence))
                {
                    continue; // the late echo of a round already counted lost
                }

                return Outcome.Bad;
            }
            finally
            {
                libc.Free(buffer);
            }
        }
    }

    /// <summary>The receive call outstanding across rounds (null when none is).</summary>
    private sealed class PendingReceive
    {
        public Task<ZeroCopyRecv>? Task;

        /// <summary>The error of the last receive that failed (for the report).</summary>
        public Errno LastError;
    }

    private static Outcome Ended(CancellationToken stop, CancellationToken peerDown) =>
        stop.IsCancellationRequested ? Outcome.Stopped : peerDown.IsCancellationRequested ? Outcome.PeerDown : Outcome.TimedOut;

    private static bool IsEarlierRound(Libc libc, UserBuffer buffer, int length, ulong sequence)
    {
        if (length < 8)
        {
            return false;
        }

        Span<byte> head = stackalloc byte[8];
        if (libc.ReadBuffer(buffer, 0, head) != Errno.None)
        {
            return false;
        }

        ulong echoed = System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(head);
        return echoed < sequence;
    }
}
