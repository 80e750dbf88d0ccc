using Edsos.Protocol;
using Edsos.Protocol.Tcp;
using Edsos.Scenarios.Tests.Wires;
using Akka.TestKit;
using Edsos.Testing;

namespace Edsos.Scenarios.Tests.Tcp;

/// <summary>
/// Loss repair on two real hosts joined by a <see cref="ScriptedLink"/> that drops exactly the segments named:
/// the retransmission timer (RFC 6298), fast retransmit on three duplicate ACKs (RFC 5681 3.2), and
/// copy-on-write of a user page that TCP still holds for retransmission (seed 000: the reference, not a copy).
/// </summary>
public sealed class TcpRetransmissionSpec : EdsrtTestKit
{
    private const int Mss = 1460;
    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(8);
    private static readonly TimeSpan s_slowRto = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task Send_OnlyDataSegmentDropped_RetransmittedByTimerAndDeliveredOnce()
    {
        // Arrange: one small send and nothing after it, so no duplicate ACK can repair the loss: only the timer
        // (the tail loss probe, which would resend it sooner, is off here; TcpReliabilitySpec has it on).
        var link = new ScriptedLink();
        await using var hosts = await TwoHosts.StartAsync(link.EndA, link.EndB, o => o with { Tcp = new TcpOptions { TailLossProbe = false } });
        var pair = await TcpPair.OpenAsync(hosts, 7, s_wait);
        const int size = 1000;
        var pattern = TcpSockets.Pattern(size, 11);
        var buffer = pair.Client.Alloc(size);
        Assert.Equal(Errno.None, pair.Client.WriteBuffer(buffer, 0, pattern));
        var drop = link.Drop("first transmission of the data", LinkDirection.AtoB, s => s.HasData);

        // Act
        var sent = await pair.Client.SendAsync(pair.ClientFd, buffer.Gva, size).AsTask().WaitAsync(s_wait);
        var received = await TcpSockets.ReadExactlyAsync(pair.Server, pair.ServerFd, size).WaitAsync(s_wait);

        // Assert: send() returned after the first transmission, lost on the wire; the bytes came anyway.
        Assert.True(sent.IsOk, $"send: {sent.Error}");
        Assert.Equal(size, sent.Value);
        Assert.Equal(pattern, received);
        Assert.Equal(1, link.Applied(drop));

        // The same segment twice on the wire: dropped, then resent by the timer (RTO ≥ 200 ms), not at once.
        var copies = link.Where(s => s.Direction == LinkDirection.AtoB && s.HasData);
        Assert.True(copies.Length >= 2, link.Dump());
        Assert.Equal(WireFate.Dropped, copies[0].Fate);
        Assert.All(copies[1..], s => Assert.Equal(WireFate.Passed, s.Fate));
        Assert.All(copies, s => Assert.Equal(copies[0].Sequence, s.Sequence));
        Assert.All(copies, s => Assert.Equal(pattern, s.Payload));
        Assert.True(copies[1].At - copies[0].At >= TimeSpan.FromMilliseconds(150), link.Dump());

        var tcpA = await TcpSockets.CountersAsync(hosts.A);
        Assert.True(tcpA.Timeouts >= 1, $"timeouts {tcpA.Timeouts}");
        Assert.True(tcpA.Retransmits >= 1, $"retransmits {tcpA.Retransmits}");
        Assert.Equal(0, tcpA.FastRetransmits);

        // Delivered once: the receiver's TCP handed the socket exactly the bytes sent, and the stream ends there.
        var tcpB = await TcpSockets.CountersAsync(hosts.B);
        Assert.Equal(size, tcpB.BytesDelivered);
        await pair.CloseAsync(s_wait);
        Assert.Equal(Errno.None, pair.Client.Free(buffer));
        await TcpSockets.StopAndAssertNoLeaksAsync(hosts, s_wait);
    }

