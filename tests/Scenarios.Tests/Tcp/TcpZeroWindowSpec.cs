using Edsos.Protocol;
using Edsos.Protocol.Tcp;
using Edsos.Protocol.Wire;
using Edsos.Scenarios.Tests.Wires;
using Akka.TestKit;
using Edsos.Testing;

namespace Edsos.Scenarios.Tests.Tcp;

/// <summary>
/// Flow control on two real hosts: a receiver that does not read closes its window, the sender holds what is
/// left and probes (RFC 9293 3.8.6.1), and the window opens again as the app reads.
/// </summary>
public sealed class TcpZeroWindowSpec : EdsrtTestKit
{
    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(8);

    [Fact]
    public async Task Send_ReceiverNotReading_ZeroWindowProbedUntilReadsOpenIt()
    {
        // Arrange: B's receive buffer is the default 64 KiB - 1; A sends more than twice that in one call.
        var link = new ScriptedLink();
        await using var hosts = await TwoHosts.StartAsync(link.EndA, link.EndB);
        var pair = await TcpPair.OpenAsync(hosts, 7, s_wait);
        int receiveBuffer = new TcpOptions().ReceiveBuffer;
        const int size = 150_000;
        var pattern = TcpSockets.Pattern(size, 41);
        var buffer = pair.Client.Alloc(size);
        Assert.Equal(Errno.None, pair.Client.WriteBuffer(buffer, 0, pattern));

        // Act 1: send while B's app reads nothing.
        var send = pair.Client.SendAsync(pair.ClientFd, buffer.Gva, size).AsTask();

        // Assert: B advertises a zero window, A probes it (at least twice: the persist timer backs off and
        // goes on), and each probe is answered with the window still zero.
        await AwaitConditionAsync(() => link.Where(s => s.Direction == LinkDirection.BtoA && s.Has(TcpFlags.Ack) && s.Window == 0).Length > 0, s_wait, message: "no zero window on the wire");
        var closedAt = link.Where(s => s.Direction == LinkDirection.BtoA && s.Window == 0)[0];
        // Wait on the wire, not on the counter: under load the sender's persist timer may also push the last bytes of a
        // sub-MSS window before the zero window (counted as a probe, RFC 1122 4.2.2.17), so the counter can reach 2
        // while only one probe has followed the zero window.
        await AwaitConditionAsync(() => link.Where(s => s.Direction == LinkDirection.AtoB && s.HasData && s.Index > closedAt.Index).Length >= 2, s_wait, message: "fewer than two probes of the zero window");
        Assert.True((await TcpSockets.CountersAsync(hosts.A)).ZeroWindowProbes >= 2);
        var probes = link.Where(s => s.Direction == LinkDirection.AtoB && s.HasData && s.Index > closedAt.Index);
        Assert.True(probes.Length >= 2, link.Dump());
        Assert.All(probes, p =>
        {
            // One byte at the window's edge, SND.NXT: a byte of the stream, not filler.
            Assert.Equal(1, p.Length);
            Assert.Equal(closedAt.RelativeAck, p.RelativeSequence);
            Assert.Equal(pattern[p.RelativeSequence], p.Payload[0]);
        });
        int answers = link.Where(s => s.Direction == LinkDirection.BtoA && s.Index > probes[0].Index && s.IsBareAck && s.Window == 0 && s.RelativeAck == closedAt.RelativeAck).Length;
        Assert.True(answers >= probes.Length - 1, $"{answers} zero-window answers to {probes.Length} probes\n{link.Dump()}");

        // While the window is zero: A's persist timer runs, B holds no more than its buffer, send() waits.
        var sender = Assert.Single(await TcpSockets.ConnectionsAsync(hosts.A));
        Assert.Equal(0u, sender.SndWnd);
        Assert.True(sender.PersistArmed, "persist timer not armed");
        Assert.Equal(sender.SndUna, sender.SndNxt);
        var receiver = Assert.Single(await TcpSockets.ConnectionsAsync(hosts.B));
        // Receiver SWS avoidance (RFC 1122 4.2.3.3) announces zero once less than one MSS is free.
        Assert.InRange(receiver.RcvUnread, receiveBuffer - 1460, receiveBuffer);
        Assert.True((await TcpSockets.CountersAsync(hosts.B)).BytesDelivered <= receiveBuffer);
        Assert.False(send.IsCompleted, "send() completed while the window was zero");

        // Act 2: B's app reads; each read opens the window.
        var received = await TcpSockets.ReadExactlyAsync(pair.Server, pair.ServerFd, size).WaitAsync(s_wait);
        var sent = await send.WaitAsync(s_wait);

        // Assert: every byte, send() done, and a window update after the last zero window.
        Assert.Equal(pattern, received);
        Assert.True(sent.IsOk, $"send: {sent.Error}");
        Assert.Equal(size, sent.Value);
        int lastZero = link.Where(s => s.Direction == LinkDirection.BtoA && s.Window == 0)[^1].Index;
        Assert.Contains(link.Segments, s => s.Direction == LinkDirection.BtoA && s.Index > lastZero && s.Window > 0);
        Assert.True((await TcpSockets.CountersAsync(hosts.A)).Timeouts == 0, "a probe is not a retransmission timeout");

        await pair.CloseAsync(s_wait);
        Assert.Equal(Errno.None, pair.Client.Free(buffer));
        Assert.Equal(0, hosts.A.Memory.Counters.PayloadBytesCopied);
        await TcpSockets.StopAndAssertNoLeaksAsync(hosts, s_wait);
    }
}
