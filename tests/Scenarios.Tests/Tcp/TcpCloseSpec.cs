using Edsos.Protocol;
using Edsos.Protocol.Tcp;
using Edsos.Protocol.Wire;
using Edsos.Scenarios.Tests.Wires;
using Akka.TestKit;
using Edsos.Testing;

namespace Edsos.Scenarios.Tests.Tcp;

/// <summary>Connection teardown on two real hosts, step by step, with the scripted wire holding segments between steps.</summary>
public sealed class TcpCloseSpec : EdsrtTestKit
{
    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(8);

    // Long enough that TIME-WAIT is seen by polling on a loaded machine, short enough to wait out in the test.
    private static readonly TimeSpan s_timeWait = TimeSpan.FromSeconds(3);

    [Fact]
    public async Task Close_BothEndsAtOnce_FinsCrossThroughClosingToTimeWaitAndExpire()
    {
        // Arrange: a connection that carried data both ways, everything acknowledged.
        var link = new ScriptedLink();
        await using var hosts = await TwoHosts.StartAsync(link.EndA, link.EndB, o => o with { Tcp = new TcpOptions { Msl = s_timeWait / 2 } });
        var pair = await TcpPair.OpenAsync(hosts, 7, s_wait);
        await ExchangeAsync(pair);
        await AwaitAssertAsync(async () =>
        {
            foreach (var host in new[] { hosts.A, hosts.B })
            {
                var connection = Assert.Single(await TcpSockets.ConnectionsAsync(host));
                Assert.Equal(TcpState.Established, connection.State);
                Assert.Equal(connection.SndMax, connection.SndUna);
            }
        }, s_wait);

        // Each FIN is held until both are on the wire, so neither end sees the other's before sending its own.
        var finA = link.Hold("A's FIN", LinkDirection.AtoB, s => s.Has(TcpFlags.Fin));
        var finB = link.Hold("B's FIN", LinkDirection.BtoA, s => s.Has(TcpFlags.Fin));

        // Act 1: both apps close at once.
        var closes = await Task.WhenAll(pair.Client.CloseAsync(pair.ClientFd).AsTask(), pair.Server.CloseAsync(pair.ServerFd).AsTask()).WaitAsync(s_wait);

        // Assert: both closes succeed, both FINs are out, neither acknowledged: FIN-WAIT-1 on both sides.
        Assert.All(closes, c => Assert.True(c.IsOk, $"close: {c.Error}"));
        await AwaitConditionAsync(() => link.Applied(finA) >= 1 && link.Applied(finB) >= 1, s_wait, message: "both FINs on the wire");
        await AwaitStatesAsync(hosts, TcpState.FinWait1);

        // Act 2: the FINs cross; the ACKs that answer them are held so that CLOSING lasts until we looked.
        var ackA = link.Hold("A's ACK of B's FIN", LinkDirection.AtoB, s => s.IsBareAck);
        var ackB = link.Hold("B's ACK of A's FIN", LinkDirection.BtoA, s => s.IsBareAck);
        link.Release(finA);
        link.Release(finB);

        // Assert: each end got the other's FIN while its own was unacknowledged: CLOSING (RFC 9293 figure 13),
        // and answered it with an ACK of the FIN.
        await AwaitStatesAsync(hosts, TcpState.Closing);
        var finFromA = link.Where(s => s.Direction == LinkDirection.AtoB && s.Has(TcpFlags.Fin))[0];
        var finFromB = link.Where(s => s.Direction == LinkDirection.BtoA && s.Has(TcpFlags.Fin))[0];
        await AwaitConditionAsync(() => link.Applied(ackA) >= 1 && link.Applied(ackB) >= 1, s_wait, message: "both ACKs of FIN on the wire");
        Assert.Contains(link.Segments, s => s.Direction == LinkDirection.AtoB && s.IsBareAck && s.Fate == WireFate.Held && s.RelativeAck == finFromB.RelativeSequence + 1);
        Assert.Contains(link.Segments, s => s.Direction == LinkDirection.BtoA && s.IsBareAck && s.Fate == WireFate.Held && s.RelativeAck == finFromA.RelativeSequence + 1);

        // Act 3: the ACKs arrive.
        link.Release(ackA);
        link.Release(ackB);

        // Assert: both FINs acknowledged: TIME-WAIT on both sides (both closed actively), which then expires.
        await AwaitStatesAsync(hosts, TcpState.TimeWait);
        await AwaitAssertAsync(async () =>
        {
            Assert.Empty(await TcpSockets.ConnectionsAsync(hosts.A));
            Assert.Empty(await TcpSockets.ConnectionsAsync(hosts.B));
        }, s_wait);
        Assert.Equal(0, (await TcpSockets.CountersAsync(hosts.A)).ResetsSent);
        Assert.Equal(0, (await TcpSockets.CountersAsync(hosts.B)).ResetsSent);

        // Nothing is left: no chunk, no node, once the hosts stop.
        Assert.True((await pair.Server.CloseAsync(pair.ListenerFd)).IsOk);
        await TcpSockets.StopAndAssertNoLeaksAsync(hosts, s_wait);
    }

    private static async Task ExchangeAsync(TcpPair pair)
    {
        const int size = 3000;
        var request = TcpSockets.Pattern(size, 1);
        var buffer = pair.Client.Alloc(size);
        Assert.Equal(Errno.None, pair.Client.WriteBuffer(buffer, 0, request));
        var reader = Task.Run(() => TcpSockets.ReadExactlyAsync(pair.Client, pair.ClientFd, size));
        Assert.True((await pair.Client.SendAsync(pair.ClientFd, buffer.Gva, size).AsTask().WaitAsync(s_wait)).IsOk);
        await TcpSockets.EchoExactlyAsync(pair.Server, pair.ServerFd, size).WaitAsync(s_wait);
        Assert.Equal(request, await reader.WaitAsync(s_wait));
        Assert.Equal(Errno.None, pair.Client.Free(buffer));
    }

    private Task AwaitStatesAsync(TwoHosts hosts, TcpState state) => AwaitAssertAsync(async () =>
    {
        Assert.Equal(state, Assert.Single(await TcpSockets.ConnectionsAsync(hosts.A)).State);
        Assert.Equal(state, Assert.Single(await TcpSockets.ConnectionsAsync(hosts.B)).State);
    }, s_wait);
}