    [Fact]
    public async Task Send_SegmentLostMidStream_DuplicateAcksFastRetransmitItBeforeAnyTimeout()
    {
        // Arrange: a large send (69 segments); the 11th data segment's first transmission is lost, so the
        // segments after it reach B out of order and each makes B repeat its ACK of the hole. The RTO is
        // raised to 5 s, so that a repair within 5 s can only be the fast retransmit, even on a loaded machine.
        var link = new ScriptedLink();
        await using var hosts = await TwoHosts.StartAsync(link.EndA, link.EndB, o => o with { Tcp = new TcpOptions { InitialRto = s_slowRto, MinRto = s_slowRto } });
        var pair = await TcpPair.OpenAsync(hosts, 7, s_wait);
        const int size = 100_000;
        var pattern = TcpSockets.Pattern(size, 23);
        var buffer = pair.Client.Alloc(size);
        Assert.Equal(Errno.None, pair.Client.WriteBuffer(buffer, 0, pattern));
        var drop = link.Drop("11th data segment", LinkDirection.AtoB, s => s.HasData, times: 1, skip: 10);

        // Act
        var reader = Task.Run(() => TcpSockets.ReadExactlyAsync(pair.Server, pair.ServerFd, size));
        var sent = await pair.Client.SendAsync(pair.ClientFd, buffer.Gva, size).AsTask().WaitAsync(s_wait);
        var received = await reader.WaitAsync(s_wait);

        // Assert: every byte, in order.
        Assert.True(sent.IsOk, $"send: {sent.Error}");
        Assert.Equal(size, sent.Value);
        Assert.Equal(pattern, received);
        Assert.Equal(1, link.Applied(drop));

        var segments = link.Segments;
        var lost = segments.Single(s => s.Fate == WireFate.Dropped);
        Assert.Equal(10 * Mss, lost.RelativeSequence);
        Assert.True(segments.Where(s => s.Direction == LinkDirection.AtoB && s.HasData && s.RelativeSequence > lost.RelativeSequence).Select(s => s.RelativeSequence).Distinct().Count() >= 8, link.Dump());
        var resent = segments.First(s => s.Index > lost.Index && s.Direction == LinkDirection.AtoB && s.HasData && s.RelativeSequence == lost.RelativeSequence);
        Assert.Equal(WireFate.Passed, resent.Fate);
        Assert.Equal(lost.Payload, resent.Payload);

        // Between the loss and the repair: segments past the hole, and at least three duplicate ACKs of the hole.
        var between = segments.Where(s => s.Index > lost.Index && s.Index < resent.Index).ToArray();
        Assert.True(between.Count(s => s.Direction == LinkDirection.AtoB && s.HasData && s.RelativeSequence > lost.RelativeSequence) >= 3, link.Dump());
        int duplicateAcks = between.Count(s => s.Direction == LinkDirection.BtoA && s.IsBareAck && s.RelativeAck == lost.RelativeSequence);
        Assert.True(duplicateAcks >= 3, $"{duplicateAcks} duplicate ACKs before the retransmission\n{link.Dump()}");

        // Fast retransmit, not the timer: repaired sooner than any RTO, and no RTO expired during the transfer.
        Assert.True(resent.At - lost.At < s_slowRto, $"repaired after {resent.At - lost.At}");
        var tcpA = await TcpSockets.CountersAsync(hosts.A);
        Assert.True(tcpA.FastRetransmits >= 1, $"fast retransmits {tcpA.FastRetransmits}");
        Assert.Equal(0, tcpA.Timeouts);
        Assert.True(tcpA.Retransmits >= 1);
        var tcpB = await TcpSockets.CountersAsync(hosts.B);
        Assert.True(tcpB.OutOfOrderQueued >= 3, $"out of order {tcpB.OutOfOrderQueued}");
        Assert.Equal(size, tcpB.BytesDelivered);

        await pair.CloseAsync(s_wait);
        Assert.Equal(Errno.None, pair.Client.Free(buffer));
        Assert.Equal(0, hosts.A.Memory.Counters.PayloadBytesCopied);
        await TcpSockets.StopAndAssertNoLeaksAsync(hosts, s_wait);
    }

