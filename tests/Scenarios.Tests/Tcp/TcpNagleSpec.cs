using Edsos.Protocol;
using Edsos.Protocol.Tcp;
using Edsos.Scenarios.Tests.Wires;
using Akka.TestKit;
using Edsos.Testing;

namespace Edsos.Scenarios.Tests.Tcp;

/// <summary>
/// Nagle's algorithm with Minshall's refinement (Linux's default): full-sized segments in flight do not
/// hold back the short tail of a write, but a second short segment waits while the first is unacknowledged.
/// B's ACKs are held on a <see cref="ScriptedLink"/> so that "unacknowledged" lasts as long as the test needs.
/// </summary>
public sealed class TcpNagleSpec : EdsrtTestKit
{
    private const int Mss = 1460;
    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(8);

    [Fact]
    public async Task Send_TailShorterThanMss_GoesOutUnackedButASecondShortSegmentWaitsForItsAck()
    {
        // Arrange: nothing comes back from B until released, and the RTO is long enough (5 s) that no
        // retransmission muddles what A sends meanwhile (nor a tail loss probe: off).
        var link = new ScriptedLink();
        var slowRto = TimeSpan.FromSeconds(5);
        await using var hosts = await TwoHosts.StartAsync(link.EndA, link.EndB, o => o with { Tcp = new TcpOptions { InitialRto = slowRto, MinRto = slowRto, TailLossProbe = false } });
        var pair = await TcpPair.OpenAsync(hosts, 7, s_wait);
        var acks = link.Hold("B's ACKs", LinkDirection.BtoA, _ => true);
        const int first = (2 * Mss) + 100;
        const int second = 50;
        var pattern = TcpSockets.Pattern(first + second, 5);
        var buffer = pair.Client.Alloc(first);
        var tail = pair.Client.Alloc(second);
        Assert.Equal(Errno.None, pair.Client.WriteBuffer(buffer, 0, pattern.AsSpan(0, first)));
        Assert.Equal(Errno.None, pair.Client.WriteBuffer(tail, 0, pattern.AsSpan(first)));

        // Act 1: two full segments and a 100-byte tail, no ACK yet. Minshall lets the tail go (no short
        // segment is in flight); classic Nagle would hold it until the full ones were acknowledged.
        var sent = await pair.Client.SendAsync(pair.ClientFd, buffer.Gva, first).AsTask().WaitAsync(s_wait);

        // Assert 1: send() returned once all three were transmitted, before any ACK.
        Assert.True(sent.IsOk, $"send: {sent.Error}");
        Assert.Equal(first, sent.Value);
        var data = link.Where(s => s.Direction == LinkDirection.AtoB && s.HasData);
        Assert.Equal(new[] { Mss, Mss, 100 }, data.Select(s => s.Length).ToArray());

        // Act 2: a 50-byte write while the 100-byte segment is unacknowledged: Nagle holds it.
        var sending = pair.Client.SendAsync(pair.ClientFd, tail.Gva, second).AsTask();
        await Task.Delay(300);

        // Assert 2: nothing more left A, and the send is still waiting for its transmission.
        Assert.Equal(3, link.Where(s => s.Direction == LinkDirection.AtoB && s.HasData).Length);
        Assert.False(sending.IsCompleted, "the second short write went out while a short segment was unacknowledged");

        // Act 3: B's ACKs arrive; the held 50 bytes go, and B has the whole stream in order.
        Assert.True(link.Release(acks) > 0);
        var second50 = await sending.WaitAsync(s_wait);
        var received = await TcpSockets.ReadExactlyAsync(pair.Server, pair.ServerFd, first + second).WaitAsync(s_wait);

        Assert.True(second50.IsOk, $"second send: {second50.Error}");
        Assert.Equal(pattern, received);
        var after = link.Where(s => s.Direction == LinkDirection.AtoB && s.HasData);
        Assert.Equal(second, after[^1].Length);
        await pair.CloseAsync(s_wait);
        Assert.Equal(Errno.None, pair.Client.Free(buffer));
        Assert.Equal(Errno.None, pair.Client.Free(tail));
        await TcpSockets.StopAndAssertNoLeaksAsync(hosts, s_wait);
    }
}