    [Fact]
    public async Task Send_BufferOverwrittenWhileSegmentAwaitsRetransmission_CopyOnWriteResendsOriginalBytes()
    {
        // Arrange: three full segments (the initial window); the middle one is lost until the app has written
        // over its buffer, so its retransmission is read from memory after that write, whatever the timing.
        var link = new ScriptedLink();
        await using var hosts = await TwoHosts.StartAsync(link.EndA, link.EndB);
        var pair = await TcpPair.OpenAsync(hosts, 7, s_wait);
        const int size = 3 * Mss;
        var original = TcpSockets.Pattern(size, 5);
        var overwrite = TcpSockets.Pattern(size, 99);
        var buffer = pair.Client.Alloc(size);
        Assert.Equal(Errno.None, pair.Client.WriteBuffer(buffer, 0, original));
        var drop = link.Drop("middle segment until the app wrote", LinkDirection.AtoB, s => s.HasData && s.RelativeSequence == Mss, times: int.MaxValue);

        // Act 1: send() returns once every byte was transmitted once (seed 000 stage 5), lost or not.
        var sent = await pair.Client.SendAsync(pair.ClientFd, buffer.Gva, size).AsTask().WaitAsync(s_wait);
        Assert.True(sent.IsOk, $"send: {sent.Error}");
        Assert.Equal(size, sent.Value);
        Assert.True(link.Applied(drop) >= 1, link.Dump());

        // TCP still holds its reference on the user's pages: the middle segment is unacknowledged.
        var held = Assert.Single(await TcpSockets.ConnectionsAsync(hosts.A));
        Assert.Equal(1, held.ChunksHeld);
        Assert.NotEqual(held.SndUna, held.SndMax);

        // Act 2: the app reuses its buffer at once, as it may after send() returned.
        long cowBefore = hosts.A.Memory.Counters.CowBytesCopied;
        Assert.Equal(Errno.None, pair.Client.WriteBuffer(buffer, 0, overwrite));
        long cowCopied = hosts.A.Memory.Counters.CowBytesCopied - cowBefore;
        link.Remove(drop);
        var received = await TcpSockets.ReadExactlyAsync(pair.Server, pair.ServerFd, size).WaitAsync(s_wait);

        // Assert: the write copied the shared pages (not TCP's), so the peer got the bytes of the send.
        Assert.True(cowCopied >= size, $"copy-on-write copied {cowCopied} bytes");
        Assert.Equal(original, received);
        var mine = new byte[size];
        Assert.Equal(Errno.None, pair.Client.ReadBuffer(buffer, 0, mine));
        Assert.Equal(overwrite, mine);

        // On the wire: the middle segment went again after the write, with the original bytes; no overwritten byte left A.
        var middle = link.Where(s => s.Direction == LinkDirection.AtoB && s.HasData && s.RelativeSequence == Mss);
        Assert.True(middle.Length >= 2, link.Dump());
        Assert.Equal(WireFate.Passed, middle[^1].Fate);
        Assert.All(middle, s => Assert.Equal(original.AsSpan(Mss, Mss).ToArray(), s.Payload));
        Assert.All(link.Where(s => s.Direction == LinkDirection.AtoB && s.HasData), s =>
            Assert.Equal(original.AsSpan(s.RelativeSequence, s.Length).ToArray(), s.Payload));

        var tcpA = await TcpSockets.CountersAsync(hosts.A);
        Assert.True(tcpA.Retransmits >= 1);

        // Once acknowledged, the retransmission reference goes.
        await AwaitAssertAsync(async () => Assert.Equal(0, (await TcpSockets.CountersAsync(hosts.A)).ChunksHeld), s_wait);
        Assert.Equal(0, hosts.A.Memory.Counters.PayloadBytesCopied);
        Assert.Equal(0, hosts.B.Memory.Counters.PayloadBytesCopied);

        await pair.CloseAsync(s_wait);
        Assert.Equal(Errno.None, pair.Client.Free(buffer));
        await TcpSockets.StopAndAssertNoLeaksAsync(hosts, s_wait);
    }
}
